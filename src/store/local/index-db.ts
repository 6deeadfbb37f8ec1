// Spool's own SQLite index of a home's rollouts (never Codex's *.sqlite files). Every row is
// derived from a JSONL file and carries the file's fingerprint, so the index can always be
// thrown away and rebuilt.
import Database from "better-sqlite3";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ThreadMetadata } from "../../metadata/derive.js";

/** Bump when the schema or derivation changes: the index is rebuilt from the JSONL. */
export const INDEX_VERSION = "1";

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
  model_provider TEXT NOT NULL,
  source_kind TEXT NOT NULL,
  cwd TEXT NOT NULL,
  parent_thread_id TEXT,
  thread_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS threads_by_created ON threads(archived, created_at_ms, id);
CREATE INDEX IF NOT EXISTS threads_by_updated ON threads(archived, updated_at_ms, id);
CREATE INDEX IF NOT EXISTS threads_by_recency ON threads(archived, recency_at_ms, id);
`;

export const indexDir = (home: string) => join(home, "spool");
export const indexPath = (home: string) => join(indexDir(home), "index.sqlite");

export interface OpenedIndex {
  db: Database.Database;
  /** Set when the on-disk index could not be used and an in-memory one stands in. */
  warning: string | null;
}

function init(db: Database.Database): void {
  db.pragma("busy_timeout = 2000");
  db.exec(SCHEMA);
  const v = db.prepare("SELECT value FROM index_meta WHERE key = 'version'").get() as { value: string } | undefined;
  if (v?.value !== INDEX_VERSION) {
    db.exec("DELETE FROM threads");
    db.prepare("INSERT OR REPLACE INTO index_meta(key, value) VALUES ('version', ?)").run(INDEX_VERSION);
  }
}

/**
 * Opens (or creates) the index. A corrupt file is replaced; a locked or unwritable one is
 * replaced by an in-memory index for this process, with a warning: listing must never fail
 * because of the index, which is only a cache of the JSONL.
 */
export function openIndex(home: string, opts: { memory?: boolean } = {}): OpenedIndex {
  if (opts.memory) {
    const db = new Database(":memory:");
    init(db);
    return { db, warning: null };
  }
  const file = indexPath(home);
  const attempt = () => {
    mkdirSync(indexDir(home), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      init(db);
      // another process holding the write lock must not stall every sync: find out now
      db.exec("BEGIN IMMEDIATE; COMMIT");
      return db;
    } catch (e) {
      db.close();
      throw e;
    }
  };
  try {
    return { db: attempt(), warning: null };
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB") {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      try {
        return { db: attempt(), warning: `index ${file} was corrupt and has been rebuilt` };
      } catch {
        // fall through to memory
      }
    }
    const db = new Database(":memory:");
    init(db);
    return { db, warning: `index ${file} unavailable (${(e as Error).message}); using an in-memory index` };
  }
}

export function metaFromRow(row: Pick<IndexRow, "state">): ThreadMetadata {
  return JSON.parse(row.state) as ThreadMetadata;
}
