// Lifecycle events (the outbox): every one the projection reducer emits is written here. They are
// derived from turn status transitions, so they agree with the turn rows by construction:
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
import type { Json } from "../rollout/line.js";
import type { TurnStatus } from "../protocol/v2.js";
import type { CoreState } from "./resume-state.js";
import type { EventRow, TurnRow } from "./tables.js";

export type LifecycleType = "turn.started" | "turn.completed" | "turn.cancelled" | "turn.failed" | "thread.rolled_back";

/** A turn's error as `transition` compares it: a failed turn whose error changes fails again. */
export const errJson = (t: TurnRow) => (t.error === null ? null : JSON.stringify(t.error));

/** Numbers lifecycle events from the resume state and hands them to `put` (the table and the listener). */
export class LifecycleEvents {
  constructor(
    private readonly s: CoreState,
    private readonly put: (e: EventRow) => void,
  ) {}

  private event(type: LifecycleType, turnId: string | null, ordinal: number, payload: Record<string, unknown>): void {
    this.put({ seq: this.s.nextEventSeq++, type, turnId, rolloutOrdinal: ordinal, payload });
  }

  /** A turn_started/task_started opened `t`. */
  started(t: TurnRow, ordinal: number): void {
    this.event("turn.started", t.turnId, ordinal, { startedAt: t.startedAt });
  }

  /** Emits the lifecycle event of a status change (none when nothing changed). */
  transition(t: TurnRow, before: TurnStatus, beforeErr: string | null, ordinal: number, reason?: Json): void {
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

  /** A legacy thread_rolled_back dropped these turns (oldest first). */
  rolledBack(ordinal: number, numTurns: number, droppedTurnIds: string[]): void {
    this.event("thread.rolled_back", null, ordinal, { numTurns, droppedTurnIds });
  }
}
