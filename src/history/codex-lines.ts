// Which rollout lines and events Codex 0.169.0 reads when it answers history, per history mode.
// The reducer filters with these, and the loader's triage (prefilter.ts) uses the same sets to
// skip lines before parsing them, so the two cannot disagree.
import type { JsonObject, RolloutLine } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { SPOOL_ITEMS_FIELD } from "../rollout/writer-format.js";
import { PERSISTED_RESPONSE_ITEMS as POLICY_RESPONSE_ITEMS } from "../rollout/policy.js";
import { asNum, asStr, isObj } from "./codex-json.js";
import { coreItemToThreadItem } from "./items.js";
import { memoryCitationReadable } from "./items-messages.js";

/**
 * Response item kinds that count towards legacy line indexes: what the rollout policy persists,
 * except `compaction_summary`, which Codex 0.169's legacy replay does not count.
 */
export const PERSISTED_RESPONSE_ITEMS: ReadonlySet<string> = new Set([...POLICY_RESPONSE_ITEMS].filter((t) => t !== "compaction_summary"));

/** Event kinds the legacy replay reads or keeps (everything else is dropped before reducing). */
export const LEGACY_EVENTS = new Set([
  "user_message",
  "agent_message",
  "agent_reasoning",
  "agent_reasoning_raw_content",
  "token_count",
  "task_started",
  "turn_started",
  "task_complete",
  "turn_complete",
  "turn_aborted",
  "thread_rolled_back",
  "context_compacted",
  "entered_review_mode",
  "exited_review_mode",
  "web_search_end",
  "mcp_tool_call_end",
  "patch_apply_end",
  "image_generation_end",
  "thread_goal_updated",
  "item_completed",
]);

/** Events that open a turn, and those that end one (each kind has an older alias). */
export const START_EVENTS = new Set(["task_started", "turn_started"]);
export const TERMINAL_EVENTS = new Set(["task_complete", "turn_complete"]);

/** Event kinds the paginated projection reads. */
export const PAGINATED_EVENTS = new Set([...START_EVENTS, ...TERMINAL_EVENTS, "turn_aborted", "item_completed"]);

/**
 * Would Codex's legacy replay keep this line (its rollout policy persists the kind, and the line
 * parses)? Kept lines advance the index that names implicit turns.
 */
export function legacyLineCounts(line: RolloutLine): boolean {
  const p = line.payload;
  switch (line.type) {
    case "session_meta":
    case "compacted":
    case "world_state":
    case "inter_agent_communication":
    case "inter_agent_communication_metadata":
    case "rollout_reference":
      return true;
    case "token_usage_record":
      return typeof p.response_id === "string";
    case "turn_context": {
      if (typeof p.cwd !== "string") return false;
      const sp = p.sandbox_policy;
      return sp === undefined || (isObj(sp) && typeof sp.type === "string");
    }
    case "response_item":
      return typeof p.type === "string" && PERSISTED_RESPONSE_ITEMS.has(p.type);
    case "event_msg":
      return legacyEventCounts(p);
    default:
      return false;
  }
}

function legacyEventCounts(p: JsonObject): boolean {
  const t = p.type;
  if (typeof t !== "string" || !LEGACY_EVENTS.has(t)) return false;
  switch (t) {
    case "user_message":
      return typeof p.message === "string";
    case "agent_message":
      return typeof p.message === "string" && memoryCitationReadable(p.memory_citation);
    case "agent_reasoning":
    case "agent_reasoning_raw_content":
      return typeof p.text === "string";
    case "task_started":
    case "turn_started":
    case "task_complete":
    case "turn_complete":
      return typeof p.turn_id === "string";
    case "thread_rolled_back":
      return typeof p.num_turns === "number";
    case "turn_aborted":
      return p.reason !== undefined;
    case "entered_review_mode":
      return isObj(p.target);
    case "web_search_end":
    case "image_generation_end":
      return typeof p.call_id === "string";
    case "patch_apply_end":
      return typeof p.call_id === "string" && isObj(p.changes);
    case "mcp_tool_call_end":
      return typeof p.call_id === "string" && isObj(p.invocation) && isObj(p.result);
    case "thread_goal_updated":
      return isObj(p.goal);
    case "item_completed": {
      const it = p.item;
      if (!isObj(it) || typeof it.id !== "string") return false;
      if (it.type === "Plan") return typeof it.text === "string";
      return it.type === "Sleep" && typeof it.durationMs === "number";
    }
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Spool's extension of legacy history (see src/rollout/writer-format.ts)
//
// A legacy thread whose own session_meta carries Spool's mark (`spool_items`) also shows the
// items of its `item_completed` events of these kinds, which Codex's replay drops: each is
// upserted by id into the turn its `turn_id` names (like a plan item), and nothing Codex counts
// sees it: the line does not advance the implicit-turn index, and the item is left out of item
// counts (`item-N` after a rollback, whether a turn is kept or empty) and is never the reasoning
// item the next reasoning event extends. So such a thread reads as Codex reads it plus those items.
// An item of Codex's replay never gives way to one of these; one of these with the id of an item
// Codex's replay then builds gives way to it (it is removed, and Codex's item is placed as Codex
// places it).

/** Core item kinds a marked legacy thread also shows. */
export const SPOOL_LEGACY_ITEMS = new Set(["CommandExecution"]);

/** Whether a thread's own session_meta payload carries Spool's mark. */
export function spoolItemsMarked(meta: JsonObject): boolean {
  const v = meta[SPOOL_ITEMS_FIELD];
  return typeof v === "number" && v >= 1;
}

/**
 * In legacy history, whether an item (of this v2 kind) comes from Spool's extension: Codex's
 * replay builds no commandExecution items, so those are exactly the extension's.
 */
export function isSpoolLegacyKind(kind: string): boolean {
  return kind === "commandExecution";
}
export const isSpoolLegacyItem = (item: ThreadItem): boolean => isSpoolLegacyKind(item.type);

/** The item a marked legacy thread shows for this line (besides Codex's), and the turn it goes to. */
export function spoolLegacyItem(line: RolloutLine): { turnId: string; item: ThreadItem } | null {
  if (line.type !== "event_msg") return null;
  const p = line.payload;
  if (p.type !== "item_completed") return null;
  const raw = p.item;
  const turnId = asStr(p.turn_id);
  if (!isObj(raw) || turnId === null || typeof raw.type !== "string" || !SPOOL_LEGACY_ITEMS.has(raw.type)) return null;
  const item = coreItemToThreadItem(raw, asNum(p.started_at_ms), asNum(p.completed_at_ms));
  return item ? { turnId, item } : null;
}
