// The projection reducer: rollout lines in, row mutations of the projection tables out, one line
// at a time, with a resume state bounded by the open turn.
//
// It answers exactly what the history reducer (src/history/reducer.ts) answers, in both history
// modes, but keeps finished turns and items in the tables instead of in memory: a line that
// touches a finished turn (a late `task_complete`, a `turn_aborted` naming an old turn, an item
// filed under an old turn id, a rollback) looks it up there. The item conversion rules are the
// history reducer's own (src/history/items*.ts, turn-error.ts, codex-lines.ts); what this file
// mirrors is only *which* turn and slot a converted item lands in, from
// src/history/legacy-replay.ts and src/history/paginated-projection.ts (keep them in step: the
// projection tests compare the two on every fixture and on random event streams).
//
// The resume state (`CoreState`, the checkpoint's `state`) holds counters, the open legacy turn
// (its row, flags, item count and its last item when that is a reasoning item, which the next
// reasoning event extends), the paginated current turn's seq, the open items, model and cwd, and
// Spool's mark on the thread's session_meta (a legacy thread Spool wrote also shows its command
// executions: Spool's extension, see src/history/codex-lines.ts). Nothing in it grows with the thread.
//
// Lifecycle events (the outbox) are derived from turn status transitions, so they agree with
// the turn rows by construction:
//   turn.started     a turn_started/task_started opened a turn             {startedAt}
//   turn.completed   a turn went from inProgress to completed               {completedAt, durationMs}
//   turn.cancelled   a turn became interrupted (turn_aborted)               {reason, completedAt, durationMs}
//   turn.failed      a turn became failed, or a failed turn got a new error {message, codexErrorInfo, completedAt, durationMs}
//   thread.rolled_back  a legacy thread_rolled_back dropped turns           {numTurns, droppedTurnIds}
// Deliberately NOT lifecycle events:
//  - item traffic (messages, reasoning, tool calls, item_completed, *_end events, compaction and
//    review items): thread_item mutations, not lifecycle;
//  - metadata lines (token counts and usage, turn_context / model / cwd changes, session_meta,
//    settings, names, goals, world state, undo, sub-agent activity, inter-agent messages);
//  - `error` events on their own: Codex 0.169 fails a turn in history only through a terminal
//    event carrying `error`, so a turn.failed is emitted from that status change; errors that
//    fail nothing (stream retries, warnings, threadRollbackFailed, activeTurnNotSteerable) never
//    produce one;
//  - live-only events the persistence policy drops (begin events, deltas, approvals, warnings):
//    they are not in the JSONL, and the projections must be rebuildable from the JSONL alone;
//  - legacy implicit turns (opened by a user message without turn_started): they are complete
//    from the start and have no started/completed events; likewise a paginated turn row that a
//    terminal or abort event creates for a turn that never started gets its terminal event only;
//  - terminal events that change no status (a second task_complete, a terminal event for a
//    frozen paginated row), and a legacy completion that only rewrites a turn's times;
//  - thread_rolled_back in paginated threads (Codex 0.169's paginated history ignores it);
//  - the read-time rewrite of a stale inProgress turn to interrupted (a view, not an event).
import { createHash } from "node:crypto";
import type { Json, JsonObject, RolloutLine } from "../rollout/line.js";
import type { ThreadItem, TurnStatus } from "../protocol/v2.js";
import type { HistoryMode } from "../history/reducer.js";
import { asNum, asStr, isObj } from "../history/codex-json.js";
import { isSpoolLegacyItem, isSpoolLegacyKind, legacyLineCounts, spoolItemsMarked, spoolLegacyItem, START_EVENTS, TERMINAL_EVENTS } from "../history/codex-lines.js";
import { coreItemToThreadItem, simpleItem } from "../history/items.js";
import { legacyPatchApplyEnd } from "../history/items-commands.js";
import { enteredReviewText, exitedReviewText, legacyAgentMessage, legacyUserMessage, parseHookPrompt, reasoningItem } from "../history/items-messages.js";
import { legacyImageGenerationEnd, legacyMcpToolCallEnd, legacyWebSearchEnd } from "../history/items-tools.js";
import { turnErrorFrom } from "../history/turn-error.js";
import type { EventRow, ItemRow, ThreadTables, TurnRow } from "./tables.js";

export type LifecycleType = "turn.started" | "turn.completed" | "turn.cancelled" | "turn.failed" | "thread.rolled_back";

/** One change to the projection tables, as the reducer makes it. */
export type ProjectionChange =
  | { kind: "item"; op: "upsert" | "tombstone"; row: ItemRow }
  | { kind: "turn"; op: "upsert" | "tombstone"; row: TurnRow }
  | { kind: "event"; event: EventRow };

interface LastItem {
  seq: number;
  kind: string;
  ordinal: number;
  /** only for a reasoning item: the next reasoning event extends it */
  item: ThreadItem | null;
}

/** Legacy: the open turn. */
interface OpenTurn {
  turn: TurnRow;
  /** opened by turn_started (kept even when empty) */
  explicit: boolean;
  /** saw a `compacted` line (kept even when empty) */
  sawCompaction: boolean;
  /** items Codex's replay builds (Spool's extension items are not counted) */
  itemCount: number;
  /** the last of those */
  last: LastItem | null;
}

/** The reducer's resume state: small, plain JSON. */
export interface CoreState {
  v: 1;
  threadId: string;
  mode: HistoryMode;
  nextTurnSeq: number;
  nextItemSeq: number;
  nextEventSeq: number;
  /** legacy: index of the next kept line (names implicit turns `rollout-<index>`) */
  lineIndex: number;
  /** legacy: N of the next `item-N` id */
  nextItem: number;
  /** legacy: items in finished turns (a rollback restarts `item-N` from what remains) */
  doneItems: number;
  /** legacy: the open turn */
  cur: OpenTurn | null;
  /** legacy: Spool's mark on the thread's own session_meta (null until that line was seen; absent in older states) */
  spoolItems?: boolean | null;
  /** paginated: seq of the last started turn that has not ended */
  current: number | null;
  /** items that can still change: [seq, itemId] */
  openItems: [number, string][];
  model: string | null;
  cwd: string | null;
}

export function initialState(threadId: string, mode: HistoryMode): CoreState {
  return {
    v: 1,
    threadId,
    mode,
    nextTurnSeq: 1,
    nextItemSeq: 1,
    nextEventSeq: 1,
    lineIndex: 0,
    nextItem: 1,
    doneItems: 0,
    cur: null,
    spoolItems: null,
    current: null,
    openItems: [],
    model: null,
    cwd: null,
  };
}

const TOOL_KINDS = new Set(["commandExecution", "mcpToolCall", "dynamicToolCall", "collabAgentToolCall", "fileChange"]);

/** Whether an item can still change (Codex's projection observer's rule). */
export function isOpenItem(item: ThreadItem): boolean {
  if (TOOL_KINDS.has(item.type)) return item.status === "inProgress";
  if (item.type === "webSearch") return item.action === null || item.action === undefined;
  if (item.type === "imageGeneration") return item.status === "";
  return false;
}

function phaseOf(item: ThreadItem): string | null {
  if (item.type !== "agentMessage") return null;
  const p = item.phase;
  if (p === null || p === undefined) return null;
  return typeof p === "string" ? p : JSON.stringify(p);
}

/**
 * A hook prompt without an id gets a random one from Codex on every read; a projection must be
 * the same on every rebuild, so it gets one derived from the thread and the line instead.
 */
function stableUuid(threadId: string, ordinal: number, index: number): string {
  const h = createHash("sha1").update(`${threadId}:${ordinal}:${index}`).digest("hex");
  const v = ((parseInt(h[16], 16) & 3) | 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const errJson = (t: TurnRow) => (t.error === null ? null : JSON.stringify(t.error));

export class ProjectionCore {
  private readonly s: CoreState;
  private readonly open: Map<number, string>;

  constructor(
    private readonly db: ThreadTables,
    state: CoreState,
    private readonly listener: ((c: ProjectionChange) => void) | null = null,
  ) {
    this.s = state;
    this.open = new Map(state.openItems);
  }

  get mode(): HistoryMode {
    return this.s.mode;
  }

  /** Whether the legacy replay also reads Spool's extension lines (see ThreadHistoryReducer.showsSpoolItems). */
  get showsSpoolItems(): boolean {
    return this.s.mode === "legacy" && this.s.spoolItems === true;
  }

  /** The resume state as of now (a copy, safe to keep). */
  state(): CoreState {
    this.s.openItems = [...this.open];
    return JSON.parse(JSON.stringify(this.s)) as CoreState;
  }

  /** Feeds one line; `ordinal` is line.ordinal when present, else the running line index of the history. */
  feed(line: RolloutLine, ordinal: number): void {
    if (line.type === "turn_context") this.context(line.payload);
    else if (line.type === "session_meta") this.sessionMeta(line.payload);
    if (this.s.mode === "paginated") {
      if (line.type === "event_msg") this.paginated(line.payload, ordinal);
      return;
    }
    if (!legacyLineCounts(line)) {
      if (this.s.spoolItems !== true) return;
      const extra = spoolLegacyItem(line);
      if (extra) this.upsertInTurnId(extra.turnId, extra.item, ordinal);
      return;
    }
    this.legacy(line, this.s.lineIndex++, ordinal);
  }

  private sessionMeta(p: JsonObject): void {
    const id = asStr(p.id);
    if (id === this.s.threadId && typeof p.cwd === "string") this.s.cwd = p.cwd;
    // the mark counts on the thread's own first session_meta (as the history reducer reads it)
    if ((id === null || id === this.s.threadId) && (this.s.spoolItems ?? null) === null) this.s.spoolItems = spoolItemsMarked(p);
  }

  /** Lines a loader skipped unparsed that the legacy replay nevertheless counts (see history/prefilter.ts). */
  countSkipped(n = 1): void {
    if (this.s.mode === "legacy") this.s.lineIndex += n;
  }

  /** Model and cwd from a turn_context payload (kept in the resume state). */
  context(p: JsonObject): void {
    if (typeof p.model === "string") this.s.model = p.model;
    if (typeof p.cwd === "string") this.s.cwd = p.cwd;
  }

  // ------------------------------------------------------------------------------ writes

  private newTurn(turnId: string, ordinal: number, status: TurnStatus): TurnRow {
    return {
      seq: this.s.nextTurnSeq++,
      turnId,
      rolloutOrdinal: ordinal,
      rootTurnId: null,
      status,
      error: null,
      startedAt: null,
      completedAt: null,
      durationMs: null,
      firstUserSeq: null,
      finalAgentSeq: null,
    };
  }

  private putTurn(t: TurnRow): void {
    this.db.putTurn(t);
    this.listener?.({ kind: "turn", op: "upsert", row: t });
  }

  private putItem(seq: number, item: ThreadItem, turnId: string, turnSeq: number | null, ordinal: number): ItemRow {
    const row: ItemRow = {
      seq,
      itemId: item.id,
      turnId,
      turnSeq,
      rolloutOrdinal: ordinal,
      kind: item.type,
      phase: phaseOf(item),
      isOpen: isOpenItem(item),
      json: JSON.stringify(item),
    };
    this.db.putItem(row);
    if (row.isOpen) this.open.set(seq, row.itemId);
    else this.open.delete(seq);
    this.listener?.({ kind: "item", op: "upsert", row });
    return row;
  }

  private event(type: LifecycleType, turnId: string | null, ordinal: number, payload: Record<string, unknown>): void {
    const e: EventRow = { seq: this.s.nextEventSeq++, type, turnId, rolloutOrdinal: ordinal, payload };
    this.db.putEvent(e);
    this.listener?.({ kind: "event", event: e });
  }

  /** Emits the lifecycle event of a status change (none when nothing changed). */
  private transition(t: TurnRow, before: TurnStatus, beforeErr: string | null, ordinal: number, reason?: Json): void {
    if (t.status === before && (t.status !== "failed" || errJson(t) === beforeErr)) return;
    switch (t.status) {
      case "completed":
        this.event("turn.completed", t.turnId, ordinal, { completedAt: t.completedAt, durationMs: t.durationMs });
        return;
      case "interrupted":
        this.event("turn.cancelled", t.turnId, ordinal, { reason: reason ?? null, completedAt: t.completedAt, durationMs: t.durationMs });
        return;
      case "failed":
        this.event("turn.failed", t.turnId, ordinal, {
          message: t.error?.message ?? "",
          codexErrorInfo: t.error?.codexErrorInfo ?? null,
          completedAt: t.completedAt,
          durationMs: t.durationMs,
        });
        return;
      default:
        return;
    }
  }

  // ------------------------------------------------------------------------------ legacy replay
  // Mirrors src/history/legacy-replay.ts.

  private legacy(line: RolloutLine, index: number, ordinal: number): void {
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
        this.legacyEvent(p, index, ordinal);
        return;
      default:
        return;
    }
  }

  private legacyEvent(p: JsonObject, index: number, ordinal: number): void {
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
          this.putItem(last.seq, item, c.turn.turnId, c.turn.seq, last.ordinal);
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
        const t = this.newTurn(asStr(p.turn_id) ?? "", ordinal, "inProgress");
        t.rootTurnId = asStr(p.root_turn_id);
        t.startedAt = asNum(p.started_at);
        this.s.cur = { turn: t, explicit: true, sawCompaction: false, itemCount: 0, last: null };
        this.touchCur();
        this.event("turn.started", t.turnId, ordinal, { startedAt: t.startedAt });
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
        this.transition(t, before, beforeErr, ordinal, p.reason);
        return;
      }
      case "thread_rolled_back": {
        this.finishCurrent();
        const n = Math.max(0, Math.floor(asNum(p.num_turns) ?? 0));
        const dropped = n > 0 ? this.db.lastTurns(n) : [];
        let lost = 0;
        for (const t of dropped) {
          for (const it of this.db.itemsOfTurn(t.seq)) {
            this.db.deleteItem(it.seq);
            this.open.delete(it.seq);
            if (!isSpoolLegacyKind(it.kind)) lost++; // Spool's extension items are not counted
            this.listener?.({ kind: "item", op: "tombstone", row: it });
          }
          this.db.deleteTurn(t.seq);
          this.listener?.({ kind: "turn", op: "tombstone", row: t });
        }
        this.s.doneItems -= lost;
        this.s.nextItem = this.s.doneItems + 1;
        this.event("thread.rolled_back", null, ordinal, { numTurns: n, droppedTurnIds: dropped.reverse().map((t) => t.turnId) });
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
      this.transition(t, before, beforeErr, ordinal);
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
    if (!this.s.cur) this.s.cur = { turn: this.newTurn(`rollout-${index}`, ordinal, "completed"), explicit: false, sawCompaction: false, itemCount: 0, last: null };
    return this.s.cur;
  }

  private kept(c: OpenTurn): boolean {
    return c.itemCount > 0 || c.explicit || c.sawCompaction;
  }

  /** Writes the open turn's row once Codex would keep the turn. */
  private touchCur(): void {
    const c = this.s.cur;
    if (c && this.kept(c)) this.putTurn(c.turn);
  }

  /** Writes a turn row: the open turn's only when it is kept. */
  private saveTurn(t: TurnRow): void {
    const c = this.s.cur;
    if (c && c.turn === t) this.touchCur();
    else this.putTurn(t);
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
    this.putItem(seq, item, turn.turnId, turn.seq, ordinal);
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
      this.putTurn(turn);
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
      this.db.deleteItem(prev.seq);
      this.open.delete(prev.seq);
      this.listener?.({ kind: "item", op: "tombstone", row: prev });
      return this.push(t, item, ordinal);
    }
    this.putItem(prev.seq, item, turn.turnId, turn.seq, prev.rolloutOrdinal);
    const isCur = c !== null && c.turn === turn;
    if (isCur && c.last && c.last.seq === prev.seq) c.last = { seq: prev.seq, kind: item.type, ordinal: prev.rolloutOrdinal, item: item.type === "reasoning" ? item : null };
    if (prev.kind !== item.type && (SUMMARY_KINDS.has(prev.kind) || SUMMARY_KINDS.has(item.type))) {
      turn.firstUserSeq = this.db.kindInTurnSeq(turn.seq, "userMessage", false);
      turn.finalAgentSeq = this.db.kindInTurnSeq(turn.seq, "agentMessage", true);
      this.saveTurn(turn);
    }
  }

  private upsertInTurnId(turnId: string, item: ThreadItem, ordinal: number): void {
    const c = this.s.cur;
    if (c && c.turn.turnId === turnId) return this.upsert(null, item, ordinal);
    const t = this.findDone(turnId);
    if (t) this.upsert(t, item, ordinal);
  }

  // ------------------------------------------------------------------------------ paginated
  // Mirrors src/history/paginated-projection.ts.

  private paginated(p: JsonObject, ordinal: number): void {
    const type = p.type;
    if (typeof type !== "string") return;
    if (START_EVENTS.has(type)) {
      const id = asStr(p.turn_id);
      if (id === null || this.db.firstTurnById(id)) return;
      const t = this.newTurn(id, ordinal, "inProgress");
      t.rootTurnId = asStr(p.root_turn_id);
      t.startedAt = asNum(p.started_at);
      t.firstUserSeq = this.db.firstKindInTurnId(id, "userMessage");
      this.putTurn(t);
      this.s.current = t.seq;
      this.event("turn.started", t.turnId, ordinal, { startedAt: t.startedAt });
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
      this.putTurn(t);
      this.transition(t, "inProgress", null, ordinal);
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
      this.putTurn(t);
      this.transition(t, "inProgress", null, ordinal, p.reason);
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
        this.putItem(prev.seq, item, prev.turnId, null, prev.rolloutOrdinal);
        if (prev.kind !== item.type && (prev.kind === "userMessage" || item.type === "userMessage")) {
          const t = this.db.firstTurnById(prev.turnId);
          if (t) {
            t.firstUserSeq = this.db.firstKindInTurnId(t.turnId, "userMessage");
            this.putTurn(t);
          }
        }
        return;
      }
      const seq = this.s.nextItemSeq++;
      this.putItem(seq, item, turnId, null, ordinal);
      if (item.type === "userMessage") {
        const t = this.db.firstTurnById(turnId);
        if (t && t.firstUserSeq === null) {
          t.firstUserSeq = seq;
          this.putTurn(t);
        }
      }
    }
  }

  /** A terminal or abort event for a turn that never started still gets a row. */
  private createRow(id: string, ordinal: number): TurnRow {
    const t = this.newTurn(id, ordinal, "inProgress");
    t.firstUserSeq = this.db.firstKindInTurnId(id, "userMessage");
    return t;
  }

  /** The summary's agent message: the last final answer, else the last message without a phase. */
  private pickFinalAgent(turnId: string): number | null {
    return this.db.lastAgentMessage(turnId, "final_answer") ?? this.db.lastAgentMessage(turnId, null);
  }
}

const SUMMARY_KINDS = new Set(["userMessage", "agentMessage"]);
