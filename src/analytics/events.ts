// The events analytics emits, in Codex's wire shape: `{event_type, event_params}` with snake_case
// keys; optional fields are `null`, not left out (the archive event is the one exception: its
// context blocks are omitted when unknown).
import type { RpcTransport, RuntimeMetadata } from "./facts.js";
import { TOOL_EVENT_TYPES } from "./tool-items.js";

export interface AppServerClientMetadata {
  product_client_id: string;
  client_name: string | null;
  client_version: string | null;
  rpc_transport: RpcTransport;
  experimental_api_enabled: boolean | null;
}

export type { RuntimeMetadata };

export const THREAD_INITIALIZED = "codex_thread_initialized";
export const THREAD_ARCHIVE = "codex_thread_archive_event";
export const TURN_EVENT = "codex_turn_event";
export const TURN_STEER = "codex_turn_steer_event";
export const REVIEW_EVENT = "codex_review_event";
export const GOAL_EVENT = "codex_goal_event";
export const COMPACTION_EVENT = "codex_compaction_event";
export const CONTROL_TOOL_EVENT = "codex_control_tool_call_event";
/** Sent alone in its own request (Codex isolates it from other events). */
export const ACCEPTED_LINES_EVENT = "codex_accepted_line_fingerprints";

/** Every event type Spool emits. */
export const EVENT_TYPES: readonly string[] = [THREAD_INITIALIZED, THREAD_ARCHIVE, TURN_EVENT, TURN_STEER, REVIEW_EVENT, GOAL_EVENT, COMPACTION_EVENT, CONTROL_TOOL_EVENT, ACCEPTED_LINES_EVENT, ...Object.values(TOOL_EVENT_TYPES)];

export interface TrackEvent {
  event_type: string;
  event_params: Record<string, unknown>;
}

/** The lineage block thread-scoped events carry. */
export interface Lineage {
  session_id: string;
  app_server_client: AppServerClientMetadata;
  runtime: RuntimeMetadata;
  thread_source: string | null;
  subagent_source: string | null;
  parent_thread_id: string | null;
}

export interface ThreadInitializedParams {
  thread_id: string;
  session_id: string;
  app_server_client: AppServerClientMetadata;
  runtime: RuntimeMetadata;
  model: string;
  ephemeral: boolean;
  is_worktree: boolean | null;
  thread_source: string | null;
  initialization_mode: "new" | "resumed" | "forked";
  subagent_source: string | null;
  parent_thread_id: string | null;
  forked_from_thread_id: string | null;
  /** Seconds. */
  created_at: number;
}

export interface GoalEventParams extends Lineage {
  thread_id: string;
  turn_id: string | null;
  goal_id: string;
  event_kind: "created" | "usage_accounted" | "status_changed" | "cleared";
  goal_status: string;
  has_token_budget: boolean;
  cumulative_tokens_accounted: number | null;
  cumulative_time_accounted_seconds: number | null;
}

/** Thread sources the archive event may report (a feature's own label only when it is `automation`). */
export const ARCHIVE_REPORTED_SOURCES: ReadonlySet<string> = new Set(["user", "subagent", "memory_consolidation", "guardian_review", "automation"]);

/** The ids an event is about (lifted into the local table's columns). */
export function eventIds(e: TrackEvent): { threadId: string | null; turnId: string | null; sessionId: string | null } {
  const p = e.event_params;
  const s = (v: unknown) => (typeof v === "string" ? v : null);
  return { threadId: s(p.thread_id), turnId: s(p.turn_id), sessionId: s(p.session_id) };
}

/**
 * When the event happened (ms): a tool item's completion, an archive's own time, else when the
 * fact that completed it was tracked (`recordedAtMs`).
 */
export function eventTimeMs(e: TrackEvent, recordedAtMs: number): number {
  const p = e.event_params;
  if (typeof p.completed_at_ms === "number") return p.completed_at_ms;
  if (typeof p.occurred_at_ms === "number") return p.occurred_at_ms;
  return recordedAtMs;
}
