// The projection reducer's paginated mode: the store of Codex's rules for paginated threads
// (src/history/paginated-rules.ts, which the history reducer's in-memory projection runs too) over
// the projection tables. The projection tests compare the two reducers on every fixture and on
// random event streams.
import type { Json, JsonObject } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { feedPaginatedEvent, type PaginatedRowStore } from "../history/paginated-rules.js";
import type { CoreState } from "./resume-state.js";
import type { RowWriter } from "./row-writer.js";
import type { ItemRow, ThreadTables, TurnRow } from "./tables.js";

export class PaginatedMode implements PaginatedRowStore<TurnRow, ItemRow> {
  /** `s` and `db` are the writer's own state and tables. */
  constructor(private readonly w: RowWriter, private readonly s: CoreState, private readonly db: ThreadTables) {}

  /** Feeds one event_msg payload (only those lines matter in a paginated thread). */
  feedEvent(p: JsonObject, ordinal: number): void {
    feedPaginatedEvent(this, p, ordinal);
  }

  // --- PaginatedRowStore ----------------------------------------------------------------------

  findRow(turnId: string): TurnRow | null {
    return this.db.firstTurnById(turnId);
  }

  startRow(turnId: string, ordinal: number, rootTurnId: string | null, startedAt: number | null): void {
    const t = this.w.newTurn(turnId, ordinal, "inProgress");
    t.rootTurnId = rootTurnId;
    t.startedAt = startedAt;
    t.firstUserSeq = this.db.firstKindInTurnId(turnId, "userMessage");
    this.w.putTurn(t);
    this.s.current = t.seq;
    this.w.events.started(t, ordinal);
  }

  /** A terminal or abort event for a turn that never started still gets a row. */
  createRow(turnId: string, ordinal: number): TurnRow {
    const t = this.w.newTurn(turnId, ordinal, "inProgress");
    t.firstUserSeq = this.db.firstKindInTurnId(turnId, "userMessage");
    return t;
  }

  currentRow(): TurnRow | null {
    return this.s.current !== null ? this.db.turnBySeq(this.s.current) : null;
  }

  /** The summary's agent message: the last final answer, else the last message without a phase. */
  fixFinalAgent(t: TurnRow): void {
    t.finalAgentSeq = this.db.lastAgentMessage(t.turnId, "final_answer") ?? this.db.lastAgentMessage(t.turnId, null);
  }

  endRow(t: TurnRow, ordinal: number, reason: Json | undefined): void {
    if (this.s.current === t.seq) this.s.current = null;
    this.w.putTurn(t);
    this.w.events.transition(t, "inProgress", null, ordinal, reason);
  }

  findItem(itemId: string): ItemRow | null {
    return this.db.itemById(itemId);
  }

  itemTimes(prev: ItemRow): { startedAtMs: Json; completedAtMs: Json } {
    const old = JSON.parse(prev.json) as ThreadItem;
    return { startedAtMs: old.startedAtMs ?? null, completedAtMs: old.completedAtMs ?? null };
  }

  replaceItem(prev: ItemRow, item: ThreadItem): void {
    this.w.putItem(prev.seq, item, prev.turnId, null, prev.rolloutOrdinal);
    if (prev.kind !== item.type && (prev.kind === "userMessage" || item.type === "userMessage")) {
      const t = this.db.firstTurnById(prev.turnId);
      if (t) {
        t.firstUserSeq = this.db.firstKindInTurnId(t.turnId, "userMessage");
        this.w.putTurn(t);
      }
    }
  }

  fileItem(item: ThreadItem, turnId: string, ordinal: number): void {
    const seq = this.s.nextItemSeq++;
    this.w.putItem(seq, item, turnId, null, ordinal);
    if (item.type === "userMessage") {
      const t = this.db.firstTurnById(turnId);
      if (t && t.firstUserSeq === null) {
        t.firstUserSeq = seq;
        this.w.putTurn(t);
      }
    }
  }
}
