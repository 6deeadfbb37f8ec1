// Spool's own SQLite index of a home's rollouts (never Codex's *.sqlite files). Every row is
// derived from a JSONL file and carries the file's fingerprint, so the index can always be
// thrown away and rebuilt.
import type Database from "better-sqlite3";
import { join } from "node:path";
import { openDerivedDb, openMemoryDerivedDb, type DerivedDbSchema, type OpenedDerivedDb } from "../../util/sqlite.js";
import type { ThreadMetadata } from "../../metadata/derive.js";
import { SEARCH_CLEAR_SQL, SEARCH_SCHEMA } from "./search-index.js";

/** Bump when the schema or derivation changes: the index is rebuilt from the JSONL. */
export const INDEX_VERSION = "2";

export interface IndexRow {
  id: string;
  path: string;
  archived: number;
  file_size: number;
  file_mtime_ms: number;
  scan_offset: number;
  scan_lines: number;
  state: string;
  created_at_ms: number;
  updated_at_ms: number;
  recency_at_ms: number | null;
  preview: string;
  name: string | null;
  /** The latest `thread_name_updated` of the rollout: the name when session_index.jsonl has none. */
  rollout_name: string | null;
  model_provider: string;
  source_kind: string;
  cwd: string;
  parent_thread_id: string | null;
  thread_json: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS index_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS threads(
  id TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  archived INTEGER NOT NULL,
  file_size INTEGER NOT NULL,
  file_mtime_ms INTEGER NOT NULL,
  scan_offset INTEGER NOT NULL,
  scan_lines INTEGER NOT NULL,
  state TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  recency_at_ms INTEGER,
  preview TEXT NOT NULL,
  name TEXT,
  rollout_name TEXT,
  model_provider TEXT NOT NULL,
  source_kind TEXT NOT NULL,
  cwd TEXT NOT NULL,
  parent_thread_id TEXT,
  thread_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS threads_by_created ON threads(archived, created_at_ms, id);
CREATE INDEX IF NOT EXISTS threads_by_updated ON threads(archived, updated_at_ms, id);
CREATE INDEX IF NOT EXISTS threads_by_recency ON threads(archived, recency_at_ms, id);
-- session_index.jsonl's names (newest entry per id), kept here so no name map lives in memory
CREATE TABLE IF NOT EXISTS session_names(id TEXT PRIMARY KEY, name TEXT NOT NULL);
${SEARCH_SCHEMA}
`;

export const indexDir = (home: string) => join(home, "spool");
export const indexPath = (home: string) => join(indexDir(home), "index.sqlite");

export type OpenedIndex = OpenedDerivedDb;

// another version's tables may have other columns: drop them and create this version's
const CLEAR_SQL = `DROP TABLE IF EXISTS threads; DROP TABLE IF EXISTS session_names; ${SEARCH_CLEAR_SQL} DELETE FROM index_meta; ${SCHEMA}`;

const DERIVED: DerivedDbSchema = { busyTimeoutMs: 2000, schema: SCHEMA, metaTable: "index_meta", version: INDEX_VERSION, clearSql: CLEAR_SQL };

/** Keys of `index_meta` besides the version. */
export const META_KEYS = {
  /** Set once every rollout of the home has been indexed: a restart then trusts the rows. */
  complete: "complete",
  /** size:mtime of session_index.jsonl when `session_names` was last loaded from it. */
  namesFingerprint: "names_fingerprint",
} as const;

export function getIndexMeta(db: Database.Database, key: string): string | null {
  return (db.prepare("SELECT value FROM index_meta WHERE key = ?").get(key) as { value: string } | undefined)?.value ?? null;
}

export function setIndexMeta(db: Database.Database, key: string, value: string | null): void {
  if (value === null) db.prepare("DELETE FROM index_meta WHERE key = ?").run(key);
  else db.prepare("INSERT OR REPLACE INTO index_meta(key, value) VALUES (?, ?)").run(key, value);
}

/**
 * Opens (or creates) the index. A corrupt file is replaced; a locked or unwritable one is
 * replaced by an in-memory index for this process, with a warning: listing must never fail
 * because of the index, which is only a cache of the JSONL.
 */
export function openIndex(home: string, opts: { memory?: boolean } = {}): OpenedIndex {
  if (opts.memory) return { db: openMemoryDerivedDb(DERIVED), warning: null };
  const opened = openDerivedDb(indexPath(home), DERIVED, {
    what: "index",
    inMemory: "an in-memory index",
    // another process holding the write lock must not stall every sync: find out now
    check: (db) => db.exec("BEGIN IMMEDIATE; COMMIT"),
  });
  // SQLite's own default (2 MB) rather than better-sqlite3's 16 MB: a reconcile reads every row
  // once, and a page cache that keeps them all would make memory grow with the home
  opened.db.pragma("cache_size = -2000");
  return opened;
}

export function metaFromRow(row: Pick<IndexRow, "state">): ThreadMetadata {
  return JSON.parse(row.state) as ThreadMetadata;
}
