// Rows of the projection tables (db.ts) and the prepared statements that read and write them.
// The projection reducer (core.ts and its modes) looks finished turns and items up here instead
// of keeping them in memory: that is what keeps its checkpoint as small as the open turn.
import type Database from "better-sqlite3";
import type { TurnError, TurnStatus } from "../protocol/v2.js";
import type { TurnFields } from "../history/turn-records.js";

export interface TurnRow extends TurnFields {
  /** Stable turn ordinal: creation order within the thread, from 1 (gaps where turns were dropped). */
  seq: number;
  turnId: string;
  /** Ordinal of the rollout line that created the turn (paginated cursors page by it). */
  rolloutOrdinal: number;
  /** The summary view's items: the first user message and the final agent message (item seqs). */
  firstUserSeq: number | null;
  finalAgentSeq: number | null;
}

export interface ItemRow {
  /** Stable item ordinal: creation order within the thread, from 1; kept when the item is replaced. */
  seq: number;
  itemId: string;
  turnId: string;
  /** Legacy threads: the owning turn's seq (turn ids can repeat there). Paginated: null (items belong to a turn id). */
  turnSeq: number | null;
  /** Ordinal of the rollout line where the item first appeared (paginated cursors page by it). */
  rolloutOrdinal: number;
  /** ThreadItem.type */
  kind: string;
  /** agentMessage phase (null when absent) */
  phase: string | null;
  /** The item can still change (in-progress tool calls, searches without an action, …). */
  isOpen: boolean;
  /** The v2 ThreadItem, serialized once (served as is). */
  json: string;
}

export interface EventRow {
  seq: number;
  type: string;
  turnId: string | null;
  rolloutOrdinal: number;
  payload: unknown;
}

export interface CheckpointRow {
  thread_id: string;
  path: string;
  head: string;
  history_mode: string;
  segment: number;
  byte_offset: number;
  line_index: number;
  state: string;
}

interface TurnSql {
  thread_id: string;
  seq: number;
  turn_id: string;
  rollout_ordinal: number;
  root_turn_id: string | null;
  status: string;
  error_json: string | null;
  started_at: number | null;
  completed_at: number | null;
  duration_ms: number | null;
  first_user_seq: number | null;
  final_agent_seq: number | null;
}

interface ItemSql {
  seq: number;
  item_id: string;
  turn_id: string;
  turn_seq: number | null;
  rollout_ordinal: number;
  kind: string;
  phase: string | null;
  is_open: number;
  bytes: number;
  item_json: string;
}

export function turnFromSql(r: TurnSql): TurnRow {
  return {
    seq: r.seq,
    turnId: r.turn_id,
    rolloutOrdinal: r.rollout_ordinal,
    rootTurnId: r.root_turn_id,
    status: r.status as TurnStatus,
    error: r.error_json === null ? null : (JSON.parse(r.error_json) as TurnError),
    startedAt: r.started_at,
    completedAt: r.completed_at,
    durationMs: r.duration_ms,
    firstUserSeq: r.first_user_seq,
    finalAgentSeq: r.final_agent_seq,
  };
}

export function itemFromSql(r: ItemSql): ItemRow {
  return {
    seq: r.seq,
    itemId: r.item_id,
    turnId: r.turn_id,
    turnSeq: r.turn_seq,
    rolloutOrdinal: r.rollout_ordinal,
    kind: r.kind,
    phase: r.phase,
    isOpen: r.is_open !== 0,
    json: r.item_json,
  };
}

export type { TurnSql, ItemSql };

/** Prepared statements over one projection database (shared by every thread). */
export class ProjectionTables {
  readonly s;

  constructor(readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      putTurn: p(`INSERT OR REPLACE INTO turns(thread_id, seq, turn_id, rollout_ordinal, root_turn_id, status, error_json, started_at, completed_at,
        duration_ms, first_user_seq, final_agent_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`),
      delTurn: p("DELETE FROM turns WHERE thread_id = ? AND seq = ?"),
      turnBySeq: p("SELECT * FROM turns WHERE thread_id = ? AND seq = ?"),
      firstTurnById: p("SELECT * FROM turns INDEXED BY turns_by_id WHERE thread_id = ? AND turn_id = ? AND seq <> ? ORDER BY seq LIMIT 1"),
      lastTurns: p("SELECT * FROM turns WHERE thread_id = ? ORDER BY seq DESC LIMIT ?"),
      putItem: p(`INSERT OR REPLACE INTO items(thread_id, seq, item_id, turn_id, turn_seq, rollout_ordinal, kind, phase, is_open, bytes, item_json)
        VALUES (?,?,?,?,?,?,?,?,?,?,?)`),
      delItem: p("DELETE FROM items WHERE thread_id = ? AND seq = ?"),
      itemById: p("SELECT * FROM items WHERE thread_id = ? AND item_id = ? ORDER BY seq LIMIT 1"),
      itemInTurnSeq: p("SELECT * FROM items WHERE thread_id = ? AND item_id = ? AND turn_seq = ? ORDER BY seq LIMIT 1"),
      itemsOfTurnSeq: p("SELECT * FROM items WHERE thread_id = ? AND turn_seq = ? ORDER BY seq"),
      firstOfKindInTurnSeq: p("SELECT seq FROM items WHERE thread_id = ? AND turn_seq = ? AND kind = ? ORDER BY seq LIMIT 1"),
      lastOfKindInTurnSeq: p("SELECT seq FROM items WHERE thread_id = ? AND turn_seq = ? AND kind = ? ORDER BY seq DESC LIMIT 1"),
      firstOfKindInTurnId: p("SELECT seq FROM items WHERE thread_id = ? AND turn_id = ? AND turn_seq IS NULL AND kind = ? ORDER BY seq LIMIT 1"),
      lastAgentWithPhase: p("SELECT seq FROM items WHERE thread_id = ? AND turn_id = ? AND turn_seq IS NULL AND kind = 'agentMessage' AND phase = ? ORDER BY seq DESC LIMIT 1"),
      lastAgentNoPhase: p("SELECT seq FROM items WHERE thread_id = ? AND turn_id = ? AND turn_seq IS NULL AND kind = 'agentMessage' AND phase IS NULL ORDER BY seq DESC LIMIT 1"),
      putEvent: p("INSERT INTO events(thread_id, seq, type, turn_id, rollout_ordinal, payload) VALUES (?,?,?,?,?,?)"),
      getCheckpoint: p("SELECT * FROM checkpoints WHERE thread_id = ?"),
      putCheckpoint: p(`INSERT OR REPLACE INTO checkpoints(thread_id, path, head, history_mode, segment, byte_offset, line_index, state)
        VALUES (@thread_id, @path, @head, @history_mode, @segment, @byte_offset, @line_index, @state)`),
      delCheckpoint: p("DELETE FROM checkpoints WHERE thread_id = ?"),
      delTurns: p("DELETE FROM turns WHERE thread_id = ?"),
      delItems: p("DELETE FROM items WHERE thread_id = ?"),
      delEvents: p("DELETE FROM events WHERE thread_id = ?"),
      eventsAfter: p("SELECT seq, type, turn_id, rollout_ordinal, payload FROM events WHERE thread_id = ? AND seq > ? ORDER BY seq LIMIT ?"),
    };
  }

  /** Deletes everything projected for a thread (checkpoint included). */
  dropThread(threadId: string): void {
    const s = this.s;
    s.delCheckpoint.run(threadId);
    s.delTurns.run(threadId);
    s.delItems.run(threadId);
    s.delEvents.run(threadId);
  }

  checkpoint(threadId: string): CheckpointRow | null {
    return (this.s.getCheckpoint.get(threadId) as CheckpointRow | undefined) ?? null;
  }

  readEvents(threadId: string, afterSeq: number, limit: number): EventRow[] {
    const rows = this.s.eventsAfter.all(threadId, afterSeq, limit) as { seq: number; type: string; turn_id: string | null; rollout_ordinal: number; payload: string }[];
    return rows.map((r) => ({ seq: r.seq, type: r.type, turnId: r.turn_id, rolloutOrdinal: r.rollout_ordinal, payload: JSON.parse(r.payload) }));
  }
}

/** The tables of one thread, as the projection reducer reads and writes them. */
export class ThreadTables {
  constructor(
    readonly t: ProjectionTables,
    readonly threadId: string,
  ) {}

  putTurn(r: TurnRow): void {
    this.t.s.putTurn.run(
      this.threadId,
      r.seq,
      r.turnId,
      r.rolloutOrdinal,
      r.rootTurnId,
      r.status,
      r.error === null ? null : JSON.stringify(r.error),
      r.startedAt,
      r.completedAt,
      r.durationMs,
      r.firstUserSeq,
      r.finalAgentSeq,
    );
  }

  deleteTurn(seq: number): void {
    this.t.s.delTurn.run(this.threadId, seq);
  }

  turnBySeq(seq: number): TurnRow | null {
    const r = this.t.s.turnBySeq.get(this.threadId, seq) as TurnSql | undefined;
    return r ? turnFromSql(r) : null;
  }

  /** The first turn (lowest seq) with this id, other than `exceptSeq`. */
  firstTurnById(turnId: string, exceptSeq = -1): TurnRow | null {
    const r = this.t.s.firstTurnById.get(this.threadId, turnId, exceptSeq) as TurnSql | undefined;
    return r ? turnFromSql(r) : null;
  }

  lastTurns(n: number): TurnRow[] {
    return (this.t.s.lastTurns.all(this.threadId, n) as TurnSql[]).map(turnFromSql);
  }

  putItem(r: ItemRow): void {
    this.t.s.putItem.run(this.threadId, r.seq, r.itemId, r.turnId, r.turnSeq, r.rolloutOrdinal, r.kind, r.phase, r.isOpen ? 1 : 0, Buffer.byteLength(r.json), r.json);
  }

  deleteItem(seq: number): void {
    this.t.s.delItem.run(this.threadId, seq);
  }

  /** Paginated: the item with this id (ids are unique there). */
  itemById(itemId: string): ItemRow | null {
    const r = this.t.s.itemById.get(this.threadId, itemId) as ItemSql | undefined;
    return r ? itemFromSql(r) : null;
  }

  /** Legacy: the first item of a turn with this id. */
  itemInTurn(turnSeq: number, itemId: string): ItemRow | null {
    const r = this.t.s.itemInTurnSeq.get(this.threadId, itemId, turnSeq) as ItemSql | undefined;
    return r ? itemFromSql(r) : null;
  }

  itemsOfTurn(turnSeq: number): ItemRow[] {
    return (this.t.s.itemsOfTurnSeq.all(this.threadId, turnSeq) as ItemSql[]).map(itemFromSql);
  }

  /** Legacy summary: the first item of `kind` in a turn, or the last one. */
  kindInTurnSeq(turnSeq: number, kind: string, last: boolean): number | null {
    const r = (last ? this.t.s.lastOfKindInTurnSeq : this.t.s.firstOfKindInTurnSeq).get(this.threadId, turnSeq, kind) as { seq: number } | undefined;
    return r ? r.seq : null;
  }

  /** Paginated summary: the first item of `kind` filed under a turn id. */
  firstKindInTurnId(turnId: string, kind: string): number | null {
    const r = this.t.s.firstOfKindInTurnId.get(this.threadId, turnId, kind) as { seq: number } | undefined;
    return r ? r.seq : null;
  }

  /** Paginated: the last agent message of a turn id with this phase (null: without a phase). */
  lastAgentMessage(turnId: string, phase: string | null): number | null {
    const r = (phase === null ? this.t.s.lastAgentNoPhase.get(this.threadId, turnId) : this.t.s.lastAgentWithPhase.get(this.threadId, turnId, phase)) as { seq: number } | undefined;
    return r ? r.seq : null;
  }

  putEvent(e: EventRow): void {
    this.t.s.putEvent.run(this.threadId, e.seq, e.type, e.turnId, e.rolloutOrdinal, JSON.stringify(e.payload));
  }
}
