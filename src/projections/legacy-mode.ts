// The projection reducer's legacy mode: the store of Codex's legacy replay rules
// (src/history/legacy-rules.ts, which the history reducer's in-memory replay runs too) over the
// projection tables. The projection tests compare the two reducers on every fixture and on
// random event streams.
//
// Only the open turn is in the resume state (`s.cur`); a line that touches a finished turn (a
// late `task_complete`, a `turn_aborted` naming an old turn, an item filed under an old turn id,
// a rollback) looks it up in the tables.
import { createHash } from "node:crypto";
import type { Json, RolloutLine } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { isSpoolLegacyItem, isSpoolLegacyKind } from "../history/codex-lines.js";
import { feedLegacyLine, type LegacyTurnStore } from "../history/legacy-rules.js";
import type { PendingIds } from "../history/spool-ids.js";
import { errJson } from "./lifecycle.js";
import type { CoreState, OpenTurn } from "./resume-state.js";
import type { RowWriter } from "./row-writer.js";
import type { ThreadTables, TurnRow } from "./tables.js";

/** Item kinds a turn row's summary points at (firstUserSeq, finalAgentSeq). */
const SUMMARY_KINDS = new Set(["userMessage", "agentMessage"]);

/**
 * A hook prompt without an id gets a random one from Codex on every read; a projection must be
 * the same on every rebuild, so it gets one derived from the thread and the line instead.
 */
function stableUuid(threadId: string, ordinal: number, index: number): string {
  const h = createHash("sha1").update(`${threadId}:${ordinal}:${index}`).digest("hex");
  const v = ((parseInt(h[16], 16) & 3) | 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class LegacyMode implements LegacyTurnStore<TurnRow> {
  /** `s` and `db` are the writer's own state and tables. */
  constructor(private readonly w: RowWriter, private readonly s: CoreState, private readonly db: ThreadTables) {}

  /** Feeds one line (the core has already read turn_context and session_meta from it). */
  feed(line: RolloutLine, ordinal: number): void {
    feedLegacyLine(this, line, ordinal);
  }

  // --- LegacyTurnStore ------------------------------------------------------------------------

  get spoolItems(): boolean | null {
    return this.s.spoolItems ?? null;
  }

  get pendingIds(): PendingIds {
    return (this.s.pendingIds ??= {});
  }

  takeLineIndex(): number {
    return this.s.lineIndex++;
  }

  nextItemId(): string {
    return `item-${this.s.nextItem++}`;
  }

  hookPromptId(ordinal: number, index: number): string {
    return stableUuid(this.s.threadId, ordinal, index);
  }

  turnId(t: TurnRow): string {
    return t.turnId;
  }

  current(): TurnRow | null {
    return this.s.cur ? this.s.cur.turn : null;
  }

  /** The open turn, or an implicit one named after the line that opens it. */
  ensureCurrent(index: number, ordinal: number): TurnRow {
    if (!this.s.cur) this.s.cur = { turn: this.w.newTurn(`rollout-${index}`, ordinal, "completed"), explicit: false, sawCompaction: false, itemCount: 0, last: null };
    return this.s.cur.turn;
  }

  openExplicit(turnId: string, ordinal: number, rootTurnId: string | null, startedAt: number | null): void {
    const t = this.w.newTurn(turnId, ordinal, "inProgress");
    t.rootTurnId = rootTurnId;
    t.startedAt = startedAt;
    this.s.cur = { turn: t, explicit: true, sawCompaction: false, itemCount: 0, last: null };
    this.touchCur();
    this.w.events.started(t, ordinal);
  }

  finishCurrent(): void {
    const c = this.s.cur;
    if (!c) return;
    this.s.cur = null;
    if (this.kept(c)) this.s.doneItems += c.itemCount;
  }

  /** The first finished (kept) turn with this id. */
  findDone(id: string): TurnRow | null {
    const c = this.s.cur;
    return this.db.firstTurnById(id, c ? c.turn.seq : -1);
  }

  // Only the open turn is asked these (its flags live in the resume state).
  explicit(): boolean {
    return this.s.cur!.explicit;
  }

  sawCompaction(): boolean {
    return this.s.cur!.sawCompaction;
  }

  hasCodexItems(): boolean {
    return this.s.cur!.itemCount > 0;
  }

  markCompaction(): void {
    this.s.cur!.sawCompaction = true;
    this.touchCur();
  }

  changeTurn(t: TurnRow, ordinal: number, reason: Json | undefined, change: () => void): void {
    const before = t.status;
    const beforeErr = errJson(t);
    change();
    this.saveTurn(t);
    this.w.events.transition(t, before, beforeErr, ordinal, reason);
  }

  rollback(n: number, ordinal: number): void {
    const dropped = n > 0 ? this.db.lastTurns(n) : [];
    let lost = 0;
    for (const t of dropped) {
      for (const it of this.db.itemsOfTurn(t.seq)) {
        this.w.deleteItem(it);
        if (!isSpoolLegacyKind(it.kind)) lost++; // Spool's extension items are not counted
      }
      this.w.deleteTurn(t);
    }
    this.s.doneItems -= lost;
    this.s.nextItem = this.s.doneItems + 1;
    this.w.events.rolledBack(ordinal, n, dropped.reverse().map((t) => t.turnId));
  }

  /** Reasoning events only extend the open turn's last item. */
  lastReasoning(): ThreadItem | null {
    const last = this.s.cur!.last;
    return last && last.kind === "reasoning" && last.item ? last.item : null;
  }

  replaceLastReasoning(_t: TurnRow, item: ThreadItem): void {
    const c = this.s.cur!;
    const last = c.last!;
    this.w.putItem(last.seq, item, c.turn.turnId, c.turn.seq, last.ordinal);
    last.item = item;
  }

  /** Appends an item to `turn`. */
  pushItem(turn: TurnRow, item: ThreadItem, ordinal: number): void {
    const c = this.s.cur;
    const seq = this.s.nextItemSeq++;
    this.w.putItem(seq, item, turn.turnId, turn.seq, ordinal);
    const isCur = c !== null && c.turn === turn;
    if (isSpoolLegacyItem(item)) {
      // Spool's extension: not counted, never the item a reasoning event extends
      if (isCur) this.touchCur();
      return;
    }
    if (item.type === "userMessage" && turn.firstUserSeq === null) turn.firstUserSeq = seq;
    if (item.type === "agentMessage") turn.finalAgentSeq = seq;
    if (isCur) {
      c.itemCount++;
      c.last = { seq, kind: item.type, ordinal, item: item.type === "reasoning" ? item : null };
      this.touchCur();
    } else {
      this.s.doneItems++;
      this.w.putTurn(turn);
    }
  }

  /**
   * An item whose id the turn already has replaces that one in place, keeping its seq and
   * ordinal; but Spool's extension items never replace Codex's, and give way to them.
   */
  upsertItem(turn: TurnRow, item: ThreadItem, ordinal: number): void {
    const c = this.s.cur;
    const prev = this.db.itemInTurn(turn.seq, item.id);
    if (!prev) return this.pushItem(turn, item, ordinal);
    const extra = isSpoolLegacyItem(item);
    if (extra !== isSpoolLegacyKind(prev.kind)) {
      if (extra) return;
      // Codex's replay has no item with this id here: it appends its item
      this.w.deleteItem(prev);
      return this.pushItem(turn, item, ordinal);
    }
    this.w.putItem(prev.seq, item, turn.turnId, turn.seq, prev.rolloutOrdinal);
    const isCur = c !== null && c.turn === turn;
    if (isCur && c.last && c.last.seq === prev.seq) c.last = { seq: prev.seq, kind: item.type, ordinal: prev.rolloutOrdinal, item: item.type === "reasoning" ? item : null };
    if (prev.kind !== item.type && (SUMMARY_KINDS.has(prev.kind) || SUMMARY_KINDS.has(item.type))) {
      turn.firstUserSeq = this.db.kindInTurnSeq(turn.seq, "userMessage", false);
      turn.finalAgentSeq = this.db.kindInTurnSeq(turn.seq, "agentMessage", true);
      this.saveTurn(turn);
    }
  }

  // -------------------------------------------------------------------------------------------

  private kept(c: OpenTurn): boolean {
    return c.itemCount > 0 || c.explicit || c.sawCompaction;
  }

  /** Writes the open turn's row once Codex would keep the turn. */
  private touchCur(): void {
    const c = this.s.cur;
    if (c && this.kept(c)) this.w.putTurn(c.turn);
  }

  /** Writes a turn row: the open turn's only when it is kept. */
  private saveTurn(t: TurnRow): void {
    const c = this.s.cur;
    if (c && c.turn === t) this.touchCur();
    else this.w.putTurn(t);
  }
}
