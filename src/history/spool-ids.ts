// Stable item ids for the legacy threads Spool writes.
//
// Codex 0.169.0 keeps the id a client saw live by reading its paginated threads from the
// `item_completed` lines (ids and start/end times in the core item). Its legacy replay, which is
// how Codex reads what Spool writes, numbers items `item-N` instead. Spool writes the same
// `item_completed` lines, each just before the legacy event Codex's replay builds the item from
// (src/agent/rollout-items.ts). So in a thread carrying Spool's mark, the reader remembers the
// last such line per item kind (`PendingIds`), and the next item of that kind the replay builds
// in the same turn takes its id and times: the thread reads back with the ids and times it had
// live, while Codex, which never reads those lines in legacy mode, still reads `item-N`.
// Nothing Codex counts changes (`item-N` numbering advances as before); a thread without the
// mark, or a line without its event (older Spool rollouts), reads exactly as before.
import type { JsonObject, RolloutLine } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { asNum, asStr, isObj } from "./codex-json.js";

/** An `item_completed` line waiting for the legacy item it names. */
export interface PendingId {
  id: string;
  turnId: string;
  startedAtMs: number | null;
  completedAtMs: number | null;
}

/** Per v2 item kind, the last `item_completed` not yet taken (plain JSON: it goes into checkpoints). */
export type PendingIds = Record<string, PendingId>;

/** Core item kinds whose `item_completed` precedes the legacy event that builds the item, as v2 kinds. */
const KINDS: Readonly<Record<string, string>> = {
  UserMessage: "userMessage",
  AgentMessage: "agentMessage",
  Reasoning: "reasoning",
  WebSearch: "webSearch",
  FileChange: "fileChange",
};

/** The core kinds above: a marked thread's loaders must parse their `item_completed` lines (prefilter.ts). */
export const PENDING_ID_CORE_KINDS: ReadonlySet<string> = new Set(Object.keys(KINDS));

/** Kinds the legacy replay names `item-N` (the others already carry the call id). */
const NUMBERED = new Set(["userMessage", "agentMessage", "reasoning"]);

/** Remembers a marked thread's `item_completed` line of one of those kinds. Returns whether it was one. */
export function notePendingId(pending: PendingIds, line: RolloutLine): boolean {
  if (line.type !== "event_msg" || line.payload.type !== "item_completed") return false;
  const p: JsonObject = line.payload;
  const item = p.item;
  const turnId = asStr(p.turn_id);
  if (!isObj(item) || turnId === null || typeof item.type !== "string" || typeof item.id !== "string") return false;
  const kind = KINDS[item.type];
  if (!kind) return false;
  pending[kind] = { id: item.id, turnId, startedAtMs: asNum(p.started_at_ms), completedAtMs: asNum(p.completed_at_ms) };
  return true;
}

/**
 * The item the replay builds in turn `turnId`, with the id and times of the pending line of its
 * kind (taken) when that line belongs to the same turn (and, for items with call ids, names it).
 */
export function withPendingId(pending: PendingIds, turnId: string, item: ThreadItem): ThreadItem {
  const kind = item.type as string;
  const p = pending[kind];
  if (!p || p.turnId !== turnId || (!NUMBERED.has(kind) && p.id !== item.id)) return item;
  delete pending[kind];
  return { ...item, id: p.id, startedAtMs: p.startedAtMs, completedAtMs: p.completedAtMs } as ThreadItem;
}
