// Checkpoints of a ThreadHistoryReducer: its whole state as plain JSON (format v1), so reducing
// can resume later from where it stopped instead of re-reading the rollout. Keep the key order:
// a restored snapshot re-serializes to the same text.
import type { ThreadItem } from "../protocol/v2.js";
import type { LegacyReplay } from "./legacy-replay.js";
import type { PaginatedProjection } from "./paginated-projection.js";
import type { PendingIds } from "./spool-ids.js";
import type { HistoryContext, HistoryMode, TurnRec } from "./turn-records.js";

/** A turn record without its derived parts (item index, memoized view); items as [ordinal, item]. */
type SnapTurn = Omit<TurnRec, "items" | "itemIndex" | "view"> & { items: [number, ThreadItem][] };

interface SnapshotV1 {
  v: 1;
  threadId: string | null;
  mode: HistoryMode;
  modeKnown: boolean;
  sawMeta?: boolean;
  // legacy replay
  lineIndex: number;
  nextItem: number;
  /** Spool's mark (absent in snapshots older than it: null) */
  spoolItems?: boolean | null;
  /** Spool's pending stable ids (absent in older snapshots: none) */
  pendingIds?: PendingIds;
  done: SnapTurn[];
  cur: SnapTurn | null;
  // paginated projection
  rows: SnapTurn[];
  current: string | null;
  items: [number, string, ThreadItem][];
  // shared
  turnOrd: [string, number][];
  itemOrd: [string, number][];
}

/** The reducer's own fields that go into a snapshot. */
export interface SnapshotHead {
  threadId: string | null;
  mode: HistoryMode;
  modeKnown: boolean;
  sawMeta: boolean;
}

function snapTurn(t: TurnRec): SnapTurn {
  return {
    id: t.id,
    rootTurnId: t.rootTurnId,
    status: t.status,
    error: t.error,
    startedAt: t.startedAt,
    completedAt: t.completedAt,
    durationMs: t.durationMs,
    ordinal: t.ordinal,
    explicit: t.explicit,
    sawCompaction: t.sawCompaction,
    items: t.items.map((r) => [r.ordinal, r.item]),
    finalAgentId: t.finalAgentId,
  };
}

function unsnapTurn(o: SnapTurn): TurnRec {
  return {
    id: o.id,
    rootTurnId: o.rootTurnId,
    status: o.status,
    error: o.error,
    startedAt: o.startedAt,
    completedAt: o.completedAt,
    durationMs: o.durationMs,
    ordinal: o.ordinal,
    explicit: o.explicit,
    sawCompaction: o.sawCompaction,
    items: o.items.map(([ordinal, item]) => ({ item, ordinal, turnId: o.id })),
    itemIndex: null,
    finalAgentId: o.finalAgentId,
    view: null,
  };
}

/** A deep copy of the state as plain JSON (shares nothing with the live reducer). */
export function writeSnapshot(head: SnapshotHead, ctx: HistoryContext, legacy: LegacyReplay, paginated: PaginatedProjection): unknown {
  const state: SnapshotV1 = {
    v: 1,
    threadId: head.threadId,
    mode: head.mode,
    modeKnown: head.modeKnown,
    sawMeta: head.sawMeta,
    lineIndex: legacy.lineIndex,
    nextItem: legacy.nextItem,
    spoolItems: legacy.spoolItems,
    pendingIds: legacy.pendingIds,
    done: legacy.done.map(snapTurn),
    cur: legacy.cur ? snapTurn(legacy.cur) : null,
    rows: paginated.rows.map(snapTurn),
    current: paginated.current ? paginated.current.id : null,
    items: paginated.allItems.map((r) => [r.ordinal, r.turnId, r.item]),
    turnOrd: [...ctx.turnOrd],
    itemOrd: [...ctx.itemOrd],
  };
  return JSON.parse(JSON.stringify(state));
}

/** A deep copy of a stored snapshot (the caller's object stays untouched); throws on other versions. */
export function readSnapshot(state: unknown): SnapshotV1 {
  const s = JSON.parse(JSON.stringify(state)) as SnapshotV1;
  if (!s || s.v !== 1) throw new Error("unsupported thread history snapshot");
  return s;
}

/** Loads a snapshot's mode state into a fresh reducer's parts. */
export function restoreSnapshot(s: SnapshotV1, ctx: HistoryContext, legacy: LegacyReplay, paginated: PaginatedProjection): void {
  legacy.lineIndex = s.lineIndex;
  legacy.nextItem = s.nextItem;
  legacy.spoolItems = s.spoolItems ?? null;
  legacy.pendingIds = s.pendingIds ?? {};
  legacy.done = s.done.map(unsnapTurn);
  legacy.indexDone();
  legacy.cur = s.cur ? unsnapTurn(s.cur) : null;
  paginated.rows = s.rows.map(unsnapTurn);
  for (const t of paginated.rows) paginated.rowById.set(t.id, t);
  paginated.current = s.current !== null ? paginated.rowById.get(s.current) ?? null : null;
  for (const [ordinal, turnId, item] of s.items) paginated.addItem({ item, ordinal, turnId });
  for (const [id, ordinal] of s.turnOrd) ctx.turnOrd.set(id, ordinal);
  for (const [id, ordinal] of s.itemOrd) ctx.itemOrd.set(id, ordinal);
}
