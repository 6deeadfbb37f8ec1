// Facts: what the server tells analytics, as typed values. A fact is an observation ("this
// connection initialized", "this item completed at t"), never an event: the reducer decides which
// facts become events, and with which context. Facts carry their own timestamps, so the reducer
// never reads a clock and a recorded sequence of facts always reduces to the same events.
import { isToolItemType, summarizeToolItem, type ToolItem, type ToolItemType } from "./tool-items.js";
import type { ClientErrorType, ClientRequest, ClientResponse, JsonRpcError, RequestId, ServerRequest, ServerResponse } from "./protocol.js";
import type { TokenUsage } from "../agent/token-usage.js";
import type { SamplingEndedFact, SamplingStartedFact, ToolCallFact, TurnFailedFact, TurnTriggerFact } from "./engine-facts.js";

export type { SamplingEndedFact, SamplingStartedFact, ToolCallFact, TurnFailedFact, TurnTriggerFact };

export type RpcTransport = "stdio" | "websocket" | "in_process";

/** Where the server runs; `codex_rs_version` is the version of the server (Spool's). */
export interface RuntimeMetadata {
  codex_rs_version: string;
  runtime_os: string;
  runtime_os_version: string;
  runtime_arch: string;
}

/** Token usage in the rollout's snake_case shape. */
export type { TokenUsage };

export interface InitializeFact {
  kind: "initialize";
  connectionId: number;
  clientName: string;
  clientVersion: string;
  experimentalApi: boolean | null;
  /** The originator the server reports for this client (Codex: `codex_cli_rs`, or the client's name). */
  productClientId: string;
  transport: RpcTransport;
  runtime: RuntimeMetadata;
}

export interface ClientRequestFact {
  kind: "client_request";
  connectionId: number;
  requestId: RequestId;
  request: ClientRequest;
  atMs: number;
}

export interface ClientResponseFact {
  kind: "client_response";
  connectionId: number;
  requestId: RequestId;
  response: ClientResponse;
  /** Overrides the connection's product_client_id for this thread's events. */
  threadOriginator?: string | null;
  atMs: number;
}

export interface ClientErrorResponseFact {
  kind: "client_error_response";
  connectionId: number;
  requestId: RequestId;
  error: JsonRpcError;
  errorType: ClientErrorType | null;
  atMs: number;
}

/**
 * A targeted server request written to `connectionId` (or replayed to it after a resume). Requests
 * broadcast to every connection are not facts: analytics correlates per connection, and a
 * broadcast fans one logical request out over many.
 */
export interface ServerRequestFact {
  kind: "server_request";
  connectionId: number;
  request: ServerRequest;
  replayed: boolean;
  atMs: number;
}

/** The client's answer to a server request, decoded by the stored request, with who answered. */
export interface ServerResponseFact {
  kind: "server_response";
  connectionId: number;
  response: ServerResponse;
  completedAtMs: number;
}

/** A server request that ended without an answer (client error, cancel, turn change, unload). */
export interface ServerRequestAbortedFact {
  kind: "server_request_aborted";
  requestId: RequestId;
  completedAtMs: number;
}

export interface ThreadLifecycleFact {
  kind: "thread_lifecycle";
  threadId: string;
  action: "archived" | "unarchived" | "closed";
  atMs: number;
}

export type TurnStatus = "completed" | "interrupted" | "failed" | "inProgress";

export interface TurnStartedFact {
  kind: "turn_started";
  threadId: string;
  turnId: string;
  rootTurnId: string | null;
  /** Seconds. */
  startedAt: number | null;
  /** When the notification was tracked (ms): the start of the turn's timing profile. */
  atMs?: number;
}

export interface TurnCompletedFact {
  kind: "turn_completed";
  threadId: string;
  turnId: string;
  rootTurnId: string | null;
  status: TurnStatus;
  /** v2 CodexErrorInfo of a failed turn. */
  codexErrorInfo: unknown;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
  /** When the notification was tracked (ms): the end of the turn's timing profile. */
  atMs?: number;
}


/** `thread/tokenUsage/updated`: the thread's cumulative usage, attributed to a turn. */
export interface ThreadTokenUsageFact {
  kind: "thread_token_usage";
  threadId: string;
  turnId: string;
  total: TokenUsage;
  last: TokenUsage;
}

/** A turn's own token usage, when the turn engine knows it (takes precedence over the notifications). */
export interface TurnTokenUsageFact {
  kind: "turn_token_usage";
  threadId: string;
  turnId: string;
  usage: TokenUsage;
}

/** The settings a turn actually ran with. Every field is optional: missing ones come from the thread. */
export interface TurnResolvedConfigFact {
  kind: "turn_resolved_config";
  threadId: string;
  turnId: string;
  model?: string | null;
  modelProvider?: string | null;
  submissionType?: "default" | "queued" | null;
  sandboxPolicy?: "full_access" | "external_sandbox" | "read_only" | "workspace_write" | null;
  sandboxNetworkAccess?: boolean;
  reasoningEffort?: string | null;
  reasoningSummary?: string | null;
  serviceTier?: string | null;
  approvalPolicy?: string | null;
  approvalsReviewer?: string | null;
  collaborationMode?: "plan" | "default" | null;
  personality?: string | null;
  isFirstTurn?: boolean;
}

/** Where a turn's time went (all optional). */
export interface TurnProfileFact {
  kind: "turn_profile";
  threadId: string;
  turnId: string;
  before_first_sampling_ms?: number | null;
  sampling_ms?: number | null;
  compaction_ms?: number | null;
  between_sampling_overhead_ms?: number | null;
  tool_blocking_ms?: number | null;
  after_last_sampling_ms?: number | null;
  sampling_request_count?: number | null;
  sampling_retry_count?: number | null;
}

/** A tool item started (only tool items are tracked: see tool-items.ts). */
export interface ItemStartedFact {
  kind: "item_started";
  threadId: string;
  turnId: string;
  item: { type: ToolItemType; id: string };
  startedAtMs: number;
}

/** A tool item completed, summarised (see `summarizeToolItem`). */
export interface ItemCompletedFact {
  kind: "item_completed";
  threadId: string;
  turnId: string;
  item: ToolItem;
  completedAtMs: number;
}

export type SubagentSource = "review" | "compact" | "thread_spawn" | "memory_consolidation" | (string & {});

/** A thread the server started for itself on behalf of a parent thread (review, spawn, memory…). */
export interface SubagentThreadStartedFact {
  kind: "subagent_thread_started";
  threadId: string;
  sessionId: string;
  parentThreadId: string | null;
  forkedFromThreadId: string | null;
  productClientId: string;
  clientName: string | null;
  clientVersion: string | null;
  model: string;
  ephemeral: boolean;
  /** Defaults to `memory_consolidation` for that source, else `subagent`. */
  threadSource: string | null;
  subagentSource: SubagentSource;
  /** Seconds. */
  createdAt: number;
  runtime: RuntimeMetadata;
}

export type GoalStatus = "active" | "paused" | "blocked" | "usage_limited" | "budget_limited" | "complete";
export type GoalEventKind = "created" | "usage_accounted" | "status_changed" | "cleared";

/** One goal mutation, as the goals feature performed it. */
export interface GoalFact {
  kind: "goal";
  threadId: string;
  /** The turn that caused it; null for idle or external mutations and for `cleared`. */
  turnId: string | null;
  goalId: string;
  eventKind: GoalEventKind;
  goalStatus: GoalStatus;
  hasTokenBudget: boolean;
  /** Only for `usage_accounted`: the goal's tokens used after accounting. */
  cumulativeTokensAccounted?: number | null;
  /** Only for `usage_accounted`: the goal's active seconds after accounting. */
  cumulativeTimeAccountedSeconds?: number | null;
}

/** A compaction the turn engine ran (Spool's: a summary request through the Responses API). */
export interface CompactionFact {
  kind: "compaction";
  threadId: string;
  turnId: string;
  trigger: "manual" | "auto";
  tokensBefore: number;
  startedAtMs: number;
  completedAtMs: number;
}

export type AnalyticsFact =
  | InitializeFact
  | ClientRequestFact
  | ClientResponseFact
  | ClientErrorResponseFact
  | ServerRequestFact
  | ServerResponseFact
  | ServerRequestAbortedFact
  | ThreadLifecycleFact
  | TurnStartedFact
  | TurnCompletedFact
  | ThreadTokenUsageFact
  | TurnTokenUsageFact
  | TurnResolvedConfigFact
  | TurnProfileFact
  | ItemStartedFact
  | ItemCompletedFact
  | SubagentThreadStartedFact
  | GoalFact
  | CompactionFact
  | SamplingStartedFact
  | SamplingEndedFact
  | ToolCallFact
  | TurnFailedFact
  | TurnTriggerFact;

export type AnalyticsFactKind = AnalyticsFact["kind"];

// ---------------------------------------------------------------- notifications -> facts

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The server notifications analytics reads (everything else is ignored before it is queued). */
export const ANALYTICS_NOTIFICATIONS: ReadonlySet<string> = new Set([
  "turn/started",
  "turn/completed",
  "item/started",
  "item/completed",
  "thread/tokenUsage/updated",
  "thread/archived",
  "thread/unarchived",
  "thread/closed",
]);

/** v2 TokenUsageBreakdown (camelCase) -> TokenUsage. */
export function tokenUsageFromBreakdown(v: unknown): TokenUsage | null {
  if (!isObj(v)) return null;
  const n = (k: string) => num(v[k]) ?? 0;
  return {
    input_tokens: n("inputTokens"),
    cached_input_tokens: n("cachedInputTokens"),
    cache_write_input_tokens: n("cacheWriteInputTokens"),
    output_tokens: n("outputTokens"),
    reasoning_output_tokens: n("reasoningOutputTokens"),
    total_tokens: n("totalTokens"),
  };
}

/**
 * The fact a server notification stands for, or null when analytics does not follow it. `atMs`
 * stamps the facts whose notification carries no time of its own (archive, close) and stands in
 * for a missing item timestamp.
 */
export function factFromNotification(method: string, params: unknown, atMs: number): AnalyticsFact | null {
  if (!ANALYTICS_NOTIFICATIONS.has(method) || !isObj(params)) return null;
  const threadId = str(params.threadId);
  if (threadId === null) return null;
  switch (method) {
    case "turn/started":
    case "turn/completed": {
      const turn = isObj(params.turn) ? params.turn : null;
      const turnId = turn ? str(turn.id) : null;
      if (!turn || turnId === null) return null;
      if (method === "turn/started") return { kind: "turn_started", threadId, turnId, rootTurnId: str(turn.rootTurnId), startedAt: num(turn.startedAt), atMs };
      const status = turn.status === "completed" || turn.status === "interrupted" || turn.status === "failed" ? turn.status : "inProgress";
      return {
        kind: "turn_completed",
        threadId,
        turnId,
        rootTurnId: str(turn.rootTurnId),
        status,
        codexErrorInfo: isObj(turn.error) ? (turn.error.codexErrorInfo ?? null) : null,
        startedAt: num(turn.startedAt),
        completedAt: num(turn.completedAt),
        durationMs: num(turn.durationMs),
        atMs,
      };
    }
    case "item/started":
    case "item/completed": {
      const raw = isObj(params.item) ? params.item : null;
      const turnId = str(params.turnId);
      if (!raw || turnId === null || typeof raw.type !== "string" || typeof raw.id !== "string" || !isToolItemType(raw.type)) return null;
      if (method === "item/started") {
        return { kind: "item_started", threadId, turnId, item: { type: raw.type, id: raw.id }, startedAtMs: num(params.startedAtMs) ?? num(raw.startedAtMs) ?? atMs };
      }
      const item = summarizeToolItem(raw);
      if (!item) return null;
      return { kind: "item_completed", threadId, turnId, item, completedAtMs: num(params.completedAtMs) ?? num(raw.completedAtMs) ?? atMs };
    }
    case "thread/tokenUsage/updated": {
      const turnId = str(params.turnId);
      const usage = isObj(params.tokenUsage) ? params.tokenUsage : null;
      const total = usage ? tokenUsageFromBreakdown(usage.total) : null;
      const last = usage ? tokenUsageFromBreakdown(usage.last) : null;
      if (turnId === null || !total || !last) return null;
      return { kind: "thread_token_usage", threadId, turnId, total, last };
    }
    case "thread/archived":
      return { kind: "thread_lifecycle", threadId, action: "archived", atMs };
    case "thread/unarchived":
      return { kind: "thread_lifecycle", threadId, action: "unarchived", atMs };
    case "thread/closed":
      return { kind: "thread_lifecycle", threadId, action: "closed", atMs };
  }
  return null;
}

/** The thread ids of a fact (for logs and sinks). */
export function factThreadId(f: AnalyticsFact): string | null {
  return "threadId" in f ? f.threadId : null;
}

export type { ClientErrorType, RequestId };
