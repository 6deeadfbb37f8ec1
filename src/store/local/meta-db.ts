// Spool's own metadata of the threads its store writes: `<home>/spool/metadata.sqlite`, one row
// per thread holding what ThreadMetadataPatch sets (preview, model, updatedAt, recency, git, …).
//
// A row overlays what the index derives from the rollout: `set_bits` records which fields were
// written (by createThread for Spool's own threads: all of them; by patches: the patched ones), and
// only those override the derived values. A Codex thread Spool never patched has no row at all.
//
// It is a separate file from the index (`index.sqlite`) on purpose: the index is a cache of the
// JSONL that `spool index rebuild` (and an index version bump) throws away, while these rows are
// the literal patches the live layer applied, which no rollout line records. Names are not here:
// a name is history (thread_name_updated + session_index.jsonl) and is read from the index.
//
// The file is ATTACHed to the index's connection as `spool_meta`, so listing joins both in one
// query. Writes use synchronous=FULL: a patch is durable when updateThreadMetadata resolves.
import type Database from "better-sqlite3";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { salvageRows } from "../../util/sqlite-salvage.js";
import { join } from "node:path";
import type { Json } from "../../rollout/line.js";
import type { ThreadFields } from "../memory/semantics.js";
import { threadFieldColumns, threadFieldsFromColumns, type ThreadFieldColumns } from "../thread-columns.js";

export const META_SCHEMA = "spool_meta";
export const metaPath = (home: string) => join(home, "spool", "metadata.sqlite");

/** A row: the thread's fields in the columns both SQL stores use, and which of them were written. */
export interface MetaRow extends ThreadFieldColumns {
  id: string;
  set_bits: number;
}

/** Bit of each metadata field in `set_bits`. */
export const FIELD_BITS: Record<keyof ThreadFields, number> = {
  sessionId: 1 << 0,
  forkedFromId: 1 << 1,
  parentThreadId: 1 << 2,
  preview: 1 << 3,
  firstUserMessage: 1 << 4,
  modelProvider: 1 << 5,
  model: 1 << 6,
  reasoningEffort: 1 << 7,
  createdAtMs: 1 << 8,
  updatedAtMs: 1 << 9,
  recencyAtMs: 1 << 10,
  archivedAtMs: 1 << 11,
  cwd: 1 << 12,
  cliVersion: 1 << 13,
  originator: 1 << 14,
  source: 1 << 15,
  threadSource: 1 << 16,
  agentNickname: 1 << 17,
  agentRole: 1 << 18,
  gitInfo: 1 << 19,
  historyMode: 1 << 20,
  tokensUsed: 1 << 21,
};
export const ALL_BITS = Object.values(FIELD_BITS).reduce((a, b) => a | b, 0);

export interface MetaEntry {
  fields: ThreadFields;
  bits: number;
}

/** The derived fields with the row's written fields laid over them. */
export function overlay(derived: ThreadFields, entry: MetaEntry | null): ThreadFields {
  if (!entry) return derived;
  const out = { ...derived } as Record<string, unknown>;
  const from = entry.fields as unknown as Record<string, unknown>;
  for (const [k, bit] of Object.entries(FIELD_BITS)) if (entry.bits & bit) out[k] = from[k];
  return out as unknown as ThreadFields;
}

const COLUMNS: Array<[keyof MetaRow, string]> = [
  ["id", "TEXT PRIMARY KEY"],
  ["session_id", "TEXT NOT NULL"],
  ["forked_from_id", "TEXT"],
  ["parent_thread_id", "TEXT"],
  ["preview", "TEXT NOT NULL"],
  ["first_user_message", "TEXT"],
  ["model_provider", "TEXT NOT NULL"],
  ["model", "TEXT"],
  ["reasoning_effort", "TEXT"],
  ["created_at_ms", "INTEGER NOT NULL"],
  ["updated_at_ms", "INTEGER NOT NULL"],
  ["recency_at_ms", "INTEGER NOT NULL"],
  ["archived_at_ms", "INTEGER"],
  ["cwd", "TEXT NOT NULL"],
  ["cli_version", "TEXT NOT NULL"],
  ["originator", "TEXT"],
  ["source", "TEXT NOT NULL"],
  ["thread_source", "TEXT"],
  ["agent_nickname", "TEXT"],
  ["agent_role", "TEXT"],
  ["git_sha", "TEXT"],
  ["git_branch", "TEXT"],
  ["git_origin_url", "TEXT"],
  ["history_mode", "TEXT NOT NULL"],
  ["tokens_used", "INTEGER NOT NULL"],
  ["set_bits", "INTEGER NOT NULL"],
];

export function fieldsToRow(id: string, f: ThreadFields, bits: number): MetaRow {
  return { set_bits: bits, id, ...threadFieldColumns(f) };
}

export function rowToFields(r: MetaRow): ThreadFields {
  return threadFieldsFromColumns(r, JSON.parse(r.source) as Json);
}

const isCorruption = (e: unknown) => {
  const code = String((e as { code?: unknown }).code ?? "");
  return code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || /integrity check failed/.test((e as Error).message);
};

/** ATTACHes `file` as spool_meta with its table; a damaged file fails here (quick_check), not at the first patch. */
function attachMeta(db: Database.Database, file: string, durable: boolean): void {
  db.prepare(`ATTACH DATABASE ? AS ${META_SCHEMA}`).run(file);
  try {
    if (durable) {
      db.pragma(`${META_SCHEMA}.journal_mode = WAL`);
      db.pragma(`${META_SCHEMA}.synchronous = FULL`);
      const check = db.pragma(`${META_SCHEMA}.quick_check`, { simple: true });
      if (check !== "ok") throw new Error(`metadata.sqlite integrity check failed: ${String(check)}`);
    }
    db.exec(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.thread_meta(${COLUMNS.map(([c, t]) => `${c} ${t}`).join(", ")})`);
  } catch (e) {
    db.exec(`DETACH DATABASE ${META_SCHEMA}`);
    throw e;
  }
}

export class MetaStore {
  private readonly getStmt: Database.Statement;
  private readonly putStmt: Database.Statement;
  private readonly delStmt: Database.Statement;

  /** Attaches `<home>/spool/metadata.sqlite` (or an in-memory database) to `db` as `spool_meta`. */
  constructor(
    readonly db: Database.Database,
    home: string,
    opts: { memory?: boolean; warn?: (msg: string) => void } = {},
  ) {
    const attached = (db.prepare("PRAGMA database_list").all() as Array<{ name: string }>).some((d) => d.name === META_SCHEMA);
    if (!attached) {
      const file = opts.memory ? ":memory:" : metaPath(home);
      if (!opts.memory) mkdirSync(join(home, "spool"), { recursive: true });
      try {
        attachMeta(db, file, !opts.memory);
      } catch (e) {
        if (opts.memory || !isCorruption(e)) throw e;
        // the patches are no one's cache: keep what can be read, move the damaged file aside
        const salvaged = salvageRows(file, "thread_meta", "sqlite_autoindex_thread_meta_1", "id");
        const aside = `${file}.corrupt-${Date.now()}`;
        for (const suffix of ["", "-wal", "-shm"]) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
        attachMeta(db, file, true);
        const insert = db.prepare(`INSERT OR IGNORE INTO ${META_SCHEMA}.thread_meta(${COLUMNS.map(([c]) => c).join(", ")}) VALUES (${COLUMNS.map(([c]) => `@${c}`).join(", ")})`);
        let kept = 0;
        db.transaction(() => {
          for (const r of salvaged.rows) {
            try {
              kept += insert.run(Object.fromEntries(COLUMNS.map(([c]) => [c, r[c] ?? null]))).changes;
            } catch {
              // a row whose readable values break a constraint is lost with the damaged pages
            }
          }
        })();
        opts.warn?.(`${file} was corrupt (${(e as Error).message}): moved to ${aside}; metadata of ${kept} thread(s) recovered${salvaged.lost ? `, ${salvaged.lost}` : ""}`);
      }
    }
    const cols = COLUMNS.map(([c]) => c);
    this.getStmt = db.prepare(`SELECT * FROM ${META_SCHEMA}.thread_meta WHERE id = ?`);
    this.putStmt = db.prepare(`INSERT OR REPLACE INTO ${META_SCHEMA}.thread_meta(${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`);
    this.delStmt = db.prepare(`DELETE FROM ${META_SCHEMA}.thread_meta WHERE id = ?`);
  }

  get(id: string): MetaEntry | null {
    const r = this.getStmt.get(id) as MetaRow | undefined;
    return r ? { fields: rowToFields(r), bits: r.set_bits } : null;
  }

  put(id: string, fields: ThreadFields, bits: number): void {
    this.putStmt.run(fieldsToRow(id, fields, bits));
  }

  /** Read-modify-write under SQLite's write lock (atomic across processes). `fn` returning null writes nothing. */
  update(id: string, fn: (cur: MetaEntry | null) => MetaEntry | null): MetaEntry | null {
    const tx = this.db.transaction(() => {
      const next = fn(this.get(id));
      if (next) this.put(id, next.fields, next.bits);
      return next;
    });
    return tx.immediate();
  }

  delete(id: string): void {
    this.delStmt.run(id);
  }
}
