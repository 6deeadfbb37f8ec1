// The projection reducer's paginated mode. Mirrors src/history/paginated-projection.ts (keep
// them in step: the projection tests compare the two on every fixture and on random event
// streams): turns are rows keyed by their ids, started once and frozen once they end, and items
// are filed under the turn id their item_completed names, whether or not that turn has a row.
import type { JsonObject } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { asNum, asStr, isObj } from "../history/codex-json.js";
import { START_EVENTS, TERMINAL_EVENTS } from "../history/codex-lines.js";
import { coreItemToThreadItem } from "../history/items.js";
import { turnErrorFrom } from "../history/turn-error.js";
import type { CoreState } from "./resume-state.js";
import type { RowWriter } from "./row-writer.js";
import type { ThreadTables, TurnRow } from "./tables.js";

export class PaginatedMode {
  /** `s` and `db` are the writer's own state and tables. */
  constructor(private readonly w: RowWriter, private readonly s: CoreState, private readonly db: ThreadTables) {}

  /** Feeds one event_msg payload (only those lines matter in a paginated thread). */
  feedEvent(p: JsonObject, ordinal: number): void {
    const type = p.type;
    if (typeof type !== "string") return;
    if (START_EVENTS.has(type)) {
      const id = asStr(p.turn_id);
      if (id === null || this.db.firstTurnById(id)) return;
      const t = this.w.newTurn(id, ordinal, "inProgress");
      t.rootTurnId = asStr(p.root_turn_id);
      t.startedAt = asNum(p.started_at);
      t.firstUserSeq = this.db.firstKindInTurnId(id, "userMessage");
      this.w.putTurn(t);
      this.s.current = t.seq;
      this.w.events.started(t, ordinal);
    } else if (TERMINAL_EVENTS.has(type)) {
      const id = asStr(p.turn_id);
      if (id === null) return;
      const t = this.db.firstTurnById(id) ?? this.createRow(id, ordinal);
      if (t.status !== "inProgress") return;
      const err = isObj(p.error) ? p.error : null;
      t.status = err ? "failed" : "completed";
      t.error = err ? turnErrorFrom(err) : null;
      t.startedAt = asNum(p.started_at);
      t.completedAt = asNum(p.completed_at);
      t.durationMs = asNum(p.duration_ms);
      t.finalAgentSeq = this.pickFinalAgent(t.turnId);
      if (this.s.current === t.seq) this.s.current = null;
      this.w.putTurn(t);
      this.w.events.transition(t, "inProgress", null, ordinal);
    } else if (type === "turn_aborted") {
      const id = asStr(p.turn_id);
      const t = id !== null ? this.db.firstTurnById(id) ?? this.createRow(id, ordinal) : this.s.current !== null ? this.db.turnBySeq(this.s.current) : null;
      if (!t || t.status !== "inProgress") return;
      t.status = "interrupted";
      // an abort that names its turn rewrites the row's times; one that does not keeps startedAt
      if (id !== null) t.startedAt = asNum(p.started_at);
      t.completedAt = asNum(p.completed_at);
      t.durationMs = asNum(p.duration_ms);
      if (this.s.current === t.seq) this.s.current = null;
      this.w.putTurn(t);
      this.w.events.transition(t, "inProgress", null, ordinal, p.reason);
    } else if (type === "item_completed") {
      const raw = p.item;
      const turnId = asStr(p.turn_id);
      if (!isObj(raw) || turnId === null) return;
      const item = coreItemToThreadItem(raw, asNum(p.started_at_ms), asNum(p.completed_at_ms));
      if (!item) return;
      const prev = this.db.itemById(item.id);
      if (prev) {
        // the row keeps its place, turn and first lifecycle times; only the payload changes
        const old = JSON.parse(prev.json) as ThreadItem;
        item.startedAtMs = old.startedAtMs ?? null;
        item.completedAtMs = old.completedAtMs ?? null;
        this.w.putItem(prev.seq, item, prev.turnId, null, prev.rolloutOrdinal);
        if (prev.kind !== item.type && (prev.kind === "userMessage" || item.type === "userMessage")) {
          const t = this.db.firstTurnById(prev.turnId);
          if (t) {
            t.firstUserSeq = this.db.firstKindInTurnId(t.turnId, "userMessage");
            this.w.putTurn(t);
          }
        }
        return;
      }
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

  /** A terminal or abort event for a turn that never started still gets a row. */
  private createRow(id: string, ordinal: number): TurnRow {
    const t = this.w.newTurn(id, ordinal, "inProgress");
    t.firstUserSeq = this.db.firstKindInTurnId(id, "userMessage");
    return t;
  }

  /** The summary's agent message: the last final answer, else the last message without a phase. */
  private pickFinalAgent(turnId: string): number | null {
    return this.db.lastAgentMessage(turnId, "final_answer") ?? this.db.lastAgentMessage(turnId, null);
  }
}
