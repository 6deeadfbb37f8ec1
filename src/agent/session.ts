// The turn engine's session: one AgentSession per loaded thread, one running turn at a time
// (turn.ts runs it). The session holds what outlives a turn: the conversation the model sees
// (rebuilt from the thread's rollout), the thread's token totals, the settings turns run with
// (a turn's overrides stick for later turns, like Codex's), approvals remembered for the session,
// the tools, and which turn was started last (the root of a continuation's chain).
//
// Hooks for features on top (goals): `beforeModelRequest` adds items to the conversation before
// each model request (no round of their own); a turn can start from raw items instead of a user
// message (`rawInput`, no userMessage item) with a `turn_attribution` (a goal continuation:
// trigger "goal", the previous turn as parent, the chain's root as the turn's root).
import type { Json, JsonObject } from "../rollout/line.js";
import type { RolloutItem } from "../store/types.js";
import type { AgentConfig, ApprovalPolicy, CollaborationMode, SandboxMode, WebSearchMode, WorkspaceWriteOptions } from "./config.js";
import { DEFAULT_CONTEXT_WINDOW } from "./config.js";
import { DEFAULT_WORKSPACE_WRITE } from "../sandbox/policy.js";
import { SessionApprovals, type ApprovalHandler, type TurnNotification } from "./events.js";
import type { TurnTelemetrySink } from "./telemetry.js";
import { ConversationHistory, lastTokenTotals } from "./history.js";
import { uuidv7 } from "./ids.js";
import { ResponsesClient, type ModelClient } from "./model-client.js";
import type { TurnAttribution, UserInput } from "./rollout-items.js";
import { addUsage, zeroUsage, type TokenUsage } from "./token-usage.js";
import { defaultToolRegistry } from "./tools/defaults.js";
import type { FunctionTool, ToolRegistry } from "./tools/registry.js";
import { RunningTurn, type TurnResult } from "./turn.js";
import type { ExecPolicy } from "./execpolicy.js";
import { toldSettings, type TurnContextSource } from "./context-source.js";
import { WorkspaceContext } from "../context/workspace-context.js";
import type { ContextSettings } from "../context/types.js";

export type { TurnAttribution, UserInput } from "./rollout-items.js";

/** Settings a turn runs with; `startTurn` overrides stick for later turns, like Codex's. */
export interface TurnSettings {
  cwd: string;
  model: string;
  approvalPolicy: ApprovalPolicy;
  sandboxMode: SandboxMode;
  /** `[sandbox_workspace_write]`, or a turn's `sandboxPolicy` (writable roots, network, temp dirs). */
  workspaceWrite: WorkspaceWriteOptions;
  reasoningEffort: string | null;
  /** auto, concise, detailed, none. */
  reasoningSummary: string;
  contextWindow: number;
  /** "plan" enables request_user_input. */
  collaborationMode: CollaborationMode;
}

export interface AgentSessionOptions extends Partial<Omit<TurnSettings, "cwd" | "model">> {
  threadId: string;
  cwd: string;
  model: string;
  client: ModelClient;
  /** The thread's base instructions (the first developer message of every request); else the context source's. */
  baseInstructions?: string | null;
  /** Builds the model's context (instructions, AGENTS.md, skills, permissions, environment); default: the workspace's, without a home. */
  context?: TurnContextSource;
  /** The thread's rollout so far (model input, token totals, whether context was given). */
  history?: readonly RolloutItem[];
  /** Replaces the default tools (exec_command + web_search). */
  tools?: ToolRegistry;
  /** More function tools (the goal tools…), added to the default or given registry. */
  extraTools?: FunctionTool[];
  /** `web_search` from config; null or absent: by the turn's sandbox (live without one, else cached). */
  webSearch?: WebSearchMode | null;
  /** Asks the user request_user_input's questions (`item/tool/requestUserInput`); the answer, or null when cancelled. Without it the tool is cancelled. */
  requestUserInput?: (params: JsonObject, opts: { signal: AbortSignal }) => Promise<JsonObject | null>;
  /** Asked before escalated commands and out-of-workspace patches; without it they are declined. */
  requestApproval?: ApprovalHandler;
  onEvent?: (n: TurnNotification) => void;
  /** Model requests, tool calls and failures, for analytics (see telemetry.ts). */
  onTelemetry?: TurnTelemetrySink;
  onRolloutItems?: (items: RolloutItem[]) => void | Promise<void>;
  /**
   * Called before each model request of a turn (after steered input is recorded): the items it
   * returns are recorded in the conversation (and the rollout) and sent with that request, without
   * a model round of their own (the goals feature's budget-limit notice and goal_objective context).
   */
  beforeModelRequest?: (turnId: string) => RolloutItem[] | Promise<RolloutItem[]>;
  /** Commands allowed without asking, and where an accepted execpolicy amendment is recorded (execpolicy.ts). */
  execPolicy?: ExecPolicy;
  /** `model_auto_compact_token_limit`: a turn compacts first when the last request used this many tokens (default 90% of the window). */
  autoCompactTokenLimit?: number | null;
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
  /** A compaction turn (`thread/compact/start`): no input, one summary request. */
  compact?: boolean;
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
  private readonly context: TurnContextSource;
  /** The settings the model was last told about (null: no context given yet). */
  private told: ContextSettings | null;

  constructor(opts: AgentSessionOptions) {
    this.opts = opts;
    this.threadId = opts.threadId;
    this.settings = {
      cwd: opts.cwd,
      model: opts.model,
      approvalPolicy: opts.approvalPolicy ?? "on-request",
      sandboxMode: opts.sandboxMode ?? "workspace-write",
      workspaceWrite: opts.workspaceWrite ?? DEFAULT_WORKSPACE_WRITE,
      reasoningEffort: opts.reasoningEffort ?? null,
      reasoningSummary: opts.reasoningSummary ?? "auto",
      contextWindow: opts.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
      collaborationMode: opts.collaborationMode ?? "default",
    };
    this.tools = opts.tools ?? defaultToolRegistry(opts.webSearch);
    if (opts.extraTools) this.tools.register(...opts.extraTools);
    const history = opts.history ?? [];
    this.conversation = ConversationHistory.fromRollout(history);
    this.totals = lastTokenTotals(history) ?? zeroUsage();
    this.last_ = lastTurnOf(history);
    this.context = opts.context ?? new WorkspaceContext({ env: opts.env });
    this.told = toldSettings(history, this.conversation.hasEnvironmentContext());
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
      autoCompactTokenLimit: config.autoCompactTokenLimit,
      webSearch: config.webSearch,
      workspaceWrite: config.workspaceWrite,
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

  /**
   * Appends raw Responses items to the model-visible history (thread/inject_items): the next
   * request carries them, and they are persisted as `response_item` lines like the model's own.
   */
  async injectItems(items: readonly JsonObject[]): Promise<void> {
    // a running turn takes them like steered input: recorded before, and answered by, its next request
    if (this.current?.inject(items)) return;
    for (const item of items) this.conversation.record(item);
    await this.opts.onRolloutItems?.(items.map((payload) => ({ type: "response_item", payload }) as RolloutItem));
  }

  /** Drops the last `n` turns from the model history and records Codex's `thread_rolled_back` line (readers apply it too). */
  async rollBack(n: number): Promise<void> {
    this.conversation.rollBack(n);
    await this.opts.onRolloutItems?.([{ type: "event_msg", payload: { type: "thread_rolled_back", num_turns: n } } as RolloutItem]);
  }

  /** Starts a turn; throws if one is running. */
  startTurn(input: UserInput[], overrides: TurnStartOptions = {}): RunningTurn {
    if (this.current) throw new Error(`thread ${this.threadId} already has a running turn (${this.current.id})`);
    const { turnId, rawInput, attribution, compact, ...settings } = overrides;
    for (const [k, v] of Object.entries(settings)) if (v !== undefined) (this.settings as unknown as Record<string, unknown>)[k] = v;
    const id = turnId ?? uuidv7();
    const rootId = attribution ? (attribution.rootTurnId ?? (attribution.parentTurnId !== null ? this.last_?.rootId : null) ?? id) : id;
    const turn = new RunningTurn(this, id, input, { rawInput, attribution: attribution ?? null, rootTurnId: rootId, compact });
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

  // ------------------------------------------- used by the running turn (turn.ts and its parts)

  /** @internal */
  get internals() {
    return {
      opts: this.opts,
      conversation: this.conversation,
      baseInstructions: () => this.opts.baseInstructions || this.context.baseInstructions(),
      /** The context items for a turn starting now with the session's settings (and remembers them as told). */
      contextItems: (now: Date) => {
        const next: ContextSettings = { cwd: this.settings.cwd, approvalPolicy: this.settings.approvalPolicy, sandboxMode: this.settings.sandboxMode };
        const items = this.context.items(next, this.told, now);
        this.told = next;
        return items;
      },
      addUsage: (u: TokenUsage) => {
        this.last = u;
        this.totals = addUsage(this.totals, u);
        return { total: { ...this.totals }, last: { ...u } };
      },
    };
  }
}
