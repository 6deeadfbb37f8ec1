// Codex 0.169.0's rules for "paginated" threads (see paginated-projection.ts for what they are),
// written once over where the turn rows and item rows live (`PaginatedRowStore`): the history
// reducer keeps them in memory (paginated-projection.ts), the projection reducer in its tables
// (src/projections/paginated-mode.ts).
import type { Json, JsonObject } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { asNum, asStr, isObj } from "./codex-json.js";
import { START_EVENTS, TERMINAL_EVENTS } from "./codex-lines.js";
import { coreItemToThreadItem } from "./items.js";
import { turnErrorFrom } from "./turn-error.js";
import type { TurnFields } from "./turn-records.js";

/** Where a paginated thread's rows live. `T` is a turn row, `I` an item row. */
export interface PaginatedRowStore<T extends TurnFields, I> {
  /** The (first) turn row with this id. */
  findRow(turnId: string): T | null;
  /** A started turn's row, now the current one. */
  startRow(turnId: string, ordinal: number, rootTurnId: string | null, startedAt: number | null): void;
  /** An in-progress row for a turn that ends without having started (not recorded as changed yet). */
  createRow(turnId: string, ordinal: number): T;
  /** The last started turn that has not ended. */
  currentRow(): T | null;
  /** Fixes the agent message the turn's summary shows (when it completes). */
  fixFinalAgent(t: T): void;
  /** The row ended (its fields are set): it is no longer current; records the change. */
  endRow(t: T, ordinal: number, reason: Json | undefined): void;
  findItem(itemId: string): I | null;
  /** The lifecycle times of an item row's item. */
  itemTimes(prev: I): { startedAtMs: Json; completedAtMs: Json };
  /** Replaces an item row's item, keeping its place and turn. */
  replaceItem(prev: I, item: ThreadItem): void;
  /** A new item row, filed under the turn id its event names. */
  fileItem(item: ThreadItem, turnId: string, ordinal: number): void;
}

/** Feeds one event_msg payload (only those lines matter in a paginated thread). */
export function feedPaginatedEvent<T extends TurnFields, I>(st: PaginatedRowStore<T, I>, p: JsonObject, ordinal: number): void {
  const type = p.type;
  if (typeof type !== "string") return;
  if (START_EVENTS.has(type)) {
    const id = asStr(p.turn_id);
    if (id === null || st.findRow(id)) return;
    st.startRow(id, ordinal, asStr(p.root_turn_id), asNum(p.started_at));
  } else if (TERMINAL_EVENTS.has(type)) {
    const id = asStr(p.turn_id);
    if (id === null) return;
    const t = st.findRow(id) ?? st.createRow(id, ordinal);
    if (t.status !== "inProgress") return;
    const err = isObj(p.error) ? p.error : null;
    t.status = err ? "failed" : "completed";
    t.error = err ? turnErrorFrom(err) : null;
    t.startedAt = asNum(p.started_at);
    t.completedAt = asNum(p.completed_at);
    t.durationMs = asNum(p.duration_ms);
    st.fixFinalAgent(t);
    st.endRow(t, ordinal, undefined);
  } else if (type === "turn_aborted") {
    const id = asStr(p.turn_id);
    const t = id !== null ? st.findRow(id) ?? st.createRow(id, ordinal) : st.currentRow();
    if (!t || t.status !== "inProgress") return;
    t.status = "interrupted";
    // an abort that names its turn rewrites the row's times; one that does not keeps startedAt
    if (id !== null) t.startedAt = asNum(p.started_at);
    t.completedAt = asNum(p.completed_at);
    t.durationMs = asNum(p.duration_ms);
    st.endRow(t, ordinal, p.reason);
  } else if (type === "item_completed") {
    const raw = p.item;
    const turnId = asStr(p.turn_id);
    if (!isObj(raw) || turnId === null) return;
    const item = coreItemToThreadItem(raw, asNum(p.started_at_ms), asNum(p.completed_at_ms));
    if (!item) return;
    const prev = st.findItem(item.id);
    if (prev) {
      // the row keeps its place, turn and first lifecycle times; only the payload changes
      const times = st.itemTimes(prev);
      item.startedAtMs = times.startedAtMs;
      item.completedAtMs = times.completedAtMs;
      st.replaceItem(prev, item);
      return;
    }
    st.fileItem(item, turnId, ordinal);
  }
}
