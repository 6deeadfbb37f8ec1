// The rows of the index: reading a thread's row or its file fingerprint, building a row from
// folded metadata, and writing or removing it together with its search documents and name.
// Everything is looked up by id with prepared statements: nothing per thread is kept in memory.
import type Database from "better-sqlite3";
import { buildThread, sourceKind } from "../../metadata/thread.js";
import type { ThreadMetadata } from "../../metadata/derive.js";
import type { SessionIndexEntry } from "../../rollout/session-index.js";
import { metaFromRow, type IndexRow } from "./index-db.js";
import { SearchDocs } from "./search-index.js";

/** What the sync needs to decide whether a file changed, and where to resume folding it. */
export type FileRow = Pick<IndexRow, "id" | "path" | "archived" | "file_size" | "file_mtime_ms" | "scan_offset" | "scan_lines">;

/** The file facts a row is built from. */
export interface FileFacts {
  path: string;
  archived: boolean;
  size: number;
  mtime: number;
  offset: number;
  lines: number;
}

const COLUMNS = [
  "id", "path", "archived", "file_size", "file_mtime_ms", "scan_offset", "scan_lines", "state", "created_at_ms", "updated_at_ms", "recency_at_ms",
  "preview", "name", "rollout_name", "model_provider", "source_kind", "cwd", "parent_thread_id", "thread_json",
] as const;

/**
 * The row of `meta` (its id set) read from the file described by `f`; `sessionName` is the name
 * session_index.jsonl gives it, which wins over the rollout's own thread_name_updated. Pure (the
 * scan workers build rows too).
 */
export function buildIndexRow(meta: ThreadMetadata, f: FileFacts, sessionName: string | null, defaultProvider: string): IndexRow {
  const name = sessionName ?? meta.rolloutName;
  const thread = buildThread({ meta, path: f.path, name, updatedAtMs: f.mtime, recencyAtMs: f.mtime, defaultProvider }, { forList: true });
  return {
    id: meta.id,
    path: f.path,
    archived: f.archived ? 1 : 0,
    file_size: f.size,
    file_mtime_ms: f.mtime,
    scan_offset: f.offset,
    scan_lines: f.lines,
    state: JSON.stringify(meta),
    created_at_ms: meta.createdAtMs,
    updated_at_ms: f.mtime,
    recency_at_ms: f.mtime,
    preview: meta.preview,
    name,
    rollout_name: meta.rolloutName,
    model_provider: thread.modelProvider,
    source_kind: sourceKind(meta.source),
    cwd: meta.cwd,
    parent_thread_id: meta.parentThreadId,
    thread_json: JSON.stringify(thread),
  };
}

export class IndexRows {
  private readonly getRow: Database.Statement;
  private readonly getFile: Database.Statement;
  private readonly getTitles: Database.Statement;
  private readonly getName: Database.Statement;
  private readonly upsert: Database.Statement;
  private readonly del: Database.Statement;
  private readonly search: SearchDocs;

  constructor(
    private readonly db: Database.Database,
    private readonly defaultProvider: string,
  ) {
    this.getRow = db.prepare("SELECT * FROM threads WHERE id = ?");
    this.getFile = db.prepare("SELECT id, path, archived, file_size, file_mtime_ms, scan_offset, scan_lines FROM threads WHERE id = ?");
    this.getTitles = db.prepare("SELECT preview, name FROM threads WHERE id = ?");
    this.getName = db.prepare("SELECT name FROM session_names WHERE id = ?").pluck();
    this.upsert = db.prepare(`INSERT OR REPLACE INTO threads(${COLUMNS.join(", ")}) VALUES (${COLUMNS.map((c) => `@${c}`).join(", ")})`);
    this.del = db.prepare("DELETE FROM threads WHERE id = ?");
    this.search = new SearchDocs(db);
  }

  get(id: string): IndexRow | null {
    return (this.getRow.get(id) as IndexRow | undefined) ?? null;
  }

  file(id: string): FileRow | null {
    return (this.getFile.get(id) as FileRow | undefined) ?? null;
  }

  /** The name session_index.jsonl gives a thread, if any. */
  sessionName(id: string): string | null {
    return (this.getName.get(id) as string | undefined) ?? null;
  }

  /** The row of `meta` (its id set) read from the file described by `f`. */
  build(meta: ThreadMetadata, f: FileFacts): IndexRow {
    return buildIndexRow(meta, f, this.sessionName(meta.id), this.defaultProvider);
  }

  /** Writes a row; its title documents follow when its preview or name changed. `fresh`: no row existed. */
  write(row: IndexRow, fresh = false): void {
    const before = fresh ? undefined : (this.getTitles.get(row.id) as { preview: string; name: string | null } | undefined);
    this.upsert.run(row);
    if (before?.preview !== row.preview) this.search.set(row.id, "preview", row.preview);
    if ((before?.name ?? null) !== row.name) this.search.set(row.id, "name", row.name);
  }

  remove(id: string): void {
    this.del.run(id);
    this.search.removeThread(id);
  }

  /**
   * Replaces the stored session_index.jsonl names and rewrites the rows whose name changed
   * (only those: a rename touches one row, not the whole home). Returns how many changed.
   */
  replaceNames(entries: Map<string, SessionIndexEntry>): number {
    return this.db.transaction(() => {
      this.db.exec("DELETE FROM session_names");
      const put = this.db.prepare("INSERT INTO session_names(id, name) VALUES (?, ?)");
      for (const [id, e] of entries) put.run(id, e.thread_name);
      const stale = this.db
        .prepare("SELECT t.id FROM threads t LEFT JOIN session_names s ON s.id = t.id WHERE coalesce(s.name, t.rollout_name) IS NOT t.name")
        .pluck()
        .all() as string[];
      for (const id of stale) {
        const row = this.get(id)!;
        const meta = metaFromRow(row);
        this.write(this.build(meta, { path: row.path, archived: row.archived === 1, size: row.file_size, mtime: row.file_mtime_ms, offset: row.scan_offset, lines: row.scan_lines }));
      }
      return stale.length;
    })();
  }
}
