// Spool's projection store: `<home>/spool/projections.sqlite` (WAL), derived from the rollouts
// and rebuildable from them at any time (`spool projections rebuild`). Tables:
//
//   checkpoints  one row per thread: where the projector stopped in the rollout (fork segment,
//                byte offset, running line index) and the reducer's small resume state (JSON)
//   turns        one row per turn (TurnSummaryProjection): status, timing, error, summary items
//   items        one row per thread item (ThreadItemProjection), keyed by a stable item ordinal
//   events       the per-thread outbox (LifecycleProjection), numbered 1, 2, 3… per thread
//
// Rows of a batch of rollout lines and the checkpoint that follows them are written in one
// transaction, so the tables are never ahead of or behind their checkpoint.
import type Database from "better-sqlite3";
import { join } from "node:path";
import { openDerivedDb, openMemoryDerivedDb, removeSqliteFiles, type DerivedDbSchema, type OpenedDerivedDb } from "../util/sqlite.js";

/** Bump when the schema or the derivation changes: the projections are rebuilt from the JSONL. */
export const PROJECTIONS_VERSION = "1";

export const projectionsPath = (home: string) => join(home, "spool", "projections.sqlite");

const SCHEMA = `
CREATE TABLE IF NOT EXISTS projection_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints(
  thread_id TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  head TEXT NOT NULL,
  history_mode TEXT NOT NULL,
  segment INTEGER NOT NULL,
  byte_offset INTEGER NOT NULL,
  line_index INTEGER NOT NULL,
  state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns(
  thread_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  turn_id TEXT NOT NULL,
  rollout_ordinal INTEGER NOT NULL,
  root_turn_id TEXT,
  status TEXT NOT NULL,
  error_json TEXT,
  started_at REAL,
  completed_at REAL,
  duration_ms REAL,
  first_user_seq INTEGER,
  final_agent_seq INTEGER,
  PRIMARY KEY(thread_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS turns_by_id ON turns(thread_id, turn_id, seq);
CREATE INDEX IF NOT EXISTS turns_by_ordinal ON turns(thread_id, rollout_ordinal, seq);
CREATE TABLE IF NOT EXISTS items(
  thread_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  turn_id TEXT NOT NULL,
  turn_seq INTEGER,
  rollout_ordinal INTEGER NOT NULL,
  kind TEXT NOT NULL,
  phase TEXT,
  is_open INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  item_json TEXT NOT NULL,
  PRIMARY KEY(thread_id, seq)
);
CREATE INDEX IF NOT EXISTS items_by_id ON items(thread_id, item_id, seq);
CREATE INDEX IF NOT EXISTS items_by_turn_id ON items(thread_id, turn_id, seq);
CREATE INDEX IF NOT EXISTS items_by_turn_seq ON items(thread_id, turn_seq, seq) WHERE turn_seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_by_ordinal ON items(thread_id, rollout_ordinal, seq);
CREATE TABLE IF NOT EXISTS events(
  thread_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  turn_id TEXT,
  rollout_ordinal INTEGER NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY(thread_id, seq)
) WITHOUT ROWID;
`;

const DERIVED: DerivedDbSchema = {
  busyTimeoutMs: 5000,
  schema: SCHEMA,
  metaTable: "projection_meta",
  version: PROJECTIONS_VERSION,
  clearSql: "DELETE FROM checkpoints; DELETE FROM turns; DELETE FROM items; DELETE FROM events;",
};

export type OpenedProjections = OpenedDerivedDb;

/** An in-memory projection store (tests, live observers, read-only homes). */
export function openMemoryProjections(): Database.Database {
  return openMemoryDerivedDb(DERIVED);
}

/**
 * Opens (or creates) `<home>/spool/projections.sqlite`. A corrupt file is deleted and rebuilt
 * (it is only derived data); an unusable one is replaced by an in-memory store, with a warning.
 */
export function openProjections(home: string, opts: { memory?: boolean } = {}): OpenedProjections {
  if (opts.memory) return { db: openMemoryProjections(), warning: null };
  return openDerivedDb(projectionsPath(home), DERIVED, { what: "projection store", inMemory: "an in-memory store" });
}

/** Deletes the projection store's files. */
export function removeProjections(home: string): void {
  removeSqliteFiles(projectionsPath(home));
}
