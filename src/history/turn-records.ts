// The records both history modes build turns from, and what they share with the reducer that
// composes them (reducer.ts): first-appearance ordinals for paging, and cache invalidation.
import type { ThreadItem, Turn, TurnError, TurnStatus } from "../protocol/v2.js";

export type HistoryMode = "legacy" | "paginated";

export interface ItemRec {
  item: ThreadItem;
  ordinal: number;
  turnId: string;
}

/** A turn's v2 fields besides its id and items: what the shared rules (legacy-rules.ts, paginated-rules.ts) set. */
export interface TurnFields {
  rootTurnId: string | null;
  status: TurnStatus;
  error: TurnError | null;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
}

export interface TurnRec extends TurnFields {
  id: string;
  ordinal: number;
  /** legacy: opened by a turn_started event (kept even when empty) */
  explicit: boolean;
  /** legacy: saw a `compacted` line (kept even when empty) */
  sawCompaction: boolean;
  /** legacy: the turn's own items (paginated turns read their bucket instead) */
  items: ItemRec[];
  itemIndex: Map<string, number> | null;
  /** paginated: the agent message the summary view shows, fixed when the turn completes */
  finalAgentId: string | null;
  /** the memoized `Turn`, dropped whenever the record changes */
  view: Turn | null;
}

/** What the legacy replay and the paginated projection share with their reducer. */
export interface HistoryContext {
  /** ordinals of first appearance, for paging */
  readonly turnOrd: Map<string, number>;
  readonly itemOrd: Map<string, number>;
  /** Something changed: drop `t`'s memoized view (when given) and the materialized turn list. */
  dirty(t?: TurnRec | null): void;
}

/** A fresh turn record (status "completed" until a mode says otherwise); records its ordinal. */
export function newTurn(ctx: HistoryContext, id: string, ordinal: number): TurnRec {
  if (!ctx.turnOrd.has(id)) ctx.turnOrd.set(id, ordinal);
  return {
    id,
    rootTurnId: null,
    status: "completed",
    error: null,
    startedAt: null,
    completedAt: null,
    durationMs: null,
    ordinal,
    explicit: false,
    sawCompaction: false,
    items: [],
    itemIndex: null,
    finalAgentId: null,
    view: null,
  };
}

/** The record as a v2 `Turn` with the given items, memoized until the record is dirtied. */
export function turnView(t: TurnRec, recs: readonly ItemRec[]): Turn {
  if (t.view) return t.view;
  const v: Turn = {
    id: t.id,
    rootTurnId: t.rootTurnId,
    items: recs.map((r) => r.item),
    itemsView: "full",
    status: t.status,
    error: t.error,
    startedAt: t.startedAt,
    completedAt: t.completedAt,
    durationMs: t.durationMs,
  };
  t.view = v;
  return v;
}
