// The turn engine: one AgentSession per loaded thread, one running turn at a time.
//
// A turn records the user's input, then loops: send the conversation to the model, stream its
// output (agent message deltas, reasoning, web searches, function calls), run the function calls
// through the ToolRegistry and feed their outputs back, until the model answers without calling
// a tool and no steered input is waiting. Usage from each response adds to the thread's totals.
//
// Everything is reported twice: as app-server v2 notifications (`onEvent`, see events.ts) and
// as rollout items in Codex 0.169.0's format (`onRolloutItems`, see rollout-items.ts), which the
// caller persists (LiveThread.appendItems). Rollout items are handed over in order, one batch at
// a time (the next batch waits for the previous one's promise); an item's `item/completed`
// notification follows its rollout batch.
//
// Hooks for features on top (goals): `beforeModelRequest` adds items to the conversation before
// each model request (no round of their own); a turn can start from raw items instead of a user
// message (`rawInput`, no userMessage item) with a `turn_attribution` (a goal continuation:
// trigger "goal", the previous turn as parent, the chain's root as the turn's root).
//
// Endings: completed (`task_complete`), failed (a model error: `task_complete` with `error`, an
// `error` notification, the turn's TurnError), interrupted (`interrupt()`, or an approval answered
// "cancel": streaming stops, running commands are killed, calls left without output get
// "aborted", then `<turn_aborted>` and `turn_aborted`). `done` always resolves (never rejects).
import fs from "node:fs";
import path from "node:path";
import type { Json, JsonObject } from "../rollout/line.js";
import type { ThreadItem, Turn, TurnError, TurnStatus } from "../protocol/v2.js";
import type { RolloutItem } from "../store/types.js";
import { turnErrorFrom } from "../history/turn-error.js";
import type { AgentConfig, ApprovalPolicy, SandboxMode, WebSearchMode } from "./config.js";
import { DEFAULT_CONTEXT_WINDOW } from "./config.js";
import { SessionApprovals, type ApprovalDecision, type ApprovalHandler, type ApprovalKind, type TurnNotification } from "./events.js";
import { ConversationHistory, lastTokenTotals } from "./history.js";
import { uuidv7 } from "./ids.js";
import { defaultBackoffMs, ModelError, ResponsesClient, type ModelClient, type ModelRequest } from "./model-client.js";
import * as R from "./rollout-items.js";
import type { TurnAttribution, UserInput } from "./rollout-items.js";
import { addUsage, usageBreakdown, zeroUsage, type TokenUsage } from "./token-usage.js";
import { execCommandTool } from "./tools/exec-command.js";
import { ToolRegistry, type FunctionTool, type ToolContext } from "./tools/registry.js";
import { webSearchSpec } from "./tools/web-search.js";

export type { TurnAttribution, UserInput } from "./rollout-items.js";

/** Settings a turn runs with; `startTurn` overrides stick for later turns, like Codex's. */
export interface TurnSettings {
  cwd: string;
  model: string;
  approvalPolicy: ApprovalPolicy;
  sandboxMode: SandboxMode;
  reasoningEffort: string | null;
  /** auto, concise, detailed, none. */
  reasoningSummary: string;
  contextWindow: number;
}

export interface AgentSessionOptions extends Partial<Omit<TurnSettings, "cwd" | "model">> {
  threadId: string;
  cwd: string;
  model: string;
  client: ModelClient;
  /** Sent as the request's `instructions` (the thread's base instructions). */
  baseInstructions?: string | null;
  /** The thread's rollout so far (model input, token totals, whether context was given). */
  history?: readonly RolloutItem[];
  /** Replaces the default tools (exec_command + web_search). */
  tools?: ToolRegistry;
  /** More function tools (the goal tools…), added to the default or given registry. */
  extraTools?: FunctionTool[];
  webSearch?: WebSearchMode;
  /** Asked before escalated commands and out-of-workspace patches; without it they are declined. */
  requestApproval?: ApprovalHandler;
  onEvent?: (n: TurnNotification) => void;
  onRolloutItems?: (items: RolloutItem[]) => void | Promise<void>;
  /**
   * Called before each model request of a turn (after steered input is recorded): the items it
   * returns are recorded in the conversation (and the rollout) and sent with that request, without
   * a model round of their own (the goals feature's budget-limit notice and goal_objective context).
   */
  beforeModelRequest?: (turnId: string) => RolloutItem[] | Promise<RolloutItem[]>;
  /** Environment of commands (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Command timeout when the call gives none (default 10 minutes). */
  execTimeoutMs?: number;
  /** Delay before re-sending a request whose stream broke (attempt 1, 2…). */
  streamRetryBackoffMs?: (attempt: number) => number;
  now?: () => number;
}

/** How a turn starts, besides its settings. */
export interface TurnStartOptions extends Partial<TurnSettings> {
  turnId?: string;
  /**
   * Items recorded as the turn's input instead of a user message (a goal continuation's internal
   * context): model input, but no userMessage item and no notification.
   */
  rawInput?: RolloutItem[];
  /** Recorded in `task_started` (Codex's turn_attribution); the turn's root is the chain's. */
  attribution?: TurnAttribution | null;
}

/** A turn of the thread: its id and the root of its chain. */
export interface TurnRef {
  id: string;
  rootId: string;
}

/** The thread's last started turn, from its rollout. */
function lastTurnOf(history: readonly RolloutItem[]): TurnRef | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const r = history[i];
    if (r.type !== "event_msg" || (r.payload.type !== "task_started" && r.payload.type !== "turn_started")) continue;
    const id = r.payload.turn_id;
    if (typeof id !== "string") continue;
    const root = r.payload.root_turn_id;
    return { id, rootId: typeof root === "string" && root !== "" ? root : id };
  }
  return null;
}

export interface TurnResult {
  turnId: string;
  status: Exclude<TurnStatus, "inProgress">;
  error: TurnError | null;
  lastAgentMessage: string | null;
  /** The v2 Turn as `turn/completed` carries it. */
  turn: Turn;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 10 * 60_000;

const REASONING_MODEL = /^(o\d|gpt-5|codex)/i;

class TurnStopped extends Error {
  constructor() {
    super("turn interrupted");
  }
}

/** Builds the default tools: exec_command (with apply_patch) and, unless disabled, web_search. */
export function defaultToolRegistry(webSearch: WebSearchMode = "cached"): ToolRegistry {
  const r = new ToolRegistry([execCommandTool()]);
  const ws = webSearchSpec(webSearch);
  if (ws) r.registerHosted(ws);
  return r;
}

function mimeOf(p: string): string {
  const ext = path.extname(p).toLowerCase();
  return ext === ".png" ? "image/png" : ext === ".gif" ? "image/gif" : ext === ".webp" ? "image/webp" : "image/jpeg";
}

export class AgentSession {
  readonly threadId: string;
  readonly tools: ToolRegistry;
  readonly sessionApprovals = new SessionApprovals();
  readonly settings: TurnSettings;
  private readonly opts: AgentSessionOptions;
  private readonly conversation: ConversationHistory;
  private totals: TokenUsage;
  private last: TokenUsage | null = null;
  private current: RunningTurn | null = null;
  private last_: TurnRef | null;

  constructor(opts: AgentSessionOptions) {
    this.opts = opts;
    this.threadId = opts.threadId;
    this.settings = {
      cwd: opts.cwd,
      model: opts.model,
      approvalPolicy: opts.approvalPolicy ?? "on-request",
      sandboxMode: opts.sandboxMode ?? "workspace-write",
      reasoningEffort: opts.reasoningEffort ?? null,
      reasoningSummary: opts.reasoningSummary ?? "auto",
      contextWindow: opts.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
    };
    this.tools = opts.tools ?? defaultToolRegistry(opts.webSearch);
    if (opts.extraTools) this.tools.register(...opts.extraTools);
    const history = opts.history ?? [];
    this.conversation = ConversationHistory.fromRollout(history);
    this.totals = lastTokenTotals(history) ?? zeroUsage();
    this.last_ = lastTurnOf(history);
  }

  /** A session configured from config.toml (model, provider, policies, reasoning, web search). */
  static fromConfig(config: AgentConfig, opts: Omit<AgentSessionOptions, "model" | "client"> & { client?: ModelClient; model?: string }): AgentSession {
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as typeof opts;
    return new AgentSession({
      approvalPolicy: config.approvalPolicy,
      sandboxMode: config.sandboxMode,
      reasoningEffort: config.reasoningEffort,
      reasoningSummary: config.reasoningSummary,
      contextWindow: config.contextWindow,
      webSearch: config.webSearch,
      ...given,
      model: opts.model ?? config.model,
      client: opts.client ?? new ResponsesClient(config.provider),
    });
  }

  /** The running turn, if any. */
  get activeTurn(): RunningTurn | null {
    return this.current;
  }

  /** The thread's last started turn (this session's, else the rollout's), or null. */
  get lastTurn(): TurnRef | null {
    return this.last_;
  }

  /** The thread's token usage: totals and the last response's. */
  tokenUsage(): { total: TokenUsage; last: TokenUsage | null } {
    return { total: { ...this.totals }, last: this.last ? { ...this.last } : null };
  }

  /** The conversation the next request would carry. */
  modelInput(): Json[] {
    return this.conversation.input();
  }

  /** Starts a turn; throws if one is running. */
  startTurn(input: UserInput[], overrides: TurnStartOptions = {}): RunningTurn {
    if (this.current) throw new Error(`thread ${this.threadId} already has a running turn (${this.current.id})`);
    const { turnId, rawInput, attribution, ...settings } = overrides;
    for (const [k, v] of Object.entries(settings)) if (v !== undefined) (this.settings as unknown as Record<string, unknown>)[k] = v;
    const id = turnId ?? uuidv7();
    const rootId = attribution ? (attribution.rootTurnId ?? (attribution.parentTurnId !== null ? this.last_?.rootId : null) ?? id) : id;
    const turn = new RunningTurn(this, id, input, { rawInput, attribution: attribution ?? null, rootTurnId: rootId });
    this.last_ = { id, rootId };
    this.current = turn;
    void turn.done.finally(() => {
      if (this.current === turn) this.current = null;
    });
    turn.start();
    return turn;
  }

  /** Adds input to the running turn (used before its next model request); the turn id, or null if none runs. */
  steer(input: UserInput[]): string | null {
    return this.current?.steer(input) ? this.current.id : null;
  }

  /** Interrupts the running turn and resolves once it has stopped (null if none ran). */
  async interrupt(): Promise<TurnResult | null> {
    return this.current ? this.current.interrupt() : null;
  }

  // ------------------------------------------------------------------ used by RunningTurn

  /** @internal */
  get internals() {
    return {
      opts: this.opts,
      conversation: this.conversation,
      addUsage: (u: TokenUsage) => {
        this.last = u;
        this.totals = addUsage(this.totals, u);
        return { total: { ...this.totals }, last: { ...u } };
      },
    };
  }
}

interface OpenItem {
  kind: "agent" | "reasoning" | "web";
  id: string;
  startedAtMs: number;
}

export class RunningTurn {
  readonly id: string;
  /** The root of the turn's chain (itself, unless it continues another turn). */
  readonly rootTurnId: string;
  readonly done: Promise<TurnResult>;
  private resolveDone!: (r: TurnResult) => void;
  private readonly controller = new AbortController();
  private readonly pending: UserInput[][] = [];
  private accepting = true;
  private started = false;
  private startedMs = 0;
  private startedAt = 0;
  private firstTokenMs: number | null = null;
  private lastAgentMessage: string | null = null;
  private lastAgentItem: ThreadItem | null = null;
  /** function calls recorded without an output yet (call id -> custom?) */
  private readonly unanswered = new Map<string, boolean>();
  private persist: Promise<void> = Promise.resolve();

  private readonly rawInput: RolloutItem[] | null;
  private readonly attribution: TurnAttribution | null;

  constructor(
    private readonly session: AgentSession,
    id: string,
    private readonly input: UserInput[],
    opts: { rawInput?: RolloutItem[]; attribution?: TurnAttribution | null; rootTurnId?: string } = {},
  ) {
    this.id = id;
    this.rootTurnId = opts.rootTurnId ?? id;
    this.rawInput = opts.rawInput ?? null;
    this.attribution = opts.attribution ?? null;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** Whether the turn is still running. */
  get running(): boolean {
    return this.accepting;
  }

  /** @internal */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.run().then(this.resolveDone, (e) => this.resolveDone(this.fallbackResult(e)));
  }

  steer(input: UserInput[]): boolean {
    if (!this.accepting || this.controller.signal.aborted || input.length === 0) return false;
    this.pending.push(input);
    return true;
  }

  /** Stops the turn (streaming, commands, approvals) and resolves once it has really stopped. */
  interrupt(): Promise<TurnResult> {
    if (!this.controller.signal.aborted) this.controller.abort(new TurnStopped());
    return this.done;
  }

  // ---------------------------------------------------------------------------------------------

  private get o(): AgentSessionOptions {
    return this.session.internals.opts;
  }
  private get s(): TurnSettings {
    return this.session.settings;
  }
  private now(): number {
    return (this.o.now ?? Date.now)();
  }
  private get threadId(): string {
    return this.session.threadId;
  }

  private notify(n: TurnNotification): void {
    try {
      this.o.onEvent?.(n);
    } catch {
      // a listener's failure is not the turn's
    }
  }

  /** Records rollout items: the conversation first, then the caller's persistence, in order. */
  private emit(items: RolloutItem[]): Promise<void> {
    if (items.length === 0) return this.persist;
    const conv = this.session.internals.conversation;
    for (const it of items) if (it.type === "response_item") conv.record(it.payload);
    const write = this.persist.then(() => this.o.onRolloutItems?.(items));
    this.persist = write.then(
      () => undefined,
      () => undefined,
    );
    return write.then(() => undefined);
  }

  private checkStopped(): void {
    if (this.controller.signal.aborted) throw new TurnStopped();
  }

  private turnView(status: TurnStatus, items: ThreadItem[], itemsView: Turn["itemsView"], error: TurnError | null, completedAt: number | null, durationMs: number | null): Turn {
    return { id: this.id, rootTurnId: this.rootTurnId, items, itemsView, status, error, startedAt: this.startedAt, completedAt, durationMs };
  }

  private async run(): Promise<TurnResult> {
    this.startedMs = this.now();
    this.startedAt = Math.floor(this.startedMs / 1000);
    const conv = this.session.internals.conversation;
    try {
      const head: RolloutItem[] = [
        R.taskStarted(this.id, this.startedAt, this.s.contextWindow, { rootTurnId: this.rootTurnId, attribution: this.attribution }),
        R.turnContext({
          turnId: this.id,
          rootTurnId: this.rootTurnId,
          cwd: this.s.cwd,
          approvalPolicy: this.s.approvalPolicy,
          sandboxMode: this.s.sandboxMode,
          model: this.s.model,
          effort: this.s.reasoningEffort,
          summary: this.s.reasoningSummary,
          now: new Date(this.startedMs),
        }),
      ];
      if (!conv.hasEnvironmentContext()) head.push(R.environmentContext(this.s.cwd, new Date(this.startedMs), this.s.approvalPolicy, this.s.sandboxMode));
      await this.emit(head);
      this.notify({ method: "turn/started", params: { threadId: this.threadId, turn: this.turnView("inProgress", [], "notLoaded", null, null, null) } });
      if (this.rawInput) await this.emit(this.rawInput);
      else await this.recordUserInput(this.input);
      for (;;) {
        this.checkStopped();
        while (this.pending.length > 0) await this.recordUserInput(this.pending.shift()!);
        await this.beforeModelRequest();
        this.checkStopped();
        const calls = await this.sample();
        this.checkStopped();
        if (calls.length > 0) {
          await this.runTools(calls);
          continue;
        }
        if (this.pending.length === 0) {
          this.accepting = false;
          break;
        }
      }
      return await this.complete(null);
    } catch (e) {
      this.accepting = false;
      if (this.controller.signal.aborted) return this.interrupted();
      return this.failed(e);
    }
  }

  /** The caller's items for the next model request (recorded, no round of their own). */
  private async beforeModelRequest(): Promise<void> {
    const hook = this.o.beforeModelRequest;
    if (!hook) return;
    let items: RolloutItem[];
    try {
      items = await hook(this.id);
    } catch {
      return; // the caller's failure is not the turn's
    }
    if (items.length) await this.emit(items);
  }

  private async recordUserInput(input: UserInput[]): Promise<void> {
    const at = this.now();
    const built = R.userMessage(this.threadId, this.id, uuidv7(at), input, at, (p) => this.imageUrl(p));
    await this.emit(built.items);
    const startedItem = { ...built.item, completedAtMs: null };
    this.notify({ method: "item/started", params: { item: startedItem, threadId: this.threadId, turnId: this.id, startedAtMs: at } });
    this.notify({ method: "item/completed", params: { item: built.item, threadId: this.threadId, turnId: this.id, contentTokenCount: null, completedAtMs: at } });
  }

  private imageUrl(p: string): string | null {
    try {
      const abs = path.resolve(this.s.cwd, p);
      return `data:${mimeOf(abs)};base64,${fs.readFileSync(abs).toString("base64")}`;
    } catch {
      return null;
    }
  }

  private request(): ModelRequest {
    const s = this.s;
    const req: ModelRequest = {
      model: s.model,
      input: this.session.internals.conversation.input(),
      tools: this.session.tools.specs(),
      tool_choice: "auto",
      parallel_tool_calls: true,
      store: false,
      prompt_cache_key: this.threadId,
    };
    const instructions = this.o.baseInstructions;
    if (instructions) req.instructions = instructions;
    if (s.reasoningEffort || REASONING_MODEL.test(s.model)) {
      const r: JsonObject = {};
      if (s.reasoningEffort) r.effort = s.reasoningEffort;
      if (s.reasoningSummary && s.reasoningSummary !== "none") r.summary = s.reasoningSummary;
      req.reasoning = r;
      req.include = ["reasoning.encrypted_content"];
    }
    return req;
  }

  /** One model response (re-sent after a broken stream, up to the provider's stream retries); returns its function calls. */
  private async sample(): Promise<JsonObject[]> {
    const client = this.o.client;
    const backoff = this.o.streamRetryBackoffMs ?? defaultBackoffMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.streamOnce();
      } catch (e) {
        if (this.controller.signal.aborted || !(e instanceof ModelError) || !e.retryable || attempt >= client.streamMaxRetries) throw e;
        const err = turnErrorFrom({ message: `Reconnecting... ${attempt + 1}/${client.streamMaxRetries}`, codex_error_info: e.codexErrorInfo });
        err.additionalDetails = e.message;
        this.notify({ method: "error", params: { error: err, willRetry: true, threadId: this.threadId, turnId: this.id } });
        await abortableSleep(backoff(attempt + 1), this.controller.signal);
      }
    }
  }

  private async streamOnce(): Promise<JsonObject[]> {
    const calls: JsonObject[] = [];
    const open = new Map<string, OpenItem>();
    let currentMessage: string | null = null;
    const firstToken = () => {
      if (this.firstTokenMs === null) this.firstTokenMs = this.now() - this.startedMs;
    };
    const startAgent = (id: string) => {
      if (open.has(id)) return;
      const at = this.now();
      open.set(id, { kind: "agent", id, startedAtMs: at });
      currentMessage = id;
      const core = { type: "AgentMessage", id, content: [] };
      this.notify({ method: "item/started", params: { item: R.threadItem(core, at, null), threadId: this.threadId, turnId: this.id, startedAtMs: at } });
    };
    const startReasoning = (id: string) => {
      if (open.has(id)) return;
      const at = this.now();
      open.set(id, { kind: "reasoning", id, startedAtMs: at });
      const core = { type: "Reasoning", id, summary_text: [], raw_content: [] };
      this.notify({ method: "item/started", params: { item: R.threadItem(core, at, null), threadId: this.threadId, turnId: this.id, startedAtMs: at } });
    };
    const idOf = (item: JsonObject, prefix: string) => (typeof item.id === "string" && item.id !== "" ? item.id : `${prefix}_${uuidv7()}`);

    for await (const ev of this.o.client.stream(this.request(), { signal: this.controller.signal, threadId: this.threadId })) {
      switch (ev.type) {
        case "created":
          break;
        case "outputItemAdded": {
          const it = ev.item;
          if (it.type === "message" && it.role === "assistant") startAgent(idOf(it, "msg"));
          else if (it.type === "reasoning" && typeof it.id === "string") startReasoning(it.id);
          break;
        }
        case "outputTextDelta": {
          firstToken();
          const id = ev.itemId ?? currentMessage ?? `msg_${uuidv7()}`;
          startAgent(id);
          this.notify({ method: "item/agentMessage/delta", params: { threadId: this.threadId, turnId: this.id, itemId: id, delta: ev.delta } });
          break;
        }
        case "reasoningSummaryPartAdded":
          if (ev.itemId) {
            startReasoning(ev.itemId);
            this.notify({ method: "item/reasoning/summaryPartAdded", params: { threadId: this.threadId, turnId: this.id, itemId: ev.itemId, summaryIndex: ev.summaryIndex } });
          }
          break;
        case "reasoningSummaryDelta":
          firstToken();
          if (ev.itemId) {
            startReasoning(ev.itemId);
            this.notify({ method: "item/reasoning/summaryTextDelta", params: { threadId: this.threadId, turnId: this.id, itemId: ev.itemId, delta: ev.delta, summaryIndex: ev.summaryIndex } });
          }
          break;
        case "reasoningTextDelta":
          firstToken();
          if (ev.itemId) {
            startReasoning(ev.itemId);
            this.notify({ method: "item/reasoning/textDelta", params: { threadId: this.threadId, turnId: this.id, itemId: ev.itemId, delta: ev.delta, contentIndex: ev.contentIndex } });
          }
          break;
        case "outputItemDone":
          firstToken();
          await this.outputItemDone(ev.item, open, () => currentMessage, calls);
          break;
        case "completed":
          if (ev.usage) {
            const u = this.session.internals.addUsage(ev.usage);
            await this.emit([R.tokenCount(u.total, u.last, this.s.contextWindow)]);
            this.notify({
              method: "thread/tokenUsage/updated",
              params: { threadId: this.threadId, turnId: this.id, tokenUsage: { total: usageBreakdown(u.total), last: usageBreakdown(u.last), modelContextWindow: this.s.contextWindow } },
            });
          }
          break;
      }
    }
    return calls;
  }

  private async outputItemDone(item: JsonObject, open: Map<string, OpenItem>, currentMessage: () => string | null, calls: JsonObject[]): Promise<void> {
    const completed = (built: { items: RolloutItem[]; item: ThreadItem }, at: number) =>
      this.emit(built.items).then(() =>
        this.notify({ method: "item/completed", params: { item: built.item, threadId: this.threadId, turnId: this.id, contentTokenCount: null, completedAtMs: at } }),
      );
    const startedAt = (id: string) => open.get(id)?.startedAtMs;
    switch (item.type) {
      case "message": {
        if (item.role !== "assistant") {
          await this.emit([R.ri(item)]);
          return;
        }
        const id = typeof item.id === "string" && item.id !== "" ? item.id : currentMessage() ?? `msg_${uuidv7()}`;
        const at = this.now();
        let start = startedAt(id);
        if (start === undefined) {
          start = at;
          const core = { type: "AgentMessage", id, content: [] };
          this.notify({ method: "item/started", params: { item: R.threadItem(core, at, null), threadId: this.threadId, turnId: this.id, startedAtMs: at } });
        }
        open.delete(id);
        const built = R.agentMessage(this.threadId, this.id, id, item, start, at);
        this.lastAgentMessage = built.text;
        this.lastAgentItem = built.item;
        await completed(built, at);
        return;
      }
      case "reasoning": {
        const id = typeof item.id === "string" && item.id !== "" ? item.id : `rs_${uuidv7()}`;
        const at = this.now();
        let start = startedAt(id);
        if (start === undefined) {
          start = at;
          const core = { type: "Reasoning", id, summary_text: [], raw_content: [] };
          this.notify({ method: "item/started", params: { item: R.threadItem(core, at, null), threadId: this.threadId, turnId: this.id, startedAtMs: at } });
        }
        open.delete(id);
        await completed(R.reasoning(this.threadId, this.id, id, item, start, at), at);
        return;
      }
      case "web_search_call": {
        const id = typeof item.id === "string" && item.id !== "" ? item.id : `ws_${uuidv7()}`;
        const at = this.now();
        const built = R.webSearch(this.threadId, this.id, id, item, at, at);
        this.notify({ method: "item/started", params: { item: built.started, threadId: this.threadId, turnId: this.id, startedAtMs: at } });
        await completed(built, at);
        return;
      }
      case "function_call":
      case "custom_tool_call":
      case "local_shell_call": {
        const callId = typeof item.call_id === "string" ? item.call_id : typeof item.id === "string" ? item.id : `call_${uuidv7()}`;
        const rec = typeof item.call_id === "string" ? item : { ...item, call_id: callId };
        await this.emit([R.ri(rec)]);
        this.unanswered.set(callId, item.type === "custom_tool_call");
        calls.push(rec);
        return;
      }
      default:
        // other hosted-tool output (image generation, tool search…): kept in the conversation
        if (typeof item.type === "string") await this.emit([R.ri(item)]);
    }
  }

  private toolContext(callId: string): ToolContext {
    const signal = this.controller.signal;
    return {
      threadId: this.threadId,
      turnId: this.id,
      callId,
      cwd: this.s.cwd,
      signal,
      approvalPolicy: this.s.approvalPolicy,
      sandboxMode: this.s.sandboxMode,
      sessionApprovals: this.session.sessionApprovals,
      env: this.o.env ?? process.env,
      execTimeoutMs: this.o.execTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
      now: () => this.now(),
      notify: (n) => this.notify(n),
      emitRollout: (items) => this.emit(items),
      requestApproval: (kind, params) => this.requestApproval(kind, params),
    };
  }

  private async requestApproval(kind: ApprovalKind, params: Parameters<ApprovalHandler>[1]): Promise<ApprovalDecision> {
    const handler = this.o.requestApproval;
    if (!handler) return "decline";
    const signal = this.controller.signal;
    this.checkStopped();
    return await new Promise<ApprovalDecision>((resolve, reject) => {
      const onAbort = () => reject(new TurnStopped());
      signal.addEventListener("abort", onAbort, { once: true });
      handler(kind, params, { signal }).then(
        (d) => {
          signal.removeEventListener("abort", onAbort);
          resolve(d);
        },
        (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }

  private async runTools(calls: JsonObject[]): Promise<void> {
    for (const call of calls) {
      this.checkStopped();
      const callId = String(call.call_id);
      const custom = call.type === "custom_tool_call";
      const name = typeof call.name === "string" ? call.name : String(call.type);
      let output: string;
      let interrupt = false;
      const tool = call.type === "function_call" ? this.session.tools.get(name) : undefined;
      if (custom) output = `unsupported custom tool call: ${name}`;
      else if (!tool) output = `unsupported call: ${name}`;
      else {
        let args: JsonObject | null = null;
        try {
          const raw = typeof call.arguments === "string" && call.arguments.trim() !== "" ? JSON.parse(call.arguments) : {};
          if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new Error("arguments must be a JSON object");
          args = raw as JsonObject;
          output = "";
        } catch (e) {
          output = `failed to parse function arguments: ${(e as Error).message}`;
        }
        if (args) {
          try {
            const r = await tool.handle(args, this.toolContext(callId));
            output = r.output;
            interrupt = r.interruptTurn === true;
          } catch (e) {
            if (this.controller.signal.aborted) throw e;
            output = `${name} failed: ${(e as Error).message}`;
          }
        }
      }
      this.unanswered.delete(callId);
      await this.emit([R.functionCallOutput(callId, output, custom)]);
      if (interrupt) this.controller.abort(new TurnStopped());
    }
  }

  private async complete(error: JsonObject | null): Promise<TurnResult> {
    const endMs = this.now();
    const completedAt = Math.floor(endMs / 1000);
    const durationMs = endMs - this.startedMs;
    await this.emit([
      R.taskComplete({ turnId: this.id, rootTurnId: this.rootTurnId, lastAgentMessage: this.lastAgentMessage, error, startedAt: this.startedAt, completedAt, durationMs, timeToFirstTokenMs: this.firstTokenMs }),
    ]);
    const items = this.lastAgentItem ? [this.lastAgentItem] : [];
    const turn = this.turnView("completed", items, "summary", null, completedAt, durationMs);
    this.notify({ method: "turn/completed", params: { threadId: this.threadId, turn } });
    return { turnId: this.id, status: "completed", error: null, lastAgentMessage: this.lastAgentMessage, turn };
  }

  private async failed(e: unknown): Promise<TurnResult> {
    const message = e instanceof Error ? e.message : String(e);
    const info: Json = e instanceof ModelError ? e.codexErrorInfo : "other";
    const snake: JsonObject = { message, codex_error_info: info };
    const error = turnErrorFrom(snake);
    const endMs = this.now();
    const completedAt = Math.floor(endMs / 1000);
    const durationMs = endMs - this.startedMs;
    try {
      await this.emit(this.answerUnanswered());
      await this.emit([R.taskComplete({ turnId: this.id, rootTurnId: this.rootTurnId, lastAgentMessage: this.lastAgentMessage, error: snake, startedAt: this.startedAt, completedAt, durationMs, timeToFirstTokenMs: null })]);
    } catch {
      // persistence is what failed: the caller hears it from the notifications
    }
    this.notify({ method: "error", params: { error, willRetry: false, threadId: this.threadId, turnId: this.id } });
    const turn = this.turnView("failed", [], "notLoaded", error, completedAt, durationMs);
    this.notify({ method: "turn/completed", params: { threadId: this.threadId, turn } });
    return { turnId: this.id, status: "failed", error, lastAgentMessage: this.lastAgentMessage, turn };
  }

  private async interrupted(): Promise<TurnResult> {
    const endMs = this.now();
    const completedAt = Math.floor(endMs / 1000);
    const durationMs = endMs - this.startedMs;
    try {
      await this.emit([...this.answerUnanswered(), ...R.turnAborted({ turnId: this.id, rootTurnId: this.rootTurnId, startedAt: this.startedAt, completedAt, durationMs })]);
    } catch {
      // see failed()
    }
    const turn = this.turnView("interrupted", [], "notLoaded", null, completedAt, durationMs);
    this.notify({ method: "turn/completed", params: { threadId: this.threadId, turn } });
    return { turnId: this.id, status: "interrupted", error: null, lastAgentMessage: this.lastAgentMessage, turn };
  }

  /** Every recorded call needs an output before the conversation goes back to the model. */
  private answerUnanswered(): RolloutItem[] {
    const out = [...this.unanswered].map(([callId, custom]) => R.functionCallOutput(callId, "aborted", custom));
    this.unanswered.clear();
    return out;
  }

  private fallbackResult(e: unknown): TurnResult {
    const error = turnErrorFrom({ message: e instanceof Error ? e.message : String(e), codex_error_info: "other" });
    const turn = this.turnView("failed", [], "notLoaded", error, Math.floor(this.now() / 1000), this.now() - this.startedMs);
    return { turnId: this.id, status: "failed", error, lastAgentMessage: null, turn };
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new TurnStopped());
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new TurnStopped());
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
