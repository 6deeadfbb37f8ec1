// The analytics reducer: facts in, events (and warnings) out. Pure: no clock, no I/O, no
// randomness; the same facts always give the same events, so it is tested by feeding facts.
//
// It owns ONE map of per-thread state, shared by every event family: the thread's connection
// and originator (whose client and runtime its events carry), its metadata (session, source,
// subagent parent, how it was initialized), its effective settings, and the turn, item and
// review state of that thread. Connections (from `initialize`), pending client requests and
// pending server requests are the only other maps: they are keyed by connection and request,
// not by thread.
//
// Context rules (after Codex's reducer):
//   - a thread-scoped event needs a connection for the thread (its own, or its nearest subagent
//     ancestor's), that connection's initialize, and the thread's metadata; when one is missing
//     the event is dropped with a warning naming what was missing and the ids involved;
//   - a thread/start|resume|fork answer on a connection that never initialized registers
//     nothing and emits nothing (silently, as Codex does);
//   - archive events are always emitted; their context blocks are left out when unknown;
//   - subagent threads carry their own lineage (session, sources, parent) but their ancestor
//     connection's client and runtime; the ancestor is resolved when an event is built, so a
//     child registered before its parent's thread/start still resolves later.
import type {
  AnalyticsFact,
  ClientErrorResponseFact,
  ClientRequestFact,
  ClientResponseFact,
  GoalFact,
  InitializeFact,
  ItemCompletedFact,
  ItemStartedFact,
  RuntimeMetadata,
  ServerRequestAbortedFact,
  ServerRequestFact,
  ServerResponseFact,
  SubagentThreadStartedFact,
  ThreadLifecycleFact,
  ThreadTokenUsageFact,
  TokenUsage,
  TurnCompletedFact,
  TurnProfileFact,
  TurnResolvedConfigFact,
  TurnStartedFact,
} from "./facts.js";
import {
  ARCHIVE_REPORTED_SOURCES,
  GOAL_EVENT,
  REVIEW_EVENT,
  THREAD_ARCHIVE,
  THREAD_INITIALIZED,
  TURN_EVENT,
  TURN_STEER,
  type AppServerClientMetadata,
  type Lineage,
  type TrackEvent,
} from "./events.js";
import { countInputImages, type ApprovalDecision, type ClientErrorType, type ThreadSessionResult } from "./protocol.js";
import { TOOL_EVENT_TYPES, executionDurationMs, terminalStatus, toolExtras, toolName, turnCounter, type ToolItem } from "./tool-items.js";

// ---------------------------------------------------------------- warnings

export type MissingContext = "thread_connection" | "connection" | "thread_metadata" | "item_started";

export interface AnalyticsWarning {
  /** The event that was dropped. */
  event: string;
  missing: MissingContext;
  message: string;
  thread_id?: string;
  turn_id?: string;
  item_id?: string;
  review_id?: string;
  connection_id?: number;
}

export interface ReduceOutput {
  events: TrackEvent[];
  warnings: AnalyticsWarning[];
}

// ---------------------------------------------------------------- state

interface ConnectionState {
  client: AppServerClientMetadata;
  runtime: RuntimeMetadata;
}

interface ThreadMetadata {
  sessionId: string;
  threadSource: string | null;
  initializationMode: "new" | "resumed" | "forked";
  subagentSource: string | null;
  parentThreadId: string | null;
  forkedFromThreadId: string | null;
  model: string | null;
  ephemeral: boolean;
}

/** The thread's effective settings, from its start/resume/fork answer (turn defaults). */
interface ThreadSettings {
  model: string | null;
  modelProvider: string | null;
  serviceTier: string | null;
  approvalPolicy: string | null;
  approvalsReviewer: string | null;
  sandboxPolicy: string | null;
  sandboxNetworkAccess: boolean;
  reasoningEffort: string | null;
}

type ToolCounts = Record<ReturnType<typeof turnCounter>, number>;

interface TurnState {
  rootTurnId: string | null;
  connectionId: number | null;
  numInputImages: number | null;
  startedAt: number | null;
  /** Thread total before this turn's first usage update; null when unknown. */
  usageBaseline: TokenUsage | null;
  usageBaselineSet: boolean;
  usage: TokenUsage | null;
  usageExplicit: boolean;
  resolved: TurnResolvedConfigFact | null;
  profile: TurnProfileFact | null;
  steerCount: number;
  interruptRequestedAtMs: number | null;
  counts: ToolCounts;
  /** The turn event was emitted; the state stays while tool items of the turn are pending. */
  emitted: boolean;
}

interface StartedItem {
  startedAtMs: number;
}

interface ReviewSummary {
  reviewCount: number;
  userReviewCount: number;
  guardianReviewCount: number;
  finalOutcome: string;
  requestedAdditionalPermissions: boolean;
  requestedNetworkAccess: boolean;
}

/** Everything analytics knows about one thread. */
export interface ThreadState {
  connectionId: number | null;
  originator: string | null;
  metadata: ThreadMetadata | null;
  settings: ThreadSettings | null;
  /** The thread's cumulative usage as last reported. */
  lastTotalUsage: TokenUsage | null;
  turnsCompleted: number;
  turns: Map<string, TurnState>;
  /** Started tool items, by `turnId \0 itemId`. */
  items: Map<string, StartedItem>;
  /** Terminal reviews of tool items, by `turnId \0 itemId`. */
  reviews: Map<string, ReviewSummary>;
}

type PendingClientRequest =
  | { type: "turn_start"; threadId: string; numInputImages: number }
  | { type: "turn_steer"; threadId: string; expectedTurnId: string | null; numInputImages: number; atMs: number }
  | { type: "turn_interrupt"; threadId: string; turnId: string };

interface PendingReview {
  reviewId: string;
  threadId: string;
  turnId: string;
  itemId: string;
  subjectKind: "command_execution" | "file_change" | "permissions";
  subjectName: string;
  trigger: "initial" | "network_policy_denial";
  startedAtMs: number;
  requestedAdditionalPermissions: boolean;
  requestedNetworkAccess: boolean;
  /** Connections the request was written to (the original, then replays). */
  connectionIds: number[];
}

export interface ReducerLimits {
  /** Threads kept (least recently touched are forgotten first). */
  maxThreads: number;
  /** Pending client requests and pending server requests, each. */
  maxPending: number;
  /** Turns and started items per thread. */
  maxPerThread: number;
}

const DEFAULT_LIMITS: ReducerLimits = { maxThreads: 10_000, maxPending: 4096, maxPerThread: 1024 };

const zeroCounts = (): ToolCounts => ({
  shell_command_count: 0,
  file_change_count: 0,
  mcp_tool_call_count: 0,
  dynamic_tool_call_count: 0,
  subagent_tool_call_count: 0,
  web_search_count: 0,
  image_generation_count: 0,
});

const itemKey = (turnId: string, itemId: string) => `${turnId}\u0000${itemId}`;
const requestKey = (connectionId: number, requestId: string | number) => `${connectionId}\u0000${typeof requestId}:${String(requestId)}`;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

function setCapped<K, V>(m: Map<K, V>, k: K, v: V, cap: number): void {
  m.delete(k);
  m.set(k, v);
  while (m.size > cap) m.delete(m.keys().next().value as K);
}

// ---------------------------------------------------------------- source mapping

/** The SubAgentSource name of a v2 SessionSource `{subAgent: …}`, and its spawn parent. */
export function subagentOf(source: unknown): { name: string; parentThreadId: string | null } | null {
  if (!isObj(source)) return null;
  const sub = source.subAgent ?? source.sub_agent ?? source.subagent;
  if (sub === undefined) return null;
  if (typeof sub === "string") return { name: snake(sub), parentThreadId: null };
  if (isObj(sub)) {
    const spawn = sub.thread_spawn ?? sub.threadSpawn;
    if (isObj(spawn)) {
      const p = spawn.parent_thread_id ?? spawn.parentThreadId;
      return { name: "thread_spawn", parentThreadId: typeof p === "string" ? p : null };
    }
    if (typeof sub.other === "string") return { name: sub.other, parentThreadId: null };
    const k = Object.keys(sub)[0];
    if (k) return { name: snake(k), parentThreadId: null };
  }
  return { name: "other", parentThreadId: null };
}

/**
 * The analytics thread_source: the thread's own ThreadSource when it has one (`user`,
 * `subagent`, `memory_consolidation` or a feature's label such as `automation`), else derived
 * from the session source: interactive sources are `user`, subagents `subagent` (or
 * `memory_consolidation`), anything else unknown.
 */
export function threadSourceName(threadSource: string | null, source: unknown): string | null {
  if (threadSource) return threadSource;
  if (source === "cli" || source === "vscode" || source === "exec" || source === "appServer" || source === "app_server") return "user";
  const sub = subagentOf(source);
  if (sub) return sub.name === "memory_consolidation" ? "memory_consolidation" : "subagent";
  return null;
}

function sandboxPolicyName(t: string | null | undefined): string | null {
  switch (t) {
    case "dangerFullAccess":
    case "danger-full-access":
      return "full_access";
    case "externalSandbox":
      return "external_sandbox";
    case "readOnly":
    case "read-only":
      return "read_only";
    case "workspaceWrite":
    case "workspace-write":
      return "workspace_write";
    default:
      return null;
  }
}

function settingsFrom(r: ThreadSessionResult): ThreadSettings {
  const sb = r.sandbox;
  let network = false;
  if (sb) {
    if (sb.type === "dangerFullAccess") network = true;
    else if (typeof sb.networkAccess === "boolean") network = sb.networkAccess;
    else if (sb.networkAccess === "enabled") network = true;
  }
  const ap = r.approvalPolicy;
  return {
    model: r.model ?? r.thread.model,
    modelProvider: r.modelProvider ?? r.thread.modelProvider,
    serviceTier: r.serviceTier,
    approvalPolicy: typeof ap === "string" ? ap : isObj(ap) ? (Object.keys(ap)[0] ?? null) : null,
    approvalsReviewer: r.approvalsReviewer,
    sandboxPolicy: sandboxPolicyName(sb?.type),
    sandboxNetworkAccess: network,
    reasoningEffort: r.reasoningEffort,
  };
}

/** CodexErrorInfo -> (kind, http status). */
function errorKind(info: unknown): { kind: string | null; http: number | null } {
  if (typeof info === "string") return { kind: snake(info), http: null };
  if (isObj(info)) {
    const k = Object.keys(info)[0];
    if (!k) return { kind: null, http: null };
    const body = info[k];
    const http = isObj(body) && typeof body.httpStatusCode === "number" ? body.httpStatusCode : null;
    return { kind: snake(k), http };
  }
  return { kind: null, http: null };
}

function steerRejection(errorType: ClientErrorType | null, message: string): ClientErrorType | null {
  if (errorType) return errorType;
  if (/no active turn/i.test(message)) return "no_active_turn";
  if (/expected active turn id/i.test(message)) return "expected_turn_mismatch";
  if (/review/i.test(message) && /steer/i.test(message)) return "non_steerable_review";
  if (/compact/i.test(message) && /steer/i.test(message)) return "non_steerable_compact";
  return null;
}

function decisionOutcome(d: ApprovalDecision): { status: "approved" | "denied" | "aborted"; resolution: string } {
  if (d === "accept") return { status: "approved", resolution: "none" };
  if (d === "acceptForSession") return { status: "approved", resolution: "session_approval" };
  if (d === "decline") return { status: "denied", resolution: "none" };
  if (d === "cancel") return { status: "aborted", resolution: "none" };
  if ("acceptWithExecpolicyAmendment" in d) return { status: "approved", resolution: "exec_policy_amendment" };
  return { status: d.applyNetworkPolicyAmendment.action === "deny" ? "denied" : "approved", resolution: "network_policy_amendment" };
}

function userOutcome(status: string, resolution: string): string {
  if (status === "approved") return resolution === "session_approval" ? "user_approved_for_session" : "user_approved";
  if (status === "denied") return "user_denied";
  return "user_aborted";
}

function sub(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    input_tokens: a.input_tokens - b.input_tokens,
    cached_input_tokens: a.cached_input_tokens - b.cached_input_tokens,
    cache_write_input_tokens: a.cache_write_input_tokens - b.cache_write_input_tokens,
    output_tokens: a.output_tokens - b.output_tokens,
    reasoning_output_tokens: a.reasoning_output_tokens - b.reasoning_output_tokens,
    total_tokens: a.total_tokens - b.total_tokens,
  };
}

function add(a: TokenUsage | null, b: TokenUsage): TokenUsage {
  if (!a) return { ...b };
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    cached_input_tokens: a.cached_input_tokens + b.cached_input_tokens,
    cache_write_input_tokens: a.cache_write_input_tokens + b.cache_write_input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    reasoning_output_tokens: a.reasoning_output_tokens + b.reasoning_output_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

// ---------------------------------------------------------------- the reducer

interface Context {
  lineage: Lineage;
  metadata: ThreadMetadata;
  connectionId: number;
}

type Ids = { thread_id: string; turn_id?: string; item_id?: string; review_id?: string };

export class AnalyticsReducer {
  private readonly connections = new Map<number, ConnectionState>();
  /** The one map of per-thread state. */
  private readonly threads = new Map<string, ThreadState>();
  private readonly requests = new Map<string, PendingClientRequest>();
  private readonly pendingReviews = new Map<string, PendingReview>();
  private readonly limits: ReducerLimits;

  constructor(limits: Partial<ReducerLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Folds one fact in; appends the events it completes (and any warnings) to `out`. */
  ingest(fact: AnalyticsFact, out: ReduceOutput = { events: [], warnings: [] }): ReduceOutput {
    switch (fact.kind) {
      case "initialize":
        this.onInitialize(fact);
        break;
      case "client_request":
        this.onClientRequest(fact);
        break;
      case "client_response":
        this.onClientResponse(fact, out);
        break;
      case "client_error_response":
        this.onClientError(fact, out);
        break;
      case "server_request":
        this.onServerRequest(fact);
        break;
      case "server_response":
        this.onServerResponse(fact, out);
        break;
      case "server_request_aborted":
        this.onServerRequestAborted(fact, out);
        break;
      case "thread_lifecycle":
        this.onThreadLifecycle(fact, out);
        break;
      case "turn_started":
        this.onTurnStarted(fact);
        break;
      case "turn_completed":
        this.onTurnCompleted(fact, out);
        break;
      case "thread_token_usage":
        this.onThreadTokenUsage(fact);
        break;
      case "turn_token_usage": {
        const t = this.turn(fact.threadId, fact.turnId);
        t.usage = { ...fact.usage };
        t.usageExplicit = true;
        break;
      }
      case "turn_resolved_config":
        this.turn(fact.threadId, fact.turnId).resolved = fact;
        break;
      case "turn_profile":
        this.turn(fact.threadId, fact.turnId).profile = fact;
        break;
      case "item_started":
        this.onItemStarted(fact);
        break;
      case "item_completed":
        this.onItemCompleted(fact, out);
        break;
      case "subagent_thread_started":
        this.onSubagentStarted(fact, out);
        break;
      case "goal":
        this.onGoal(fact, out);
        break;
    }
    return out;
  }

  /** A read-only look at a thread's state (tests, debugging). */
  thread(threadId: string): Readonly<ThreadState> | undefined {
    return this.threads.get(threadId);
  }

  get sizes(): { connections: number; threads: number; pendingRequests: number; pendingReviews: number } {
    return { connections: this.connections.size, threads: this.threads.size, pendingRequests: this.requests.size, pendingReviews: this.pendingReviews.size };
  }

  // -------------------------------------------------------------- thread state

  private ensureThread(threadId: string): ThreadState {
    let t = this.threads.get(threadId);
    if (t) {
      // Most recently touched last: the least recently touched thread is forgotten first.
      this.threads.delete(threadId);
      this.threads.set(threadId, t);
      return t;
    }
    t = {
      connectionId: null,
      originator: null,
      metadata: null,
      settings: null,
      lastTotalUsage: null,
      turnsCompleted: 0,
      turns: new Map(),
      items: new Map(),
      reviews: new Map(),
    };
    setCapped(this.threads, threadId, t, this.limits.maxThreads);
    return t;
  }

  private turn(threadId: string, turnId: string): TurnState {
    const th = this.ensureThread(threadId);
    let t = th.turns.get(turnId);
    if (!t) {
      t = {
        rootTurnId: null,
        connectionId: null,
        numInputImages: null,
        startedAt: null,
        usageBaseline: null,
        usageBaselineSet: false,
        usage: null,
        usageExplicit: false,
        resolved: null,
        profile: null,
        steerCount: 0,
        interruptRequestedAtMs: null,
        counts: zeroCounts(),
        emitted: false,
      };
      setCapped(th.turns, turnId, t, this.limits.maxPerThread);
    }
    return t;
  }

  /** The connection whose client a thread's events carry: its own, else its nearest ancestor's. */
  private resolveConnection(threadId: string): number | null {
    const seen = new Set<string>();
    let id: string | null = threadId;
    while (id !== null && !seen.has(id)) {
      seen.add(id);
      const t = this.threads.get(id);
      if (!t) return null;
      if (t.connectionId !== null) return t.connectionId;
      id = t.metadata?.parentThreadId ?? null;
    }
    return null;
  }

  private clientFor(threadId: string, conn: ConnectionState): AppServerClientMetadata {
    const originator = this.threads.get(threadId)?.originator;
    return originator ? { ...conn.client, product_client_id: originator } : conn.client;
  }

  /**
   * The context a thread-scoped event needs, or null after a warning naming what is missing.
   * `connectionId` overrides the thread's connection (a turn's own, a review's responder).
   */
  private context(event: string, ids: Ids, out: ReduceOutput, connectionId?: number | null): Context | null {
    const threadId = ids.thread_id;
    const warn = (missing: MissingContext, message: string, extra: { connection_id?: number } = {}) => {
      out.warnings.push({ event, missing, message: `dropping ${event}: ${message}`, ...ids, ...extra });
      return null;
    };
    const connId = connectionId ?? this.resolveConnection(threadId);
    if (connId === null) return warn("thread_connection", `no connection for thread ${threadId} (no thread/start, thread/resume or thread/fork answer on an initialized connection, and no subagent ancestor with one)`);
    const conn = this.connections.get(connId);
    if (!conn) return warn("connection", `connection ${connId} of thread ${threadId} never sent initialize`, { connection_id: connId });
    const metadata = this.threads.get(threadId)?.metadata;
    if (!metadata) return warn("thread_metadata", `no metadata for thread ${threadId} (its start, resume or fork was not observed)`, { connection_id: connId });
    return {
      connectionId: connId,
      metadata,
      lineage: {
        session_id: metadata.sessionId,
        app_server_client: this.clientFor(threadId, conn),
        runtime: conn.runtime,
        thread_source: metadata.threadSource,
        subagent_source: metadata.subagentSource,
        parent_thread_id: metadata.parentThreadId,
      },
    };
  }

  // -------------------------------------------------------------- connections and requests

  private onInitialize(f: InitializeFact): void {
    this.connections.set(f.connectionId, {
      client: {
        product_client_id: f.productClientId,
        client_name: f.clientName,
        client_version: f.clientVersion,
        rpc_transport: f.transport,
        experimental_api_enabled: f.experimentalApi,
      },
      runtime: f.runtime,
    });
  }

  private onClientRequest(f: ClientRequestFact): void {
    const key = requestKey(f.connectionId, f.requestId);
    const r = f.request;
    switch (r.method) {
      case "turn/start":
        setCapped(this.requests, key, { type: "turn_start", threadId: r.params.threadId, numInputImages: countInputImages(r.params.input) }, this.limits.maxPending);
        break;
      case "turn/steer":
        setCapped(
          this.requests,
          key,
          { type: "turn_steer", threadId: r.params.threadId, expectedTurnId: r.params.expectedTurnId, numInputImages: countInputImages(r.params.input), atMs: f.atMs },
          this.limits.maxPending,
        );
        break;
      case "turn/interrupt": {
        if (!r.params.turnId) break;
        // The interrupt answer is held until the turn has completed, so the request time is
        // recorded on the turn now, while its event can still carry it.
        const t = this.turn(r.params.threadId, r.params.turnId);
        t.interruptRequestedAtMs = t.interruptRequestedAtMs === null ? f.atMs : Math.min(t.interruptRequestedAtMs, f.atMs);
        setCapped(this.requests, key, { type: "turn_interrupt", threadId: r.params.threadId, turnId: r.params.turnId }, this.limits.maxPending);
        break;
      }
    }
  }

  private takeRequest(connectionId: number, requestId: string | number): PendingClientRequest | undefined {
    const key = requestKey(connectionId, requestId);
    const r = this.requests.get(key);
    this.requests.delete(key);
    return r;
  }

  private onClientResponse(f: ClientResponseFact, out: ReduceOutput): void {
    const r = f.response;
    switch (r.method) {
      case "thread/start":
      case "thread/resume":
      case "thread/fork": {
        // Codex registers nothing for a connection that never initialized.
        if (!this.connections.has(f.connectionId)) return;
        const th = r.result.thread;
        const state = this.ensureThread(th.id);
        const subagent = subagentOf(th.source);
        state.connectionId = f.connectionId;
        if (f.threadOriginator) state.originator = f.threadOriginator;
        state.metadata = {
          sessionId: th.sessionId,
          threadSource: threadSourceName(th.threadSource, th.source),
          initializationMode: r.method === "thread/start" ? "new" : r.method === "thread/resume" ? "resumed" : "forked",
          subagentSource: subagent?.name ?? null,
          parentThreadId: th.parentThreadId ?? subagent?.parentThreadId ?? null,
          forkedFromThreadId: th.forkedFromId,
          model: r.result.model ?? th.model,
          ephemeral: th.ephemeral,
        };
        state.settings = settingsFrom(r.result);
        const ctx = this.context(THREAD_INITIALIZED, { thread_id: th.id }, out);
        if (!ctx) return;
        out.events.push({
          event_type: THREAD_INITIALIZED,
          event_params: {
            thread_id: th.id,
            session_id: ctx.metadata.sessionId,
            app_server_client: ctx.lineage.app_server_client,
            runtime: ctx.lineage.runtime,
            model: ctx.metadata.model ?? "",
            ephemeral: ctx.metadata.ephemeral,
            thread_source: ctx.metadata.threadSource,
            initialization_mode: ctx.metadata.initializationMode,
            subagent_source: ctx.metadata.subagentSource,
            parent_thread_id: ctx.metadata.parentThreadId,
            forked_from_thread_id: ctx.metadata.forkedFromThreadId,
            created_at: th.createdAt,
          },
        });
        return;
      }
      case "turn/start": {
        const pending = this.takeRequest(f.connectionId, f.requestId);
        if (pending?.type !== "turn_start") return;
        const t = this.turn(pending.threadId, r.result.turn.id);
        t.connectionId = f.connectionId;
        t.numInputImages = pending.numInputImages;
        return;
      }
      case "turn/steer": {
        const pending = this.takeRequest(f.connectionId, f.requestId);
        if (pending?.type !== "turn_steer") return;
        this.turn(pending.threadId, r.result.turnId).steerCount++;
        this.emitSteer(pending, r.result.turnId, null, out);
        return;
      }
      case "turn/interrupt":
        this.takeRequest(f.connectionId, f.requestId);
        return;
    }
  }

  private onClientError(f: ClientErrorResponseFact, out: ReduceOutput): void {
    const pending = this.takeRequest(f.connectionId, f.requestId);
    if (pending?.type !== "turn_steer") return;
    this.emitSteer(pending, null, steerRejection(f.errorType, f.error.message), out);
  }

  private emitSteer(p: Extract<PendingClientRequest, { type: "turn_steer" }>, acceptedTurnId: string | null, rejection: ClientErrorType | null, out: ReduceOutput): void {
    const ctx = this.context(TURN_STEER, { thread_id: p.threadId, ...(p.expectedTurnId ? { turn_id: p.expectedTurnId } : {}) }, out);
    if (!ctx) return;
    out.events.push({
      event_type: TURN_STEER,
      event_params: {
        thread_id: p.threadId,
        session_id: ctx.lineage.session_id,
        expected_turn_id: p.expectedTurnId,
        accepted_turn_id: acceptedTurnId,
        app_server_client: ctx.lineage.app_server_client,
        runtime: ctx.lineage.runtime,
        thread_source: ctx.lineage.thread_source,
        subagent_source: ctx.lineage.subagent_source,
        parent_thread_id: ctx.lineage.parent_thread_id,
        num_input_images: p.numInputImages,
        result: acceptedTurnId !== null ? "accepted" : "rejected",
        rejection_reason: acceptedTurnId !== null ? null : rejection,
        created_at: Math.floor(p.atMs / 1000),
      },
    });
  }

  // -------------------------------------------------------------- server requests (reviews)

  private onServerRequest(f: ServerRequestFact): void {
    const r = f.request;
    if (r.method === "item/tool/requestUserInput") return; // not a review
    const key = `${typeof r.id}:${String(r.id)}`;
    const existing = this.pendingReviews.get(key);
    if (existing) {
      // A replay (or another targeted copy) of a pending request: same review, one more connection.
      if (!existing.connectionIds.includes(f.connectionId)) existing.connectionIds.push(f.connectionId);
      return;
    }
    const p = r.params;
    let subjectKind: PendingReview["subjectKind"];
    let subjectName: string;
    let trigger: PendingReview["trigger"] = "initial";
    let network = false;
    let extra = false;
    if (r.method === "item/commandExecution/requestApproval") {
      subjectKind = "command_execution";
      subjectName = "command_execution";
      network = r.params.networkApproval;
      extra = r.params.additionalPermissions;
      if (network) trigger = "network_policy_denial";
    } else if (r.method === "item/fileChange/requestApproval") {
      subjectKind = "file_change";
      subjectName = "apply_patch";
    } else {
      subjectKind = "permissions";
      subjectName = "permissions";
      extra = true;
    }
    setCapped(
      this.pendingReviews,
      key,
      {
        reviewId: `user:${String(r.id)}`,
        threadId: p.threadId,
        turnId: p.turnId,
        itemId: p.itemId,
        subjectKind,
        subjectName,
        trigger,
        startedAtMs: p.startedAtMs ?? f.atMs,
        requestedAdditionalPermissions: extra,
        requestedNetworkAccess: network,
        connectionIds: [f.connectionId],
      },
      this.limits.maxPending,
    );
  }

  private takeReview(id: string | number): PendingReview | undefined {
    const key = `${typeof id}:${String(id)}`;
    const r = this.pendingReviews.get(key);
    this.pendingReviews.delete(key);
    return r;
  }

  private onServerResponse(f: ServerResponseFact, out: ReduceOutput): void {
    const r = f.response;
    if (r.method === "item/tool/requestUserInput") return;
    const review = this.takeReview(r.id);
    if (!review) return; // unknown, or already answered/aborted: the first terminal signal wins
    let outcome: { status: "approved" | "denied" | "aborted"; resolution: string };
    if (r.method === "item/permissions/requestApproval") {
      outcome = !r.result.granted ? { status: "denied", resolution: "none" } : r.result.scope === "session" ? { status: "approved", resolution: "session_approval" } : { status: "approved", resolution: "none" };
    } else {
      outcome = decisionOutcome(r.result.decision);
    }
    this.finishReview(review, outcome.status, outcome.resolution, f.completedAtMs, f.connectionId, out);
  }

  private onServerRequestAborted(f: ServerRequestAbortedFact, out: ReduceOutput): void {
    const review = this.takeReview(f.requestId);
    if (!review) return;
    this.finishReview(review, "aborted", "none", f.completedAtMs, null, out);
  }

  private finishReview(review: PendingReview, status: string, resolution: string, completedAtMs: number, responder: number | null, out: ReduceOutput): void {
    const th = this.ensureThread(review.threadId);
    if (review.subjectKind === "command_execution" || review.subjectKind === "file_change") {
      const key = itemKey(review.turnId, review.itemId);
      const s = th.reviews.get(key) ?? { reviewCount: 0, userReviewCount: 0, guardianReviewCount: 0, finalOutcome: "unknown", requestedAdditionalPermissions: false, requestedNetworkAccess: false };
      s.reviewCount++;
      s.userReviewCount++;
      s.finalOutcome = userOutcome(status, resolution);
      s.requestedAdditionalPermissions ||= review.requestedAdditionalPermissions;
      s.requestedNetworkAccess ||= review.requestedNetworkAccess;
      setCapped(th.reviews, key, s, this.limits.maxPerThread);
    }
    // The review carries the client of the connection that answered, when that one initialized.
    const conn = responder !== null && this.connections.has(responder) ? responder : null;
    const ctx = this.context(REVIEW_EVENT, { thread_id: review.threadId, turn_id: review.turnId, item_id: review.itemId, review_id: review.reviewId }, out, conn);
    if (!ctx) return;
    const duration = completedAtMs - review.startedAtMs;
    out.events.push({
      event_type: REVIEW_EVENT,
      event_params: {
        thread_id: review.threadId,
        turn_id: review.turnId,
        item_id: review.itemId,
        review_id: review.reviewId,
        app_server_client: ctx.lineage.app_server_client,
        runtime: ctx.lineage.runtime,
        thread_source: ctx.lineage.thread_source,
        subagent_source: ctx.lineage.subagent_source,
        parent_thread_id: ctx.lineage.parent_thread_id,
        subject_kind: review.subjectKind,
        subject_name: review.subjectName,
        reviewer: "user",
        trigger: review.trigger,
        status,
        resolution,
        started_at_ms: review.startedAtMs,
        completed_at_ms: completedAtMs,
        duration_ms: duration >= 0 ? duration : null,
      },
    });
  }

  // -------------------------------------------------------------- thread lifecycle

  private onThreadLifecycle(f: ThreadLifecycleFact, out: ReduceOutput): void {
    const th = this.threads.get(f.threadId);
    if (f.action === "closed") {
      if (th) {
        th.turns.clear();
        th.items.clear();
        th.reviews.clear();
      }
      return;
    }
    // Always emitted: the context blocks are left out (not null) when unknown.
    const params: Record<string, unknown> = { thread_id: f.threadId, action: f.action, occurred_at_ms: f.atMs };
    const connId = this.resolveConnection(f.threadId);
    const conn = connId !== null ? this.connections.get(connId) : undefined;
    if (conn) {
      params.app_server_client = this.clientFor(f.threadId, conn);
      params.runtime = conn.runtime;
    }
    const md = th?.metadata;
    if (md?.threadSource && ARCHIVE_REPORTED_SOURCES.has(md.threadSource)) params.thread_source = md.threadSource;
    if (md?.parentThreadId) params.parent_thread_id = md.parentThreadId;
    out.events.push({ event_type: THREAD_ARCHIVE, event_params: params });
  }

  private onSubagentStarted(f: SubagentThreadStartedFact, out: ReduceOutput): void {
    const th = this.ensureThread(f.threadId);
    th.originator = f.productClientId;
    th.metadata = {
      sessionId: f.sessionId,
      threadSource: f.threadSource ?? (f.subagentSource === "memory_consolidation" ? "memory_consolidation" : "subagent"),
      initializationMode: "new",
      subagentSource: f.subagentSource,
      parentThreadId: f.parentThreadId,
      forkedFromThreadId: f.forkedFromThreadId,
      model: f.model,
      ephemeral: f.ephemeral,
    };
    if (th.connectionId === null && f.parentThreadId !== null) th.connectionId = this.resolveConnection(f.parentThreadId);
    // Published without an initialize: the subagent's own client is in-process. Without a
    // client name and version (lineage registered early) there is nothing to publish yet.
    if (f.clientName === null || f.clientVersion === null) return;
    out.events.push({
      event_type: THREAD_INITIALIZED,
      event_params: {
        thread_id: f.threadId,
        session_id: f.sessionId,
        app_server_client: { product_client_id: f.productClientId, client_name: f.clientName, client_version: f.clientVersion, rpc_transport: "in_process", experimental_api_enabled: null },
        runtime: f.runtime,
        model: f.model,
        ephemeral: f.ephemeral,
        thread_source: th.metadata.threadSource,
        initialization_mode: "new",
        subagent_source: f.subagentSource,
        parent_thread_id: f.parentThreadId,
        forked_from_thread_id: f.forkedFromThreadId,
        created_at: f.createdAt,
      },
    });
  }

  // -------------------------------------------------------------- turns

  private onTurnStarted(f: TurnStartedFact): void {
    const t = this.turn(f.threadId, f.turnId);
    t.rootTurnId = f.rootTurnId ?? t.rootTurnId;
    t.startedAt = f.startedAt ?? t.startedAt;
  }

  private onThreadTokenUsage(f: ThreadTokenUsageFact): void {
    const th = this.ensureThread(f.threadId);
    const t = th.turns.get(f.turnId);
    // Only a running turn of this thread takes usage; an update for any other turn id is a
    // snapshot (resume, fork) and only moves the thread's running total.
    if (t && !t.emitted && !t.usageExplicit) {
      if (!t.usageBaselineSet) {
        t.usageBaselineSet = true;
        t.usageBaseline = th.lastTotalUsage;
      }
      // With a known baseline the turn used total - baseline; without one (a cold resume with
      // no snapshot), the sum of the per-request `last` usages.
      t.usage = t.usageBaseline ? sub(f.total, t.usageBaseline) : add(t.usage, f.last);
    }
    th.lastTotalUsage = { ...f.total };
  }

  private pendingItemsOf(th: ThreadState, turnId: string): boolean {
    const prefix = `${turnId}\u0000`;
    for (const k of th.items.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  private onTurnCompleted(f: TurnCompletedFact, out: ReduceOutput): void {
    const th = this.ensureThread(f.threadId);
    const t = this.turn(f.threadId, f.turnId);
    if (t.emitted) return;
    t.emitted = true;
    const firstTurn = th.metadata?.initializationMode === "new" && th.turnsCompleted === 0;
    th.turnsCompleted++;
    if (!this.pendingItemsOf(th, f.turnId)) th.turns.delete(f.turnId);
    const ctx = this.context(TURN_EVENT, { thread_id: f.threadId, turn_id: f.turnId }, out, t.connectionId !== null && this.connections.has(t.connectionId) ? t.connectionId : null);
    if (!ctx) return;
    const rc = t.resolved;
    const st = th.settings;
    const err = f.status === "failed" ? errorKind(f.codexErrorInfo) : { kind: null, http: null };
    const u = t.usage;
    const p = t.profile;
    const pick = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);
    const total = Object.values(t.counts).reduce((a, b) => a + b, 0);
    out.events.push({
      event_type: TURN_EVENT,
      event_params: {
        thread_id: f.threadId,
        session_id: ctx.lineage.session_id,
        turn_id: f.turnId,
        root_turn_id: f.rootTurnId ?? t.rootTurnId,
        submission_type: pick(rc?.submissionType, null),
        app_server_client: ctx.lineage.app_server_client,
        runtime: ctx.lineage.runtime,
        ephemeral: ctx.metadata.ephemeral,
        thread_source: ctx.lineage.thread_source,
        initialization_mode: ctx.metadata.initializationMode,
        subagent_source: ctx.lineage.subagent_source,
        parent_thread_id: ctx.lineage.parent_thread_id,
        model: pick(rc?.model, st?.model ?? ctx.metadata.model),
        model_provider: pick(rc?.modelProvider, st?.modelProvider ?? null),
        sandbox_policy: pick(rc?.sandboxPolicy, (st?.sandboxPolicy ?? null) as string | null),
        reasoning_effort: pick(rc?.reasoningEffort, st?.reasoningEffort ?? null),
        reasoning_summary: pick(rc?.reasoningSummary, null),
        service_tier: pick(rc?.serviceTier, st?.serviceTier ?? null) ?? "default",
        approval_policy: pick(rc?.approvalPolicy, st?.approvalPolicy ?? null),
        approvals_reviewer: pick(rc?.approvalsReviewer, st?.approvalsReviewer ?? null),
        guardian_v2_enabled: false,
        sandbox_network_access: pick(rc?.sandboxNetworkAccess, st?.sandboxNetworkAccess ?? false),
        collaboration_mode: pick(rc?.collaborationMode, null),
        personality: pick(rc?.personality, null),
        workspace_kind: null,
        num_input_images: t.numInputImages ?? 0,
        image_preparations: [],
        is_first_turn: pick(rc?.isFirstTurn, firstTurn),
        status: f.status === "inProgress" ? null : f.status,
        explicit_client_interrupt_requested_at_ms: t.interruptRequestedAtMs,
        turn_error: f.status === "failed" ? (f.codexErrorInfo ?? null) : null,
        codex_error_kind: err.kind,
        codex_error_http_status_code: err.http,
        steer_count: t.steerCount,
        total_tool_call_count: total,
        ...t.counts,
        input_tokens: u ? u.input_tokens : null,
        cached_input_tokens: u ? u.cached_input_tokens : null,
        cache_write_input_tokens: u ? u.cache_write_input_tokens : null,
        output_tokens: u ? u.output_tokens : null,
        reasoning_output_tokens: u ? u.reasoning_output_tokens : null,
        total_tokens: u ? u.total_tokens : null,
        before_first_sampling_ms: p?.before_first_sampling_ms ?? null,
        sampling_ms: p?.sampling_ms ?? null,
        compaction_ms: p?.compaction_ms ?? null,
        between_sampling_overhead_ms: p?.between_sampling_overhead_ms ?? null,
        tool_blocking_ms: p?.tool_blocking_ms ?? null,
        after_last_sampling_ms: p?.after_last_sampling_ms ?? null,
        sampling_request_count: p?.sampling_request_count ?? null,
        sampling_retry_count: p?.sampling_retry_count ?? null,
        duration_ms: f.durationMs,
        started_at: f.startedAt ?? t.startedAt,
        completed_at: f.completedAt,
      },
    });
  }

  // -------------------------------------------------------------- tool items

  private onItemStarted(f: ItemStartedFact): void {
    const th = this.ensureThread(f.threadId);
    this.turn(f.threadId, f.turnId);
    setCapped(th.items, itemKey(f.turnId, f.item.id), { startedAtMs: f.startedAtMs }, this.limits.maxPerThread);
  }

  private onItemCompleted(f: ItemCompletedFact, out: ReduceOutput): void {
    const item = f.item;
    const term = terminalStatus(item);
    if (!term) return; // still in progress: nothing to report yet
    const eventType = TOOL_EVENT_TYPES[item.type];
    const th = this.ensureThread(f.threadId);
    const key = itemKey(f.turnId, item.id);
    const turn = th.turns.get(f.turnId);
    if (turn) turn.counts[turnCounter(item)]++;
    const started = th.items.get(key);
    const review = th.reviews.get(key);
    th.items.delete(key);
    th.reviews.delete(key);
    if (turn?.emitted && !this.pendingItemsOf(th, f.turnId)) th.turns.delete(f.turnId);
    const ids = { thread_id: f.threadId, turn_id: f.turnId, item_id: item.id };
    if (!started) {
      out.warnings.push({
        event: eventType,
        missing: "item_started",
        message: `dropping ${eventType}: item ${item.id} of turn ${f.turnId} in thread ${f.threadId} completed without an observed item/started (no lifecycle to time)`,
        ...ids,
      });
      return;
    }
    const ctx = this.context(eventType, ids, out, turn && turn.connectionId !== null && this.connections.has(turn.connectionId) ? turn.connectionId : null);
    if (!ctx) return;
    const observed = f.completedAtMs - started.startedAtMs;
    const durationMs = observed >= 0 ? observed : null;
    out.events.push({ event_type: eventType, event_params: this.toolParams(item, ctx, f, started.startedAtMs, durationMs, term, review, turn?.rootTurnId ?? null) });
  }

  private toolParams(
    item: ToolItem,
    ctx: Context,
    f: ItemCompletedFact,
    startedAtMs: number,
    durationMs: number | null,
    term: NonNullable<ReturnType<typeof terminalStatus>>,
    review: ReviewSummary | undefined,
    rootTurnId: string | null,
  ): Record<string, unknown> {
    let failure = term.failure;
    if (term.status === "rejected" && review && review.finalOutcome === "user_aborted") failure = "approval_aborted";
    return {
      thread_id: f.threadId,
      session_id: ctx.lineage.session_id,
      turn_id: f.turnId,
      root_turn_id: rootTurnId,
      item_id: item.id,
      cell_id: null,
      parent_call_id: null,
      originating_response_id: null,
      subsequent_response_id: null,
      app_server_client: ctx.lineage.app_server_client,
      runtime: ctx.lineage.runtime,
      thread_source: ctx.lineage.thread_source,
      subagent_source: ctx.lineage.subagent_source,
      parent_thread_id: ctx.lineage.parent_thread_id,
      tool_name: toolName(item),
      started_at_ms: startedAtMs,
      completed_at_ms: f.completedAtMs,
      duration_ms: durationMs,
      execution_duration_ms: executionDurationMs(item, durationMs),
      review_count: review?.reviewCount ?? 0,
      guardian_review_count: review?.guardianReviewCount ?? 0,
      user_review_count: review?.userReviewCount ?? 0,
      final_approval_outcome: review?.finalOutcome ?? "unknown",
      terminal_status: term.status,
      failure_kind: failure,
      requested_additional_permissions: review?.requestedAdditionalPermissions ?? false,
      requested_network_access: review?.requestedNetworkAccess ?? false,
      ...toolExtras(item),
    };
  }

  // -------------------------------------------------------------- goals

  private onGoal(f: GoalFact, out: ReduceOutput): void {
    const ctx = this.context(GOAL_EVENT, { thread_id: f.threadId, ...(f.turnId ? { turn_id: f.turnId } : {}) }, out);
    if (!ctx) return;
    const usage = f.eventKind === "usage_accounted";
    out.events.push({
      event_type: GOAL_EVENT,
      event_params: {
        thread_id: f.threadId,
        session_id: ctx.lineage.session_id,
        turn_id: f.eventKind === "cleared" ? null : f.turnId,
        app_server_client: ctx.lineage.app_server_client,
        runtime: ctx.lineage.runtime,
        thread_source: ctx.lineage.thread_source,
        subagent_source: ctx.lineage.subagent_source,
        parent_thread_id: ctx.lineage.parent_thread_id,
        goal_id: f.goalId,
        event_kind: f.eventKind,
        goal_status: f.goalStatus,
        has_token_budget: f.hasTokenBudget,
        cumulative_tokens_accounted: usage ? (f.cumulativeTokensAccounted ?? null) : null,
        cumulative_time_accounted_seconds: usage ? (f.cumulativeTimeAccountedSeconds ?? null) : null,
      },
    });
  }
}
