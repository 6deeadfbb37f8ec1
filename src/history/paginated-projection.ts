// History of "paginated" threads (rollouts with `ordinal`s), as Codex 0.169.0 projects it into
// turn rows and item rows. Only `task_started`/`task_complete` (aliases `turn_started`/
// `turn_complete`), `turn_aborted` and `item_completed` (every item kind) shape it. A turn row is
// created once per turn id and is frozen once it reaches a terminal status; items are keyed by
// item id, keep the position and lifecycle times of their first appearance, and belong to the turn
// id their event names (even one with no turn row).
//
// The rules themselves are paginated-rules.ts (shared with the projection reducer's paginated
// mode); this file is their in-memory store of rows.
import type { Json, JsonObject } from "../rollout/line.js";
import type { ThreadItem, Turn } from "../protocol/v2.js";
import { feedPaginatedEvent, type PaginatedRowStore } from "./paginated-rules.js";
import { newTurn, turnView, type HistoryContext, type ItemRec, type TurnRec } from "./turn-records.js";

interface Bucket {
  items: ItemRec[];
}

export class PaginatedProjection implements PaginatedRowStore<TurnRec, ItemRec> {
  // Fields are read and written by the reducer's snapshot/restore (snapshot.ts).
  rows: TurnRec[] = [];
  readonly rowById = new Map<string, TurnRec>();
  /** the last started turn that has not ended (a turn_aborted without an id ends this one) */
  current: TurnRec | null = null;
  /** items by the turn id their event names */
  readonly buckets = new Map<string, Bucket>();
  /** every item row in creation order */
  readonly allItems: ItemRec[] = [];
  readonly itemById = new Map<string, ItemRec>();

  constructor(private readonly ctx: HistoryContext) {}

  event(p: JsonObject, ordinal: number): void {
    feedPaginatedEvent(this, p, ordinal);
  }

  /** Files an item row (also used when restoring a snapshot). */
  addItem(rec: ItemRec): void {
    this.itemById.set(rec.item.id, rec);
    this.allItems.push(rec);
    let b = this.buckets.get(rec.turnId);
    if (!b) this.buckets.set(rec.turnId, (b = { items: [] }));
    b.items.push(rec);
  }

  /** Turn rows in creation order, as v2 `Turn`s with their bucket's items. */
  turns(): Turn[] {
    return this.rows.map((t) => turnView(t, this.buckets.get(t.id)?.items ?? []));
  }

  turnMeta(index: number): { ordinal: number; firstUserId: string | null; finalAgentId: string | null } | undefined {
    const t = this.rows[index];
    if (!t) return undefined;
    const b = this.buckets.get(t.id);
    const first = b?.items.find((r) => r.item.type === "userMessage");
    return { ordinal: t.ordinal, firstUserId: first ? first.item.id : null, finalAgentId: t.finalAgentId };
  }

  // --- PaginatedRowStore ----------------------------------------------------------------------

  findRow(turnId: string): TurnRec | null {
    return this.rowById.get(turnId) ?? null;
  }

  startRow(turnId: string, ordinal: number, rootTurnId: string | null, startedAt: number | null): void {
    const t = this.createRow(turnId, ordinal);
    t.rootTurnId = rootTurnId;
    t.startedAt = startedAt;
    this.current = t;
    this.ctx.dirty(t);
  }

  /** A terminal or abort event for a turn that never started still gets a row. */
  createRow(turnId: string, ordinal: number): TurnRec {
    const t = newTurn(this.ctx, turnId, ordinal);
    t.status = "inProgress";
    this.rows.push(t);
    this.rowById.set(turnId, t);
    return t;
  }

  currentRow(): TurnRec | null {
    return this.current;
  }

  /** The summary's agent message: the last final answer, else the last message without a phase. */
  fixFinalAgent(t: TurnRec): void {
    t.finalAgentId = null;
    const items = this.buckets.get(t.id)?.items;
    if (!items) return;
    let plain: string | null = null;
    for (let i = items.length - 1; i >= 0; i--) {
      const it = items[i].item;
      if (it.type !== "agentMessage") continue;
      if (it.phase === "final_answer") {
        t.finalAgentId = it.id;
        return;
      }
      if (plain === null && (it.phase === null || it.phase === undefined)) plain = it.id;
    }
    t.finalAgentId = plain;
  }

  endRow(t: TurnRec): void {
    if (this.current === t) this.current = null;
    this.ctx.dirty(t);
  }

  findItem(itemId: string): ItemRec | null {
    return this.itemById.get(itemId) ?? null;
  }

  itemTimes(prev: ItemRec): { startedAtMs: Json; completedAtMs: Json } {
    return { startedAtMs: prev.item.startedAtMs ?? null, completedAtMs: prev.item.completedAtMs ?? null };
  }

  replaceItem(prev: ItemRec, item: ThreadItem): void {
    prev.item = item;
    this.ctx.dirty(this.rowById.get(prev.turnId));
  }

  fileItem(item: ThreadItem, turnId: string, ordinal: number): void {
    if (!this.ctx.itemOrd.has(item.id)) this.ctx.itemOrd.set(item.id, ordinal);
    this.addItem({ item, ordinal, turnId });
    this.ctx.dirty(this.rowById.get(turnId));
  }
}
