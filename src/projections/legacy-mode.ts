// The projection reducer's legacy mode: which turn and slot each converted item lands in, and
// when a turn opens, ends or is dropped. Mirrors src/history/legacy-replay.ts (keep them in step:
// the projection tests compare the two on every fixture and on random event streams); the item
// conversions themselves are the history reducer's own (src/history/items*.ts).
//
// Only the open turn is in the resume state (`s.cur`); a line that touches a finished turn (a
// late `task_complete`, a `turn_aborted` naming an old turn, an item filed under an old turn id,
// a rollback) looks it up in the tables.
import { createHash } from "node:crypto";
import type { Json, JsonObject, RolloutLine } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { asNum, asStr, isObj } from "../history/codex-json.js";
import { isSpoolLegacyItem, isSpoolLegacyKind, legacyLineCounts, spoolLegacyItem } from "../history/codex-lines.js";
import { coreItemToThreadItem, simpleItem } from "../history/items.js";
import { legacyPatchApplyEnd } from "../history/items-commands.js";
import { enteredReviewText, exitedReviewText, legacyAgentMessage, legacyUserMessage, parseHookPrompt, reasoningItem } from "../history/items-messages.js";
import { legacyImageGenerationEnd, legacyMcpToolCallEnd, legacyWebSearchEnd } from "../history/items-tools.js";
import { turnErrorFrom } from "../history/turn-error.js";
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

export class LegacyMode {
  /** `s` and `db` are the writer's own state and tables. */
  constructor(private readonly w: RowWriter, private readonly s: CoreState, private readonly db: ThreadTables) {}

  /** Feeds one line (the core has already read turn_context and session_meta from it). */
  feed(line: RolloutLine, ordinal: number): void {
    if (!legacyLineCounts(line)) {
      if (this.s.spoolItems !== true) return;
      const extra = spoolLegacyItem(line);
      if (extra) this.upsertInTurnId(extra.turnId, extra.item, ordinal);
      return;
    }
    this.replayLine(line, this.s.lineIndex++, ordinal);
  }

  private replayLine(line: RolloutLine, index: number, ordinal: number): void {
    const p = line.payload;
    switch (line.type) {
      case "compacted": {
        const c = this.ensureTurn(index, ordinal);
        c.sawCompaction = true;
        this.touchCur();
        return;
      }
      case "response_item": {
        const hook = parseHookPrompt(p);
        if (!hook) return;
        this.ensureTurn(index, ordinal);
        this.push(null, simpleItem("hookPrompt", hook.id ?? stableUuid(this.s.threadId, ordinal, index), { fragments: hook.fragments }), ordinal);
        return;
      }
      case "event_msg":
        this.eventMsg(p, index, ordinal);
        return;
      default:
        return;
    }
  }

  private eventMsg(p: JsonObject, index: number, ordinal: number): void {
    switch (p.type) {
      case "user_message": {
        const c = this.s.cur;
        if (c && !c.explicit && !(c.sawCompaction && c.itemCount === 0)) this.finishCurrent();
        this.ensureTurn(index, ordinal);
        this.push(null, legacyUserMessage(this.itemId(), p), ordinal);
        return;
      }
      case "agent_message": {
        if (!p.message) return;
        this.ensureTurn(index, ordinal);
        this.push(null, legacyAgentMessage(this.itemId(), p), ordinal);
        return;
      }
      case "agent_reasoning":
      case "agent_reasoning_raw_content": {
        const text = asStr(p.text);
        if (!text) return;
        const raw = p.type === "agent_reasoning_raw_content";
        const c = this.ensureTurn(index, ordinal);
        const last = c.last;
        if (last && last.kind === "reasoning" && last.item) {
          // consecutive reasoning events extend the same item
          const r = last.item;
          const summary = (r.summary as Json[]).slice();
          const content = (r.content as Json[]).slice();
          (raw ? content : summary).push(text);
          const item = reasoningItem(r.id, summary, content);
          this.w.putItem(last.seq, item, c.turn.turnId, c.turn.seq, last.ordinal);
          last.item = item;
          return;
        }
        this.push(null, reasoningItem(this.itemId(), raw ? [] : [text], raw ? [text] : []), ordinal);
        return;
      }
      case "web_search_end":
        this.ensureTurn(index, ordinal);
        this.upsert(null, legacyWebSearchEnd(p), ordinal);
        return;
      case "mcp_tool_call_end":
        this.ensureTurn(index, ordinal);
        this.upsert(null, legacyMcpToolCallEnd(p), ordinal);
        return;
      case "image_generation_end":
        this.ensureTurn(index, ordinal);
        this.upsert(null, legacyImageGenerationEnd(p), ordinal);
        return;
      case "patch_apply_end": {
        const item = legacyPatchApplyEnd(p);
        const turnId = asStr(p.turn_id);
        if (!turnId) {
          this.ensureTurn(index, ordinal);
          this.upsert(null, item, ordinal);
        } else this.upsertInTurnId(turnId, item, ordinal);
        return;
      }
      case "item_completed": {
        const raw = p.item;
        const turnId = asStr(p.turn_id);
        if (!isObj(raw) || turnId === null) return;
        if (!(raw.type === "Plan" && raw.text) && raw.type !== "Sleep") return;
        const item = coreItemToThreadItem(raw, asNum(p.started_at_ms), asNum(p.completed_at_ms));
        if (item) this.upsertInTurnId(turnId, item, ordinal);
        return;
      }
      case "context_compacted":
        this.ensureTurn(index, ordinal);
        this.push(null, simpleItem("contextCompaction", this.itemId()), ordinal);
        return;
      case "entered_review_mode":
        this.ensureTurn(index, ordinal);
        this.push(null, simpleItem("enteredReviewMode", this.itemId(), { review: enteredReviewText(p) }), ordinal);
        return;
      case "exited_review_mode":
        this.ensureTurn(index, ordinal);
        this.push(null, simpleItem("exitedReviewMode", this.itemId(), { review: exitedReviewText(p) }), ordinal);
        return;
      case "task_started":
      case "turn_started": {
        this.finishCurrent();
        const t = this.w.newTurn(asStr(p.turn_id) ?? "", ordinal, "inProgress");
        t.rootTurnId = asStr(p.root_turn_id);
        t.startedAt = asNum(p.started_at);
        this.s.cur = { turn: t, explicit: true, sawCompaction: false, itemCount: 0, last: null };
        this.touchCur();
        this.w.events.started(t, ordinal);
        return;
      }
      case "task_complete":
      case "turn_complete":
        this.complete(p, ordinal);
        return;
      case "turn_aborted": {
        const id = asStr(p.turn_id);
        const c = this.s.cur;
        let t: TurnRow | null = null;
        if (id !== null) t = c && c.turn.turnId === id ? c.turn : this.findDone(id);
        if (!t) t = c ? c.turn : null;
        if (!t) return;
        const before = t.status;
        const beforeErr = errJson(t);
        t.status = "interrupted";
        if (typeof p.started_at === "number") t.startedAt = p.started_at;
        t.completedAt = asNum(p.completed_at);
        t.durationMs = asNum(p.duration_ms);
        this.saveTurn(t);
        this.w.events.transition(t, before, beforeErr, ordinal, p.reason);
        return;
      }
      case "thread_rolled_back": {
        this.finishCurrent();
        const n = Math.max(0, Math.floor(asNum(p.num_turns) ?? 0));
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
        return;
      }
      default:
        return;
    }
  }

  /** `task_complete` ends the open turn with its id, else updates the first finished turn with it, else ends the open turn. */
  private complete(p: JsonObject, ordinal: number): void {
    const id = asStr(p.turn_id) ?? "";
    const err = isObj(p.error) ? p.error : null;
    const apply = (t: TurnRow) => {
      const before = t.status;
      const beforeErr = errJson(t);
      if (err) {
        t.status = "failed";
        t.error = turnErrorFrom(err);
      } else if (t.status === "inProgress" || t.status === "completed") t.status = "completed";
      if (typeof p.started_at === "number") t.startedAt = p.started_at;
      t.completedAt = asNum(p.completed_at);
      t.durationMs = asNum(p.duration_ms);
      this.saveTurn(t);
      this.w.events.transition(t, before, beforeErr, ordinal);
    };
    const c = this.s.cur;
    if (c && c.turn.turnId === id) {
      apply(c.turn);
      this.finishCurrent();
      return;
    }
    const earlier = this.findDone(id);
    if (earlier) {
      apply(earlier);
      return;
    }
    if (c) {
      apply(c.turn);
      this.finishCurrent();
    }
  }

  private itemId(): string {
    return `item-${this.s.nextItem++}`;
  }

  /** The open turn, or an implicit one named after the line that opens it. */
  private ensureTurn(index: number, ordinal: number): OpenTurn {
    if (!this.s.cur) this.s.cur = { turn: this.w.newTurn(`rollout-${index}`, ordinal, "completed"), explicit: false, sawCompaction: false, itemCount: 0, last: null };
    return this.s.cur;
  }

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

  private finishCurrent(): void {
    const c = this.s.cur;
    if (!c) return;
    this.s.cur = null;
    if (this.kept(c)) this.s.doneItems += c.itemCount;
  }

  /** The first finished (kept) turn with this id. */
  private findDone(id: string): TurnRow | null {
    const c = this.s.cur;
    return this.db.firstTurnById(id, c ? c.turn.seq : -1);
  }

  /** Appends an item to `t` (null: the open turn). */
  private push(t: TurnRow | null, item: ThreadItem, ordinal: number): void {
    const c = this.s.cur;
    const turn = t ?? c!.turn;
    const seq = this.s.nextItemSeq++;
    this.w.putItem(seq, item, turn.turnId, turn.seq, ordinal);
    if (isSpoolLegacyItem(item)) {
      // Spool's extension: not counted, never the item a reasoning event extends
      if (t === null || (c && c.turn === t)) this.touchCur();
      return;
    }
    if (item.type === "userMessage" && turn.firstUserSeq === null) turn.firstUserSeq = seq;
    if (item.type === "agentMessage") turn.finalAgentSeq = seq;
    if (t === null || (c && c.turn === t)) {
      c!.itemCount++;
      c!.last = { seq, kind: item.type, ordinal, item: item.type === "reasoning" ? item : null };
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
  private upsert(t: TurnRow | null, item: ThreadItem, ordinal: number): void {
    const c = this.s.cur;
    const turn = t ?? c!.turn;
    const prev = this.db.itemInTurn(turn.seq, item.id);
    if (!prev) return this.push(t, item, ordinal);
    const extra = isSpoolLegacyItem(item);
    if (extra !== isSpoolLegacyKind(prev.kind)) {
      if (extra) return;
      // Codex's replay has no item with this id here: it appends its item
      this.w.deleteItem(prev);
      return this.push(t, item, ordinal);
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

  upsertInTurnId(turnId: string, item: ThreadItem, ordinal: number): void {
    const c = this.s.cur;
    if (c && c.turn.turnId === turnId) return this.upsert(null, item, ordinal);
    const t = this.findDone(turnId);
    if (t) this.upsert(t, item, ordinal);
  }
}
