// A turn's model rounds: each builds a request from the conversation so far, streams the model's
// response and turns it into items and notifications (agent message deltas, reasoning, web
// searches, function calls), and hands back the function calls for the turn to run. Usage from
// each response adds to the thread's totals. A stream that breaks with a retryable error is
// re-sent, up to the provider's stream retries, with an `error` notification (willRetry) before
// each attempt.
import type { JsonObject } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import type { RolloutItem } from "../store/types.js";
import { turnErrorFrom } from "../history/turn-error.js";
import { uuidv7 } from "./ids.js";
import { defaultBackoffMs, ModelError, type ModelRequest } from "./model-client.js";
import { fallbackModelInfo, type ModelInfo } from "./model-info.js";
import * as R from "./rollout-items.js";
import type { AgentSession } from "./session.js";
import { usageBreakdown, type TokenUsage } from "./token-usage.js";
import type { ToolCalls } from "./tool-calls.js";
import type { TurnControl } from "./turn-control.js";
import type { TurnOutput } from "./turn-output.js";


/** An output item announced (item/started) and not yet done. */
interface OpenItem {
  kind: "agent" | "reasoning" | "web";
  id: string;
  startedAtMs: number;
}

/** The empty items `item/started` announces before their content streams. */
/** An agent message as it starts; the phase the model announced with it shows from the start, as in Codex. */
const agentMessageCore = (id: string, phase?: unknown): JsonObject => (typeof phase === "string" ? { type: "AgentMessage", id, content: [], phase } : { type: "AgentMessage", id, content: [] });
const reasoningCore = (id: string): JsonObject => ({ type: "Reasoning", id, summary_text: [], raw_content: [] });

const itemIdOf = (item: JsonObject, prefix: string) => (typeof item.id === "string" && item.id !== "" ? item.id : `${prefix}_${uuidv7()}`);

export class ModelRounds {
  /** From the turn's start to its first streamed token, once there was one. */
  firstTokenMs: number | null = null;
  /** The text and item of the turn's last agent message (the turn's result reports them). */
  lastAgentMessage: string | null = null;
  lastAgentItem: ThreadItem | null = null;

  constructor(
    private readonly session: AgentSession,
    private readonly control: TurnControl,
    private readonly output: TurnOutput,
    private readonly calls: ToolCalls,
    private readonly now: () => number,
    /** Milliseconds since the turn started. */
    private readonly elapsedMs: () => number,
  ) {}

  private get threadId(): string {
    return this.output.threadId;
  }
  private get turnId(): string {
    return this.output.turnId;
  }

  /** One model response (re-sent after a broken stream, up to the provider's stream retries); returns its function calls. */
  async next(): Promise<JsonObject[]> {
    const opts = this.session.internals.opts;
    const client = opts.client;
    const backoff = opts.streamRetryBackoffMs ?? defaultBackoffMs;
    const ids = { threadId: this.threadId, turnId: this.turnId };
    for (let attempt = 0; ; attempt++) {
      opts.onTelemetry?.({ type: "samplingStarted", ...ids, atMs: this.now(), attempt });
      try {
        const response = { id: null as string | null };
        const calls = await this.streamOnce(response);
        opts.onTelemetry?.({ type: "samplingEnded", ...ids, atMs: this.now(), ok: true, responseId: response.id, callIds: calls.map((c) => String(c.call_id)) });
        return calls;
      } catch (e) {
        opts.onTelemetry?.({ type: "samplingEnded", ...ids, atMs: this.now(), ok: false, responseId: null, callIds: [] });
        if (this.control.stopped || !(e instanceof ModelError) || !e.retryable || attempt >= client.streamMaxRetries) throw e;
        const err = turnErrorFrom({ message: `Reconnecting... ${attempt + 1}/${client.streamMaxRetries}`, codex_error_info: e.codexErrorInfo });
        err.additionalDetails = e.message;
        this.output.notify({ method: "error", params: { error: err, willRetry: true, threadId: this.threadId, turnId: this.turnId } });
        await this.control.sleep(backoff(attempt + 1));
      }
    }
  }

  private modelInfo: { model: string; info: Promise<ModelInfo> } | null = null;

  private infoFor(model: string): Promise<ModelInfo> {
    const client = this.session.internals.opts.client;
    if (this.modelInfo?.model !== model) this.modelInfo = { model, info: client.modelInfo ? client.modelInfo(model).catch(() => fallbackModelInfo(model)) : Promise.resolve(fallbackModelInfo(model)) };
    return this.modelInfo.info;
  }

  private async request(): Promise<ModelRequest> {
    const s = this.session.settings;
    const internals = this.session.internals;
    const info = await this.infoFor(s.model);
    // base instructions travel as the first developer message; they are not part of the recorded conversation
    const base = { type: "message", role: "developer", content: [{ type: "input_text", text: internals.baseInstructions() }] };
    const req: ModelRequest = {
      model: s.model,
      input: [base, ...internals.conversation.input()],
      tools: this.session.tools.specs({ sandboxMode: s.sandboxMode }),
      tool_choice: "auto",
      parallel_tool_calls: true,
    };
    if (info.supportsReasoningSummaries) {
      const r: JsonObject = {};
      const effort = s.reasoningEffort ?? info.defaultReasoningEffort;
      if (effort) r.effort = effort;
      if (s.reasoningSummary && s.reasoningSummary !== "none") r.summary = s.reasoningSummary;
      req.reasoning = r;
    }
    req.store = false;
    if (info.supportsEncryptedReasoning) req.include = ["reasoning.encrypted_content"];
    req.prompt_cache_key = this.threadId;
    req.client_metadata = this.clientMetadata();
    return req;
  }

  /** Who is asking, for the provider's logs and caching: the thread (session), the turn and its chain. Spool's own ids, no client identity. */
  private clientMetadata(): JsonObject {
    return { session_id: this.threadId, thread_id: this.threadId, turn_id: this.turnId, root_turn_id: this.session.activeTurn?.rootTurnId ?? this.turnId };
  }

  private async streamOnce(response: { id: string | null }): Promise<JsonObject[]> {
    const calls: JsonObject[] = [];
    const open = new Map<string, OpenItem>();
    let currentMessage: string | null = null;
    const firstToken = () => {
      if (this.firstTokenMs === null) this.firstTokenMs = this.elapsedMs();
    };
    const startAgent = (id: string, phase?: unknown) => {
      if (open.has(id)) return;
      const at = this.now();
      open.set(id, { kind: "agent", id, startedAtMs: at });
      currentMessage = id;
      this.output.itemStarted(R.threadItem(agentMessageCore(id, phase), at, null), at);
    };
    const startReasoning = (id: string) => {
      if (open.has(id)) return;
      const at = this.now();
      open.set(id, { kind: "reasoning", id, startedAtMs: at });
      this.output.itemStarted(R.threadItem(reasoningCore(id), at, null), at);
    };

    const ids = { threadId: this.threadId, turnId: this.turnId };
    for await (const ev of this.session.internals.opts.client.stream(await this.request(), { signal: this.control.signal, threadId: this.threadId })) {
      switch (ev.type) {
        case "created":
          response.id = ev.responseId ?? response.id;
          break;
        case "outputItemAdded": {
          const it = ev.item;
          if (it.type === "message" && it.role === "assistant") startAgent(itemIdOf(it, "msg"), it.phase);
          else if (it.type === "reasoning" && typeof it.id === "string") startReasoning(it.id);
          break;
        }
        case "outputTextDelta": {
          firstToken();
          const id = ev.itemId ?? currentMessage ?? `msg_${uuidv7()}`;
          startAgent(id);
          this.output.notify({ method: "item/agentMessage/delta", params: { ...ids, itemId: id, delta: ev.delta } });
          break;
        }
        case "reasoningSummaryPartAdded":
          if (ev.itemId) {
            startReasoning(ev.itemId);
            this.output.notify({ method: "item/reasoning/summaryPartAdded", params: { ...ids, itemId: ev.itemId, summaryIndex: ev.summaryIndex } });
          }
          break;
        case "reasoningSummaryDelta":
          firstToken();
          if (ev.itemId) {
            startReasoning(ev.itemId);
            this.output.notify({ method: "item/reasoning/summaryTextDelta", params: { ...ids, itemId: ev.itemId, delta: ev.delta, summaryIndex: ev.summaryIndex } });
          }
          break;
        case "reasoningTextDelta":
          firstToken();
          if (ev.itemId) {
            startReasoning(ev.itemId);
            this.output.notify({ method: "item/reasoning/textDelta", params: { ...ids, itemId: ev.itemId, delta: ev.delta, contentIndex: ev.contentIndex } });
          }
          break;
        case "outputItemDone":
          firstToken();
          await this.outputItemDone(ev.item, open, () => currentMessage, calls);
          break;
        case "completed":
          response.id = ev.responseId ?? response.id;
          if (ev.usage) await this.usage(ev.usage);
          break;
      }
    }
    return calls;
  }

  /** A response's usage: added to the thread's totals, recorded (token_count) and announced. */
  private async usage(usage: TokenUsage): Promise<void> {
    const contextWindow = this.session.settings.contextWindow;
    const u = this.session.internals.addUsage(usage);
    await this.output.emit([R.tokenCount(u.total, u.last, contextWindow)]);
    this.output.notify({
      method: "thread/tokenUsage/updated",
      params: { threadId: this.threadId, turnId: this.turnId, tokenUsage: { total: usageBreakdown(u.total), last: usageBreakdown(u.last), modelContextWindow: contextWindow } },
    });
  }

  private async outputItemDone(item: JsonObject, open: Map<string, OpenItem>, currentMessage: () => string | null, calls: JsonObject[]): Promise<void> {
    /** When the item started: when it was announced, else now (announcing it first: it arrived whole). */
    const startOf = (id: string, core: JsonObject, at: number): number => {
      let start = open.get(id)?.startedAtMs;
      if (start === undefined) {
        start = at;
        this.output.itemStarted(R.threadItem(core, at, null), at);
      }
      open.delete(id);
      return start;
    };
    switch (item.type) {
      case "message": {
        if (item.role !== "assistant") {
          await this.output.emit([R.ri(item)]);
          return;
        }
        const id = typeof item.id === "string" && item.id !== "" ? item.id : currentMessage() ?? `msg_${uuidv7()}`;
        const at = this.now();
        const start = startOf(id, agentMessageCore(id), at);
        const built = R.agentMessage(this.threadId, this.turnId, id, item, start, at);
        this.lastAgentMessage = built.text;
        this.lastAgentItem = built.item;
        await this.output.completed(built, at);
        return;
      }
      case "reasoning": {
        const id = itemIdOf(item, "rs");
        const at = this.now();
        const start = startOf(id, reasoningCore(id), at);
        await this.output.completed(R.reasoning(this.threadId, this.turnId, id, item, start, at), at);
        return;
      }
      case "web_search_call": {
        const id = itemIdOf(item, "ws");
        const at = this.now();
        const built = R.webSearch(this.threadId, this.turnId, id, item, at, at);
        this.output.itemStarted(built.started, at);
        await this.output.completed(built, at);
        return;
      }
      case "function_call":
      case "custom_tool_call":
      case "local_shell_call": {
        const callId = typeof item.call_id === "string" ? item.call_id : typeof item.id === "string" ? item.id : `call_${uuidv7()}`;
        const rec = typeof item.call_id === "string" ? item : { ...item, call_id: callId };
        await this.output.emit([R.ri(rec)]);
        this.calls.recorded(callId, item.type === "custom_tool_call");
        calls.push(rec);
        return;
      }
      default:
        // other hosted-tool output (image generation, tool search…): kept in the conversation
        if (typeof item.type === "string") await this.output.emit([R.ri(item)]);
    }
  }
}
