// Keeps Spool's SQLite index in step with a Codex home's JSONL files and answers list queries
// from it. Files are re-read only when their size or mtime changed, and then only their tail.
import type Database from "better-sqlite3";
import { stat } from "node:fs/promises";
import { mkdirSync, watch, type FSWatcher } from "node:fs";
import { ARCHIVED_DIR, listRolloutFiles, parseRolloutFileName, SESSION_INDEX_FILE, SESSIONS_DIR } from "../../rollout/layout.js";
import { readSessionIndex } from "../../rollout/session-index.js";
import { buildThread, sourceKind } from "../../metadata/thread.js";
import { metaFromRow, openIndex, type IndexRow } from "./index-db.js";
import { scanRolloutMetadata } from "./scan.js";
import { forEachLimit } from "../../util/pool.js";
import { basename, dirname, join } from "node:path";
import type { Thread } from "../../protocol/v2.js";
import type { ThreadMetadata } from "../../metadata/derive.js";

export interface HomeIndexOptions {
  home: string;
  defaultProvider: string;
  memory?: boolean;
  /** Without file-change events, how stale a listing may be before the files are re-checked (ms). */
  maxStalenessMs?: number;
  /** Watch the home for changes (default true): no change seen means no re-check is needed. */
  watch?: boolean;
  warn?: (msg: string) => void;
}

export interface SyncStats {
  files: number;
  scanned: number;
  appended: number;
  removed: number;
  malformedLines: number;
}

type FileRow = Pick<IndexRow, "id" | "path" | "archived" | "file_size" | "file_mtime_ms" | "scan_offset" | "scan_lines" | "state">;

export class HomeIndex {
  readonly db: Database.Database;
  private names = new Map<string, string>();
  private namesFingerprint = "";
  private lastSync = 0;
  private syncing: Promise<SyncStats> | null = null;
  private watchers: FSWatcher[] = [];
  /** Set by file events; while watching and clean, the index is known to be current. */
  private dirty = true;
  private readonly upsert: Database.Statement;

  constructor(private readonly opts: HomeIndexOptions) {
    const { db, warning } = openIndex(opts.home, { memory: opts.memory });
    if (warning) opts.warn?.(warning);
    this.db = db;
    this.upsert = db.prepare(`INSERT OR REPLACE INTO threads(id, path, archived, file_size, file_mtime_ms, scan_offset, scan_lines, state,
      created_at_ms, updated_at_ms, recency_at_ms, preview, name, model_provider, source_kind, cwd, parent_thread_id, thread_json)
      VALUES (@id, @path, @archived, @file_size, @file_mtime_ms, @scan_offset, @scan_lines, @state, @created_at_ms, @updated_at_ms,
      @recency_at_ms, @preview, @name, @model_provider, @source_kind, @cwd, @parent_thread_id, @thread_json)`);
  }

  get home(): string {
    return this.opts.home;
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.db.close();
  }

  /**
   * Re-checks the files when something may have changed: a file event since the last check, or
   * (without working watchers) a check older than the staleness bound. Listing then costs no I/O.
   */
  async ensureFresh(force = false): Promise<void> {
    if (!force) {
      const age = Date.now() - this.lastSync;
      const watching = this.watchers.length > 0;
      if (watching ? !this.dirty && age < (this.opts.maxStalenessMs ?? 30_000) : age < (this.opts.maxStalenessMs ?? 1000)) return;
    }
    try {
      await this.sync();
    } catch (e) {
      // a full disk or a read-only home must not fail reads: serve what the index holds (it is
      // refreshed again on the next read) and say why it may be behind
      if (!isWriteFailure(e)) throw e;
      this.opts.warn?.(`index refresh failed (${(e as Error).message}); answering from the index as it is`);
    }
  }

  /** Starts watching sessions/, archived_sessions/ and session_index.jsonl for changes. */
  startWatching(): void {
    if (this.opts.watch === false || this.watchers.length) return;
    const mark = () => {
      this.dirty = true;
    };
    const { home } = this.opts;
    try {
      for (const dir of [SESSIONS_DIR, ARCHIVED_DIR]) mkdirSync(join(home, dir), { recursive: true });
      this.watchers.push(watch(join(home, SESSIONS_DIR), { recursive: true }, mark));
      this.watchers.push(watch(join(home, ARCHIVED_DIR), mark));
      this.watchers.push(watch(home, (_e, f) => f === SESSION_INDEX_FILE && mark()));
      for (const w of this.watchers) w.on("error", () => this.stopWatching());
    } catch (e) {
      this.opts.warn?.(`not watching ${home} for changes (${(e as Error).message}); re-checking files every second instead`);
      this.stopWatching();
    }
  }

  private stopWatching(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.dirty = true;
  }

  /** One sync at a time; concurrent callers share it. */
  sync(): Promise<SyncStats> {
    if (!this.syncing) {
      this.syncing = this.doSync().finally(() => {
        this.syncing = null;
      });
    }
    return this.syncing;
  }

  private async refreshNames(): Promise<boolean> {
    const st = await stat(join(this.opts.home, SESSION_INDEX_FILE)).catch(() => null);
    const fp = st ? `${st.size}:${st.mtimeMs}` : "";
    if (fp === this.namesFingerprint) return false;
    this.namesFingerprint = fp;
    const entries = await readSessionIndex(this.opts.home);
    this.names = new Map([...entries].map(([id, e]) => [id, e.thread_name]));
    return true;
  }

  private async doSync(): Promise<SyncStats> {
    const started = Date.now();
    // events during the scan must trigger another one: clear before reading, not after
    this.dirty = false;
    const namesChanged = await this.refreshNames();
    const files = await listRolloutFiles(this.opts.home);
    const known = new Map<string, FileRow>();
    for (const r of this.db.prepare("SELECT id, path, archived, file_size, file_mtime_ms, scan_offset, scan_lines, state FROM threads").all() as FileRow[]) known.set(r.id, r);
    const stats: SyncStats = { files: files.length, scanned: 0, appended: 0, removed: 0, malformedLines: 0 };
    // an id may exist both active and archived after an interrupted move: the active file wins
    files.sort((a, b) => Number(b.archived) - Number(a.archived));
    const seen = new Map<string, (typeof files)[number]>();
    for (const f of files) seen.set(f.name.threadId, f);
    const writes: IndexRow[] = [];
    // bounded: each scan holds a read buffer, and a home can have many thousands of rollouts
    await forEachLimit([...seen.values()], 8, async (f) => {
        const st = await stat(f.path).catch(() => null);
        if (!st) return;
        const size = st.size;
        const mtime = Math.floor(st.mtimeMs);
        const row = known.get(f.name.threadId);
        const unchanged = row && row.path === f.path && row.file_size === size && row.file_mtime_ms === mtime;
        if (unchanged && !namesChanged) return;
        let meta: ThreadMetadata;
        let offset: number;
        let lines: number;
        if (unchanged) {
          meta = metaFromRow(row);
          offset = row.scan_offset;
          lines = row.scan_lines;
        } else {
          const resume = row && row.path === f.path && size >= row.scan_offset ? { meta: metaFromRow(row), offset: row.scan_offset, lines: row.scan_lines } : undefined;
          const r = await scanRolloutMetadata(f.path, resume);
          if (resume) stats.appended++;
          else stats.scanned++;
          stats.malformedLines += r.malformed;
          meta = r.meta;
          offset = r.offset;
          lines = r.lines;
        }
        if (!meta.id) meta.id = f.name.threadId;
        writes.push(this.toRow(meta, { path: f.path, archived: f.archived, size, mtime, offset, lines }));
    });
    const removed = [...known.keys()].filter((id) => !seen.has(id));
    stats.removed = removed.length;
    const del = this.db.prepare("DELETE FROM threads WHERE id = ?");
    this.db.transaction(() => {
      for (const w of writes) this.upsert.run(w);
      for (const id of removed) del.run(id);
    })();
    this.lastSync = started;
    return stats;
  }

  private toRow(meta: ThreadMetadata, f: { path: string; archived: boolean; size: number; mtime: number; offset: number; lines: number }): IndexRow {
    const name = this.names.get(meta.id) ?? meta.rolloutName;
    const thread = buildThread({ meta, path: f.path, name, updatedAtMs: f.mtime, recencyAtMs: f.mtime, defaultProvider: this.opts.defaultProvider }, { forList: true });
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
      model_provider: thread.modelProvider,
      source_kind: sourceKind(meta.source),
      cwd: meta.cwd,
      parent_thread_id: meta.parentThreadId,
      thread_json: JSON.stringify(thread),
    };
  }

  /** The stored row of a thread (active or archived), or null. */
  get(id: string): IndexRow | null {
    return (this.db.prepare("SELECT * FROM threads WHERE id = ?").get(id) as IndexRow | undefined) ?? null;
  }

  /** Full `Thread` (without turns) for thread/read. */
  thread(row: IndexRow): Thread {
    return buildThread({
      meta: metaFromRow(row),
      path: row.path,
      name: row.name,
      updatedAtMs: row.updated_at_ms,
      recencyAtMs: row.recency_at_ms,
      defaultProvider: this.opts.defaultProvider,
    });
  }

  /**
   * Brings one rollout's row up to date right after a writer made its bytes durable (the write
   * path calls this after each fsync): folds only the file's new tail, never past `end` (the
   * durable size), so the row never covers bytes that are not durable. `previousPath` names the
   * same file before a rename (archive/unarchive): its folded state is kept, not rescanned. A
   * changed session_index.jsonl (a name was set) runs a full sync instead, which rewrites every
   * row's name. A file that is gone drops its row. Waits for a sync in flight first.
   */
  async refreshFile(path: string, opts: { previousPath?: string; end?: number } = {}): Promise<void> {
    while (this.syncing) await this.syncing.catch(() => {});
    const parsed = parseRolloutFileName(basename(path));
    if (!parsed) throw new Error(`not a rollout file name: ${path}`);
    const id = parsed.threadId;
    const idx = await stat(join(this.opts.home, SESSION_INDEX_FILE)).catch(() => null);
    if ((idx ? `${idx.size}:${idx.mtimeMs}` : "") !== this.namesFingerprint) {
      await this.sync();
      return;
    }
    const row = this.db.prepare("SELECT id, path, archived, file_size, file_mtime_ms, scan_offset, scan_lines, state FROM threads WHERE id = ?").get(id) as FileRow | undefined;
    const st = await stat(path).catch(() => null);
    if (!st) {
      if (row && row.path === path) this.db.prepare("DELETE FROM threads WHERE id = ?").run(id);
      return;
    }
    const size = Math.min(st.size, opts.end ?? Infinity);
    const mtime = Math.floor(st.mtimeMs);
    const same = row && (row.path === path || (opts.previousPath !== undefined && row.path === opts.previousPath));
    const resume = same && size >= row.scan_offset ? { meta: metaFromRow(row), offset: row.scan_offset, lines: row.scan_lines } : undefined;
    // only bytes up to `end` (what the writer has synced) are folded: never ahead of the JSONL
    const { meta, offset, lines } = await scanRolloutMetadata(path, resume, size);
    if (!meta.id) meta.id = id;
    const archived = dirname(path) === join(this.opts.home, ARCHIVED_DIR);
    this.upsert.run(this.toRow(meta, { path, archived, size, mtime, offset, lines }));
  }

  /** Drops a thread's row (its files were deleted). */
  removeThread(id: string): void {
    this.db.prepare("DELETE FROM threads WHERE id = ?").run(id);
  }

  /** Path of a thread's rollout, syncing once if it is not known yet. */
  async resolvePath(id: string): Promise<string | null> {
    let row = this.get(id);
    if (!row) {
      await this.ensureFresh(true);
      row = this.get(id);
    }
    return row?.path ?? null;
  }
}

/** A failure to write (disk full, read-only, I/O error), as opposed to a bug or a bad file. */
export function isWriteFailure(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? "");
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/.test(code) || ["ENOSPC", "EROFS", "EDQUOT", "EIO", "EACCES", "EPERM"].includes(code);
}
