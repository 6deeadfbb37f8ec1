// History of "paginated" threads (rollouts with `ordinal`s), as Codex 0.169.0 projects it into
// turn rows and item rows. Only `task_started`/`task_complete` (aliases `turn_started`/
// `turn_complete`), `turn_aborted` and `item_completed` (every item kind) shape it. A turn row is
// created once per turn id and is frozen once it reaches a terminal status; items are keyed by
// item id, keep the position and lifecycle times of their first appearance, and belong to the turn
// id their event names (even one with no turn row).
import type { JsonObject } from "../rollout/line.js";
import type { Turn } from "../protocol/v2.js";
import { asNum, asStr, isObj } from "./codex-json.js";
import { START_EVENTS, TERMINAL_EVENTS } from "./codex-lines.js";
import { coreItemToThreadItem } from "./items.js";
import { turnErrorFrom } from "./turn-error.js";
import { newTurn, turnView, type HistoryContext, type ItemRec, type TurnRec } from "./turn-records.js";

interface Bucket {
  items: ItemRec[];
}

export class PaginatedProjection {
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
    const type = p.type;
    if (typeof type !== "string") return;
    if (START_EVENTS.has(type)) {
      const id = asStr(p.turn_id);
      if (id === null || this.rowById.has(id)) return;
      const t = newTurn(this.ctx, id, ordinal);
      t.status = "inProgress";
      t.rootTurnId = asStr(p.root_turn_id);
      t.startedAt = asNum(p.started_at);
      this.rows.push(t);
      this.rowById.set(id, t);
      this.current = t;
      this.ctx.dirty(t);
    } else if (TERMINAL_EVENTS.has(type)) {
      const id = asStr(p.turn_id);
      if (id === null) return;
      const t = this.rowById.get(id) ?? this.createRow(id, ordinal);
      if (t.status !== "inProgress") return;
      const err = isObj(p.error) ? p.error : null;
      t.status = err ? "failed" : "completed";
      t.error = err ? turnErrorFrom(err) : null;
      t.startedAt = asNum(p.started_at);
      t.completedAt = asNum(p.completed_at);
      t.durationMs = asNum(p.duration_ms);
      t.finalAgentId = this.pickFinalAgent(t.id);
      if (this.current === t) this.current = null;
      this.ctx.dirty(t);
    } else if (type === "turn_aborted") {
      const id = asStr(p.turn_id);
      const t = id !== null ? this.rowById.get(id) ?? this.createRow(id, ordinal) : this.current;
      if (!t || t.status !== "inProgress") return;
      t.status = "interrupted";
      // an abort that names its turn rewrites the row's times; one that does not keeps startedAt
      if (id !== null) t.startedAt = asNum(p.started_at);
      t.completedAt = asNum(p.completed_at);
      t.durationMs = asNum(p.duration_ms);
      if (this.current === t) this.current = null;
      this.ctx.dirty(t);
    } else if (type === "item_completed") {
      const raw = p.item;
      const turnId = asStr(p.turn_id);
      if (!isObj(raw) || turnId === null) return;
      const item = coreItemToThreadItem(raw, asNum(p.started_at_ms), asNum(p.completed_at_ms));
      if (!item) return;
      const prev = this.itemById.get(item.id);
      if (prev) {
        // the row keeps its place and first lifecycle times; only the payload changes
        item.startedAtMs = prev.item.startedAtMs ?? null;
        item.completedAtMs = prev.item.completedAtMs ?? null;
        prev.item = item;
        this.ctx.dirty(this.rowById.get(prev.turnId));
        return;
      }
      const rec: ItemRec = { item, ordinal, turnId };
      if (!this.ctx.itemOrd.has(item.id)) this.ctx.itemOrd.set(item.id, ordinal);
      this.addItem(rec);
      this.ctx.dirty(this.rowById.get(turnId));
    }
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

  /** A terminal or abort event for a turn that never started still gets a row. */
  private createRow(id: string, ordinal: number): TurnRec {
    const t = newTurn(this.ctx, id, ordinal);
    t.status = "inProgress";
    this.rows.push(t);
    this.rowById.set(id, t);
    return t;
  }

  /** The summary's agent message: the last final answer, else the last message without a phase. */
  private pickFinalAgent(turnId: string): string | null {
    const items = this.buckets.get(turnId)?.items;
    if (!items) return null;
    let plain: string | null = null;
    for (let i = items.length - 1; i >= 0; i--) {
      const it = items[i].item;
      if (it.type !== "agentMessage") continue;
      if (it.phase === "final_answer") return it.id;
      if (plain === null && (it.phase === null || it.phase === undefined)) plain = it.id;
    }
    return plain;
  }
}
