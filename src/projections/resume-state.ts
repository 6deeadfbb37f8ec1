// The projection reducer's resume state (`CoreState`, the checkpoint's `state`): counters, the
// open legacy turn (its row, flags, item count and its last item when that is a reasoning item,
// which the next reasoning event extends), the paginated current turn's seq, the open items,
// model and cwd, and Spool's mark on the thread's session_meta (a legacy thread Spool wrote also
// shows its command executions: Spool's extension, see src/history/codex-lines.ts). Nothing in it
// grows with the thread: finished turns and items live in the tables (tables.ts).
import type { ThreadItem } from "../protocol/v2.js";
import type { HistoryMode } from "../history/reducer.js";
import type { TurnRow } from "./tables.js";
import type { PendingIds } from "../history/spool-ids.js";

export interface LastItem {
  seq: number;
  kind: string;
  ordinal: number;
  /** only for a reasoning item: the next reasoning event extends it */
  item: ThreadItem | null;
}

/** Legacy: the open turn. */
export interface OpenTurn {
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
  /** legacy: a marked thread's `item_completed` lines waiting for their items (src/history/spool-ids.ts; absent in older states) */
  pendingIds?: PendingIds;
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
