// The full reconcile of the index with a home: every rollout file is stat'ed, the changed ones
// are folded (from their old offset when they only grew), rows of files that are gone are
// dropped. It is the cold build of a new index and the background check of a trusted one.
//
// The home is walked one directory at a time and nothing per thread stays on the JS heap (the ids
// seen go to a temp table for the removal pass), so memory does not grow with the home. Rows are
// written in batches as files are folded, so listing goes on between batches and an interrupted
// build keeps what it did (the next one skips files whose fingerprint matches). A row that the
// write path refreshed while the reconcile was running (`touched`) is newer than what the
// reconcile read: it is left alone.
import { statSync } from "node:fs";
import { rolloutDirectories, type FoundRollout } from "../../rollout/layout.js";
import { metaFromRow, type IndexRow } from "./index-db.js";
import { buildIndexRow, type FileRow, type IndexRows } from "./index-rows.js";
import { scanRolloutMetadata } from "./scan.js";
import { ScanPool, type FoldRequest, type Folded } from "./scan-pool.js";
import type Database from "better-sqlite3";

export interface SyncStats {
  files: number;
  scanned: number;
  appended: number;
  removed: number;
  malformedLines: number;
}

export interface SyncProgress {
  /** Files checked so far, of `total`. */
  done: number;
  total: number;
}

export interface ReconcileContext {
  home: string;
  db: Database.Database;
  rows: IndexRows;
  defaultProvider: string;
  /** Ids the write path refreshed since the reconcile started: their rows are not overwritten. */
  touched: Set<string>;
  onProgress?: (p: SyncProgress) => void;
}

/** Files checked between two turns of the event loop. */
const SLICE = 100;
/** Files to fold from which worker threads pay for their start. */
const WORKER_THRESHOLD = 64;
/** Rows per write transaction. */
const BATCH = 500;

const yieldToRequests = () => new Promise<void>((r) => setImmediate(r));

export async function reconcileHome(ctx: ReconcileContext): Promise<SyncStats> {
  const { db } = ctx;
  const stats: SyncStats = { files: 0, scanned: 0, appended: 0, removed: 0, malformedLines: 0 };
  // the ids seen on disk, in a temp table: the removal pass needs them, the JS heap does not
  db.exec("CREATE TEMP TABLE IF NOT EXISTS reconcile_seen(id TEXT PRIMARY KEY); DELETE FROM temp.reconcile_seen;");
  const markSeen = db.prepare("INSERT OR IGNORE INTO temp.reconcile_seen(id) VALUES (?)");
  const wasSeen = db.prepare("SELECT 1 FROM temp.reconcile_seen WHERE id = ?").pluck();
  let pending: Array<{ row: IndexRow; fresh: boolean }> = [];
  const flush = () => {
    const rows = pending;
    pending = [];
    db.transaction(() => {
      for (const r of rows) if (!ctx.touched.has(r.row.id)) ctx.rows.write(r.row, r.fresh);
    })();
  };
  const total = ctx.onProgress ? await countRollouts(ctx.home) : 0;
  let done = 0;
  const progress = () => ctx.onProgress?.({ done: ++done, total: Math.max(total, done) });
  ctx.onProgress?.({ done, total });
  // a few files (a warm start, a small home) fold here; many (a cold build) in worker threads
  let pool: ScanPool | null = null;
  let queued = 0;
  const folds: Array<Promise<void>> = [];
  const fold = (j: FoldRequest, fresh: boolean) => {
    if (!pool && ++queued >= WORKER_THRESHOLD) pool = new ScanPool();
    const folding = pool ? pool.fold(j) : foldHere(j);
    folds.push(
      folding
        .then((r) => {
          if (j.from) stats.appended++;
          else stats.scanned++;
          stats.malformedLines += r.malformed;
          pending.push({ row: r.row, fresh });
          if (pending.length >= BATCH) flush();
        })
        // a file that went away meanwhile is dropped below, or by the next pass
        .catch((e: { code?: string }) => {
          if (e.code !== "ENOENT") throw e;
        })
        .finally(progress),
    );
  };
  try {
    // one directory at a time, in slices: stat the files (cheap, synchronous; requests are
    // answered between slices) and fold the changed ones
    for await (const dirFiles of rolloutDirectories(ctx.home)) for (let at = 0; at < dirFiles.length; at += SLICE) {
      const jobs: Array<[FoldRequest, boolean]> = [];
      db.transaction(() => {
        for (const f of dirFiles.slice(at, at + SLICE)) {
          const id = f.name.threadId;
          // after an interrupted move an id may be both active and archived: the active file wins
          if (f.archived && wasSeen.get(id)) continue;
          markSeen.run(id);
          stats.files++;
          const known = ctx.rows.file(id);
          const job = changedFile(ctx, f, known ?? undefined);
          if (job) jobs.push([job, !known]);
          else progress();
        }
      })();
      for (const [job, fresh] of jobs) fold(job, fresh);
      await yieldToRequests();
    }
    await Promise.all(folds);
  } finally {
    await (pool as ScanPool | null)?.close();
  }
  flush();
  const gone = db.prepare("SELECT id FROM threads WHERE id NOT IN (SELECT id FROM temp.reconcile_seen)").pluck().all() as string[];
  const removed = gone.filter((id) => !ctx.touched.has(id));
  db.transaction(() => {
    for (const id of removed) ctx.rows.remove(id);
  })();
  db.exec("DELETE FROM temp.reconcile_seen");
  stats.removed = removed.length;
  return stats;
}

/** How many rollout files the home holds (for a progress total). */
async function countRollouts(home: string): Promise<number> {
  let n = 0;
  for await (const dir of rolloutDirectories(home)) n += dir.length;
  return n;
}

/** The fold of a file that differs from its row (resumed when it only grew); null when unchanged or gone. */
function changedFile(ctx: ReconcileContext, f: FoundRollout, known: FileRow | undefined): FoldRequest | null {
  const st = statSync(f.path, { throwIfNoEntry: false });
  if (!st) return null;
  const size = st.size;
  const mtime = Math.floor(st.mtimeMs);
  if (known && known.path === f.path && known.file_size === size && known.file_mtime_ms === mtime) return null;
  const id = f.name.threadId;
  const req: FoldRequest = { path: f.path, threadId: id, archived: f.archived, size, mtime, sessionName: ctx.rows.sessionName(id), defaultProvider: ctx.defaultProvider };
  // only a file that grew is folded from where it was left; the state is read for it alone
  if (known && known.path === f.path && size >= known.scan_offset) req.from = { meta: metaFromRow(ctx.rows.get(id)!), offset: known.scan_offset, lines: known.scan_lines };
  return req;
}

/** One fold on this thread (async reads), for reconciles with little to fold. */
async function foldHere(j: FoldRequest): Promise<Folded> {
  const r = await scanRolloutMetadata(j.path, j.from);
  if (!r.meta.id) r.meta.id = j.threadId;
  const row = buildIndexRow(r.meta, { path: j.path, archived: j.archived, size: j.size, mtime: j.mtime, offset: r.offset, lines: r.lines }, j.sessionName, j.defaultProvider);
  return { row, malformed: r.malformed };
}
