// The projection reducer: rollout lines in, row mutations of the projection tables out, one line
// at a time, with a resume state bounded by the open turn.
//
// It answers exactly what the history reducer (src/history/reducer.ts) answers, in both history
// modes, but keeps finished turns and items in the tables instead of in memory. It runs the
// history reducer's own rules: the item conversions (src/history/items*.ts, turn-error.ts,
// codex-lines.ts) and which turn and slot a converted item lands in (src/history/legacy-rules.ts,
// paginated-rules.ts), over stores of its own. The parts:
//   legacy-mode.ts         the legacy rules' store over the tables (history: legacy-replay.ts)
//   paginated-mode.ts      the paginated rules' store over the tables (history: paginated-projection.ts)
//   row-writer.ts          the row writes both modes share, reported to the listener
//   lifecycle.ts           the lifecycle events (the outbox), and what is deliberately not one
//   resume-state.ts        the resume state (`CoreState`, the checkpoint's `state`)
// This file dispatches each line to its mode and keeps what does not depend on the mode (model
// and cwd from turn_context and session_meta, Spool's mark on the thread's session_meta).
import type { JsonObject, RolloutLine } from "../rollout/line.js";
import type { HistoryMode } from "../history/reducer.js";
import { asStr } from "../history/codex-json.js";
import { spoolItemsMarked } from "../history/codex-lines.js";
import { LegacyMode } from "./legacy-mode.js";
import { PaginatedMode } from "./paginated-mode.js";
import type { CoreState } from "./resume-state.js";
import { RowWriter, type ProjectionChange } from "./row-writer.js";
import type { ThreadTables } from "./tables.js";

// The reducer's public API has always been this module: the moved names stay importable from here.
export type { LifecycleType } from "./lifecycle.js";
export { initialState, type CoreState } from "./resume-state.js";
export { isOpenItem, type ProjectionChange } from "./row-writer.js";

export class ProjectionCore {
  private readonly s: CoreState;
  private readonly w: RowWriter;
  private readonly legacy: LegacyMode;
  private readonly paginated: PaginatedMode;

  constructor(db: ThreadTables, state: CoreState, listener: ((c: ProjectionChange) => void) | null = null) {
    this.s = state;
    this.w = new RowWriter(db, state, listener);
    this.legacy = new LegacyMode(this.w, state, db);
    this.paginated = new PaginatedMode(this.w, state, db);
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
    this.s.openItems = [...this.w.open];
    return JSON.parse(JSON.stringify(this.s)) as CoreState;
  }

  /** Feeds one line; `ordinal` is line.ordinal when present, else the running line index of the history. */
  feed(line: RolloutLine, ordinal: number): void {
    if (line.type === "turn_context") this.context(line.payload);
    else if (line.type === "session_meta") this.sessionMeta(line.payload);
    if (this.s.mode === "paginated") {
      if (line.type === "event_msg") this.paginated.feedEvent(line.payload, ordinal);
      return;
    }
    this.legacy.feed(line, ordinal);
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
}
