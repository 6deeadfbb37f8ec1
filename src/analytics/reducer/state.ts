// The reducer's state: ONE map of per-thread state, shared by every event family, and the maps
// keyed by connection and by request. Only AnalyticsReducer (../reducer.ts) creates it; every
// family handler takes it explicitly, so all families read and write the same threads.
import type { RuntimeMetadata, TokenUsage, TurnProfileFact, TurnResolvedConfigFact } from "../facts.js";
import type { AppServerClientMetadata, TrackEvent } from "../events.js";
import type { turnCounter } from "../tool-items.js";

export interface ConnectionState {
  client: AppServerClientMetadata;
  runtime: RuntimeMetadata;
}

export interface ThreadMetadata {
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
export interface ThreadSettings {
  model: string | null;
  modelProvider: string | null;
  serviceTier: string | null;
  approvalPolicy: string | null;
  approvalsReviewer: string | null;
  sandboxPolicy: string | null;
  sandboxNetworkAccess: boolean;
  reasoningEffort: string | null;
  /** Not in the start/resume/fork answer: the turn engine's default unless a turn reports its own. */
  reasoningSummary: string | null;
}

type ToolCounts = Record<ReturnType<typeof turnCounter>, number>;

/** One model request of a turn: when it was sent and ended, and what its response asked for. */
export interface SamplingSpan {
  startedAtMs: number;
  endedAtMs: number | null;
  attempt: number;
  ok: boolean | null;
  responseId: string | null;
  callIds: string[];
}

/** A tool event waiting for the response that follows its call (its `subsequent_response_id`). */
export interface PendingToolEvent {
  /** Index of the sampling whose response asked for the call. */
  after: number;
  event: TrackEvent;
}

export interface TurnState {
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
  /** Control tool calls (goal tools…): tool calls without an item, in the turn's total. */
  controlCalls: number;
  /** When turn/started was tracked (ms). */
  startedAtMs: number | null;
  samplings: SamplingSpan[];
  /** Function calls running, by call id. */
  toolCalls: Map<string, { name: string; startedAtMs: number }>;
  /** Time function calls ran (ms), for the profile's tool_blocking_ms. */
  toolTimeMs: number;
  /** The model error that failed the turn. */
  failure: { codexErrorInfo: unknown; httpStatus: number | null } | null;
  pending: PendingToolEvent[];
  /** Lines the turn's applied file changes added and removed; null when it applied none. */
  acceptedLines: { added: number; deleted: number } | null;
  /** Why the server started the turn itself (`goal`), null for a client's turn. */
  trigger: string | null;
  /** The turn event was emitted; the state stays while tool items of the turn are pending. */
  emitted: boolean;
}

interface StartedItem {
  startedAtMs: number;
}

export interface ReviewSummary {
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

export type PendingClientRequest =
  | { type: "turn_start"; threadId: string; numInputImages: number }
  | { type: "turn_steer"; threadId: string; expectedTurnId: string | null; numInputImages: number; atMs: number }
  | { type: "turn_interrupt"; threadId: string; turnId: string };

export interface PendingReview {
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

/** Everything the reducer holds. */
export interface ReducerState {
  readonly connections: Map<number, ConnectionState>;
  /** The one map of per-thread state. */
  readonly threads: Map<string, ThreadState>;
  readonly requests: Map<string, PendingClientRequest>;
  readonly pendingReviews: Map<string, PendingReview>;
  readonly limits: ReducerLimits;
}

export function newReducerState(limits: Partial<ReducerLimits>): ReducerState {
  return { connections: new Map(), threads: new Map(), requests: new Map(), pendingReviews: new Map(), limits: { ...DEFAULT_LIMITS, ...limits } };
}

const zeroCounts = (): ToolCounts => ({
  shell_command_count: 0,
  file_change_count: 0,
  mcp_tool_call_count: 0,
  dynamic_tool_call_count: 0,
  subagent_tool_call_count: 0,
  web_search_count: 0,
  image_generation_count: 0,
});

export const itemKey = (turnId: string, itemId: string) => `${turnId}\u0000${itemId}`;
export const requestKey = (connectionId: number, requestId: string | number) => `${connectionId}\u0000${typeof requestId}:${String(requestId)}`;

export function setCapped<K, V>(m: Map<K, V>, k: K, v: V, cap: number): void {
  m.delete(k);
  m.set(k, v);
  while (m.size > cap) m.delete(m.keys().next().value as K);
}

export function ensureThread(s: ReducerState, threadId: string): ThreadState {
  let t = s.threads.get(threadId);
  if (t) {
    // Most recently touched last: the least recently touched thread is forgotten first.
    s.threads.delete(threadId);
    s.threads.set(threadId, t);
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
  setCapped(s.threads, threadId, t, s.limits.maxThreads);
  return t;
}

export function ensureTurn(s: ReducerState, threadId: string, turnId: string): TurnState {
  const th = ensureThread(s, threadId);
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
      controlCalls: 0,
      startedAtMs: null,
      samplings: [],
      toolCalls: new Map(),
      toolTimeMs: 0,
      failure: null,
      pending: [],
      acceptedLines: null,
      trigger: null,
      emitted: false,
    };
    setCapped(th.turns, turnId, t, s.limits.maxPerThread);
  }
  return t;
}

/** Whether tool items of the turn are started and not yet completed. */
export function hasPendingItems(th: ThreadState, turnId: string): boolean {
  const prefix = `${turnId}\u0000`;
  for (const k of th.items.keys()) if (k.startsWith(prefix)) return true;
  return false;
}
