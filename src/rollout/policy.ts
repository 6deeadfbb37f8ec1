// The rollout persistence policy: which rollout items go to durable history and which are
// live-only (streaming deltas, "begin" events, approval requests, warnings…). LiveThread applies
// it before observers and before the store; stores may apply it again (it is idempotent).
//
// What is kept is the union of:
//  - Codex's current policy (codex-rs/rollout/src/policy.rs): session_meta, turn_context,
//    compacted, inter-agent items, the listed response items and events;
//  - what Codex 0.169.0 actually writes (test/fixtures/corpus): world_state, token_usage_record,
//    `item_completed` for every item kind, `thread_settings_applied`, `task_started`/`task_complete`;
//  - what older releases wrote and Codex 0.169.0 still reads (test/fixtures/legacy): 0.110's
//    "extended history" events (`exec_command_end`, `error`, `web_search_end`, `patch_apply_end`).
// Anything not listed, including kinds this code does not know, is dropped: Codex's policy is an
// exhaustive match, and an event it has never heard of cannot be something it replays.

import { KNOWN_LINE_TYPES } from "./line.js";

/** Line types persisted whatever their payload: every known type but the two filtered by payload. */
export const PERSISTED_LINE_TYPES: ReadonlySet<string> = new Set(KNOWN_LINE_TYPES.filter((t) => t !== "response_item" && t !== "event_msg"));

/** `response_item` payload types persisted (ResponseItem variants, serde names). */
export const PERSISTED_RESPONSE_ITEMS: ReadonlySet<string> = new Set([
  "message",
  "agent_message",
  "reasoning",
  "local_shell_call",
  "function_call",
  "function_call_output",
  "custom_tool_call",
  "custom_tool_call_output",
  "tool_search_call",
  "tool_search_output",
  "web_search_call",
  "image_generation_call",
  "compaction",
  "compaction_summary",
  "context_compaction",
  "additional_tools",
]);

/** `event_msg` payload types persisted (EventMsg variants, serde names). */
export const PERSISTED_EVENTS: ReadonlySet<string> = new Set([
  // conversation
  "user_message",
  "agent_message",
  "agent_reasoning",
  "agent_reasoning_raw_content",
  "token_count",
  // turn lifecycle (TurnStarted/TurnComplete serialize as task_*; accept the new names too)
  "task_started",
  "task_complete",
  "turn_started",
  "turn_complete",
  "turn_aborted",
  // thread state
  "thread_goal_updated",
  "thread_settings_applied",
  "thread_name_updated",
  "thread_rolled_back",
  "context_compacted",
  "undo_completed",
  "entered_review_mode",
  "exited_review_mode",
  "sub_agent_activity",
  // completed items (0.169 persists `item_completed` for every item kind)
  "item_completed",
  "patch_apply_end",
  "mcp_tool_call_end",
  "web_search_end",
  "image_generation_end",
  // extended history of older releases, still read by Codex 0.169.0
  "exec_command_end",
  "error",
  "view_image_tool_call",
  "dynamic_tool_call_response",
  "collab_agent_spawn_end",
  "collab_agent_interaction_end",
  "collab_waiting_end",
  "collab_close_end",
  "collab_resume_end",
]);

/** The minimal shape the policy needs: a RolloutItem, or a whole RolloutLine. */
export interface PolicyItem {
  type: string;
  payload: { [key: string]: unknown };
}

/** Whether one rollout item belongs in durable history. */
export function isPersistedItem(item: PolicyItem): boolean {
  if (PERSISTED_LINE_TYPES.has(item.type)) return true;
  const kind = item.payload?.type;
  if (typeof kind !== "string") return false;
  if (item.type === "response_item") return PERSISTED_RESPONSE_ITEMS.has(kind);
  if (item.type === "event_msg") return PERSISTED_EVENTS.has(kind);
  return false;
}

/** The items of a live append that go to durable history, in order (same objects, no copies). */
export function persistedItems<T extends PolicyItem>(items: readonly T[]): T[] {
  const out: T[] = [];
  for (const item of items) if (isPersistedItem(item)) out.push(item);
  return out;
}
