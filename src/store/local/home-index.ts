// Keeps Spool's SQLite index in step with a Codex home's JSONL files and answers lookups from it.
//
// Start-up does no per-file work: an index that was once completely built is trusted at once,
// and the home is reconciled with it in the background (home-sync.ts) while lists are answered
// from the rows (a row changes in one transaction, so a list never sees half of one). A new or
// emptied index is built first: until that build is done, every lookup (thread/list included)
// waits for it, so a list is never answered from a partial index. After that, a watcher says
// which files changed (home-watcher.ts) and only those are re-read, and only their new tails.
import type Database from "better-sqlite3";
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ARCHIVED_DIR, parseRolloutFileName, SESSION_INDEX_FILE } from "../../rollout/layout.js";
import { readSessionIndex } from "../../rollout/session-index.js";
import { buildThread } from "../../metadata/thread.js";
import type { Thread } from "../../protocol/v2.js";
import { getIndexMeta, META_KEYS, metaFromRow, openIndex, setIndexMeta, type IndexRow } from "./index-db.js";
import { IndexRows } from "./index-rows.js";
import { reconcileHome, type SyncProgress, type SyncStats } from "./home-sync.js";
import { HomeWatcher, type HomeChanges } from "./home-watcher.js";
import { scanRolloutMetadata } from "./scan.js";

export type { SyncStats, SyncProgress } from "./home-sync.js";

export interface HomeIndexOptions {
  home: string;
  defaultProvider: string;
  memory?: boolean;
  /** Without a watcher, how stale a listing may be before the files are re-checked (ms, default 1000). */
  maxStalenessMs?: number;
  /** Watch the home for changes (default true): changed files are then re-read one by one. */
  watch?: boolean;
  warn?: (msg: string) => void;
}

export class HomeIndex {
  readonly db: Database.Database;
  private readonly rows: IndexRows;
  private watcher: HomeWatcher | null = null;
  private watching: Promise<void> | null = null;
  private watchState: "off" | "starting" | "on" | "failed" = "off";
  private syncing: Promise<SyncStats> | null = null;
  /** Ids written by the write path while a reconcile runs (it must not overwrite them). */
  private touched: Set<string> | null = null;
  /** Every rollout has been indexed once: the rows can be trusted without re-checking files. */
  private complete: boolean;
  private lastSync = 0;
  private closed = false;

  constructor(private readonly opts: HomeIndexOptions) {
    const { db, warning } = openIndex(opts.home, { memory: opts.memory });
    if (warning) opts.warn?.(warning);
    this.db = db;
    this.rows = new IndexRows(db, opts.defaultProvider);
    this.complete = getIndexMeta(db, META_KEYS.complete) === "1";
  }

  get home(): string {
    return this.opts.home;
  }

  /** Whether the index has been completely built (lookups do not wait for a build). */
  get built(): boolean {
    return this.complete;
  }

  close(): void {
    this.closed = true;
    void this.watcher?.close();
    this.watcher = null;
    this.db.close();
  }

  /**
   * Starts serving the home without waiting for anything: watches it, then reconciles the index
   * with the files in the background (a cold index: builds it; lookups wait for that build).
   * `done` settles when the first reconcile is over.
   */
  start(): { done: Promise<SyncStats> } {
    const watched = this.startWatching();
    // a trusted index answers at once; what changed while nobody watched is found by this pass
    const done = watched.then(() => (this.closed ? noStats() : this.sync()));
    done.catch((e: unknown) => {
      if (!this.closed) this.opts.warn?.(`indexing ${this.home} failed: ${(e as Error).message}`);
    });
    return { done };
  }

  /** Starts the watcher (once); resolves when events flow, or when watching turned out impossible. */
  startWatching(): Promise<void> {
    if (this.opts.watch === false) return Promise.resolve();
    this.watching ??= (async () => {
      this.watchState = "starting";
      const w = new HomeWatcher(this.home, (m) => this.opts.warn?.(m));
      try {
        await w.start();
        if (this.closed) return void (await w.close());
        this.watcher = w;
        this.watchState = "on";
      } catch (e) {
        await w.close();
        this.watchState = "failed";
        this.opts.warn?.(`not watching ${this.home} for changes (${(e as Error).message}); re-checking files every second instead`);
      }
    })();
    return this.watching;
  }

  /**
   * Makes lookups current: waits for a cold build; with a watcher, re-reads the files it saw
   * change (only those); without one, re-checks every file when the last check is older than the
   * staleness bound. `force` re-checks every file (an id was not found).
   */
  async ensureFresh(force = false): Promise<void> {
    try {
      await this.refresh(force);
    } catch (e) {
      // a full disk or a read-only home must not fail reads: serve what the index holds (it is
      // refreshed again on the next read) and say why it may be behind
      if (!isWriteFailure(e)) throw e;
      this.opts.warn?.(`index refresh failed (${(e as Error).message}); answering from the index as it is`);
    }
  }

  private async refresh(force: boolean): Promise<void> {
    if (!this.complete || force) {
      await this.sync();
      return;
    }
    if (this.watcher?.active) {
      if (this.watcher.dirty) await this.applyChanges(this.watcher.take());
      return;
    }
    // the watcher is starting: the reconcile that follows it finds what changed meanwhile
    if (this.watchState === "starting") return;
    if (Date.now() - this.lastSync >= (this.opts.maxStalenessMs ?? 1000)) await this.sync();
  }

  /** One full reconcile at a time; concurrent callers share it. */
  sync(opts: { onProgress?: (p: SyncProgress) => void } = {}): Promise<SyncStats> {
    if (!this.syncing) {
      this.syncing = this.doSync(opts.onProgress).finally(() => {
        this.syncing = null;
        this.touched = null;
      });
    }
    return this.syncing;
  }

  private async doSync(onProgress?: (p: SyncProgress) => void): Promise<SyncStats> {
    const started = Date.now();
    this.touched = new Set();
    // changes seen from now on are re-read after this pass: take what is pending before it
    this.watcher?.take();
    await this.refreshNames();
    const stats = await reconcileHome({ home: this.home, db: this.db, rows: this.rows, defaultProvider: this.opts.defaultProvider, touched: this.touched, onProgress });
    if (!this.complete) {
      setIndexMeta(this.db, META_KEYS.complete, "1");
      this.complete = true;
    }
    this.lastSync = started;
    return stats;
  }

  /** Re-reads what the watcher saw change: new directories' files, names, and each changed file. */
  private async applyChanges(c: HomeChanges): Promise<void> {
    if (c.rescan) {
      await this.sync();
      return;
    }
    for (const dir of c.dirs) for (const f of await rolloutFilesUnder(dir)) c.files.add(f);
    if (c.names) await this.refreshNames();
    for (const path of c.files) await this.refreshFile(path, { fromWatcher: true });
  }

  /** Loads session_index.jsonl into the index when it changed since it was last loaded. */
  private async refreshNames(): Promise<void> {
    const st = await stat(join(this.home, SESSION_INDEX_FILE)).catch(() => null);
    const fp = st ? `${st.size}:${st.mtimeMs}` : "";
    if (fp === (getIndexMeta(this.db, META_KEYS.namesFingerprint) ?? "")) return;
    this.rows.replaceNames(await readSessionIndex(this.home));
    setIndexMeta(this.db, META_KEYS.namesFingerprint, fp);
  }

  /** The stored row of a thread (active or archived), or null. */
  get(id: string): IndexRow | null {
    return this.rows.get(id);
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
   * Brings one rollout's row up to date (the write path calls this after each fsync; the watcher
   * path for each changed file): folds only the file's new tail, never past `end` (the durable
   * size), so the row never covers bytes that are not durable. `previousPath` names the same file
   * before a rename (archive/unarchive): its folded state is kept, not rescanned. A changed
   * session_index.jsonl is loaded first. A file that is gone drops its row.
   */
  async refreshFile(path: string, opts: { previousPath?: string; end?: number; fromWatcher?: boolean } = {}): Promise<void> {
    const parsed = parseRolloutFileName(basename(path));
    if (!parsed) throw new Error(`not a rollout file name: ${path}`);
    const id = parsed.threadId;
    this.touched?.add(id);
    await this.refreshNames();
    const row = this.rows.file(id);
    const st = await stat(path).catch(() => null);
    if (!st) {
      if (row && row.path === path) this.rows.remove(id);
      return;
    }
    const archived = dirname(path) === join(this.home, ARCHIVED_DIR);
    const same = row && (row.path === path || (opts.previousPath !== undefined && row.path === opts.previousPath));
    // another file of the same thread: after an interrupted move the active one wins
    if (row && !same && opts.fromWatcher && archived && !row.archived && (await stat(row.path).catch(() => null))) return;
    const size = Math.min(st.size, opts.end ?? Infinity);
    const mtime = Math.floor(st.mtimeMs);
    if (same && row.path === path && row.file_size === size && row.file_mtime_ms === mtime) return;
    const resume = same && size >= row.scan_offset ? { meta: metaFromRow(this.rows.get(id)!), offset: row.scan_offset, lines: row.scan_lines } : undefined;
    // only bytes up to `end` (what the writer has synced) are folded: never ahead of the JSONL
    const { meta, offset, lines } = await scanRolloutMetadata(path, resume, size);
    if (!meta.id) meta.id = id;
    this.rows.write(this.rows.build(meta, { path, archived, size, mtime, offset, lines }));
  }

  /** Drops a thread's row (its files were deleted). */
  removeThread(id: string): void {
    this.touched?.add(id);
    this.rows.remove(id);
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

const noStats = (): SyncStats => ({ files: 0, scanned: 0, appended: 0, removed: 0, malformedLines: 0 });

/** Rollout files anywhere under a directory (one that was just created). */
async function rolloutFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && parseRolloutFileName(e.name)).map((e) => join(e.parentPath ?? e.path, e.name));
}

/** A failure to write (disk full, read-only, I/O error), as opposed to a bug or a bad file. */
export function isWriteFailure(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? "");
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/.test(code) || ["ENOSPC", "EROFS", "EDQUOT", "EIO", "EACCES", "EPERM"].includes(code);
}
