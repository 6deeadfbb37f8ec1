// The full reconcile of the index with a home: every rollout file is stat'ed, the changed ones
// are folded (from their old offset when they only grew), rows of files that are gone are
// dropped. It is the cold build of a new index and the background check of a trusted one.
//
// Rows are written in batches as files are folded, so listing can go on between batches and an
// interrupted build keeps what it did (the next one skips files whose fingerprint matches). A
// row that the write path refreshed while the reconcile was running (`touched`) is newer than
// what the reconcile read: it is left alone.
import { statSync } from "node:fs";
import { listRolloutFiles, type FoundRollout } from "../../rollout/layout.js";
import { metaFromRow, type IndexRow } from "./index-db.js";
import type { FileRow, IndexRows } from "./index-rows.js";
import type { ScanFrom } from "./scan.js";
import { ScanPool } from "./scan-pool.js";
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

/** Files stat'ed between two turns of the event loop (requests are answered in between). */
const STAT_SLICE = 500;
/** Rows per write transaction. */
const BATCH = 500;

const yieldToRequests = () => new Promise<void>((r) => setImmediate(r));

export async function reconcileHome(ctx: ReconcileContext): Promise<SyncStats> {
  const files = await listRolloutFiles(ctx.home);
  // an id may exist both active and archived after an interrupted move: the active file wins
  files.sort((a, b) => Number(b.archived) - Number(a.archived));
  const seen = new Map<string, FoundRollout>();
  for (const f of files) seen.set(f.name.threadId, f);
  const stats: SyncStats = { files: seen.size, scanned: 0, appended: 0, removed: 0, malformedLines: 0 };
  let pending: Array<{ row: IndexRow; fresh: boolean }> = [];
  const flush = () => {
    const rows = pending;
    pending = [];
    ctx.db.transaction(() => {
      for (const r of rows) if (!ctx.touched.has(r.row.id)) ctx.rows.write(r.row, r.fresh);
    })();
  };
  // the rows' fingerprints, read at once (a point query per file costs more); dropped after the pass
  const known = ctx.rows.allFiles();
  let done = 0;
  const progress = () => ctx.onProgress?.({ done: ++done, total: seen.size });
  ctx.onProgress?.({ done, total: seen.size });
  // stat on this thread (cheap, synchronous, in slices); fold what changed in the scan workers
  const pool = new ScanPool();
  const folds: Array<Promise<void>> = [];
  try {
    const all = [...seen.values()];
    for (let i = 0; i < all.length; i += STAT_SLICE) {
      for (const f of all.slice(i, i + STAT_SLICE)) {
        const job = changedFile(ctx, f, known.get(f.name.threadId));
        if (!job) {
          progress();
          continue;
        }
        folds.push(
          pool
            .fold({ path: f.path, threadId: f.name.threadId, archived: f.archived, size: job.size, mtime: job.mtime, from: job.resume, sessionName: ctx.rows.sessionName(f.name.threadId), defaultProvider: ctx.defaultProvider })
            .then((r) => {
              if (job.resume) stats.appended++;
              else stats.scanned++;
              stats.malformedLines += r.malformed;
              pending.push({ row: r.row, fresh: !job.known });
              if (pending.length >= BATCH) flush();
            })
            // a file that went away meanwhile is dropped below, or by the next pass
            .catch((e: { code?: string }) => {
              if (e.code !== "ENOENT") throw e;
            })
            .finally(progress),
        );
      }
      await yieldToRequests();
    }
    await Promise.all(folds);
  } finally {
    await pool.close();
  }
  flush();
  const removed = [...known.keys()].filter((id) => !seen.has(id) && !ctx.touched.has(id));
  ctx.db.transaction(() => {
    for (const id of removed) ctx.rows.remove(id);
  })();
  stats.removed = removed.length;
  return stats;
}

/** The file's fingerprint, and where to resume folding it, when it differs from its row; null when unchanged or gone. */
function changedFile(ctx: ReconcileContext, f: FoundRollout, known: FileRow | undefined): { size: number; mtime: number; known: boolean; resume?: ScanFrom } | null {
  const st = statSync(f.path, { throwIfNoEntry: false });
  if (!st) return null;
  const size = st.size;
  const mtime = Math.floor(st.mtimeMs);
  if (known && known.path === f.path && known.file_size === size && known.file_mtime_ms === mtime) return null;
  // only a file that grew is folded from where it was left; the state is read for it alone
  if (!known || known.path !== f.path || size < known.scan_offset) return { size, mtime, known: !!known };
  return { size, mtime, known: true, resume: { meta: metaFromRow(ctx.rows.get(known.id)!), offset: known.scan_offset, lines: known.scan_lines } };
}
