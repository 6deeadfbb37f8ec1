// Spool's derived SQLite files (the index, the projections): caches of the JSONL that can be
// thrown away and rebuilt at any time. So a version key bump empties them, a corrupt file is
// deleted and recreated, and one that cannot be used at all (locked, unwritable) is replaced by
// an in-memory database for this process, with a warning: serving must never fail because of them.
import Database from "better-sqlite3";
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";

export interface OpenedDerivedDb {
  db: Database.Database;
  /** Set when the file could not be used as it was: rebuilt, or an in-memory database stands in. */
  warning: string | null;
}

export interface DerivedDbSchema {
  busyTimeoutMs: number;
  /** CREATE … IF NOT EXISTS statements, including `<metaTable>(key TEXT PRIMARY KEY, value TEXT NOT NULL)`. */
  schema: string;
  metaTable: string;
  /** The derivation's version: stored under the key `version`; another value empties the tables. */
  version: string;
  /** Empties the derived tables. */
  clearSql: string;
}

/** Creates the schema and empties the tables when they were derived by another version. */
export function initDerivedDb(db: Database.Database, s: DerivedDbSchema): void {
  db.pragma(`busy_timeout = ${s.busyTimeoutMs}`);
  db.exec(s.schema);
  const v = db.prepare(`SELECT value FROM ${s.metaTable} WHERE key = 'version'`).get() as { value: string } | undefined;
  if (v?.value !== s.version) {
    db.exec(s.clearSql);
    db.prepare(`INSERT OR REPLACE INTO ${s.metaTable}(key, value) VALUES ('version', ?)`).run(s.version);
  }
}

/** An in-memory derived database with its schema. */
export function openMemoryDerivedDb(s: DerivedDbSchema): Database.Database {
  const db = new Database(":memory:");
  initDerivedDb(db, s);
  return db;
}

/** Deletes a SQLite file with its WAL and shared-memory files. */
export function removeSqliteFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}

export interface OpenDerivedDbOptions {
  /** What it is, in warnings ("index", "projections"). */
  what: string;
  /** What stands in when the file is unusable ("an in-memory index"). */
  inMemory: string;
  /** Runs after init, e.g. to find out at once that another process holds the write lock. */
  check?: (db: Database.Database) => void;
}

/** Opens (or creates) `file` (WAL, synchronous=NORMAL): a corrupt file is rebuilt, an unusable one replaced by memory. */
export function openDerivedDb(file: string, s: DerivedDbSchema, o: OpenDerivedDbOptions): OpenedDerivedDb {
  const attempt = () => {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      initDerivedDb(db, s);
      o.check?.(db);
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
      removeSqliteFiles(file);
      try {
        return { db: attempt(), warning: `${o.what} ${file} was corrupt and has been rebuilt` };
      } catch {
        // fall through to memory
      }
    }
    return { db: openMemoryDerivedDb(s), warning: `${o.what} ${file} unavailable (${(e as Error).message}); using ${o.inMemory}` };
  }
}
