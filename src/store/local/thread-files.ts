// The file side of the local store's structural operations: archive, unarchive and delete move or
// remove a thread's rollout durably and only then change its SQLite rows; clearing a name rewrites
// session_index.jsonl.
//
//  - archive renames the file into `archived_sessions/` and unarchive back into its date
//    directory (touching its mtime, which is Codex's updatedAt); both fsync the two directories
//    before the SQLite rows change. delete removes the rollout (directory fsynced), then the index
//    and metadata rows; session_index.jsonl entries of deleted threads are left in place (they
//    name no file, so every reader ignores them, and rewriting the shared file races Codex).
//  - a name cleared (null) rewrites session_index.jsonl without the thread's entries (temp file,
//    fsync, rename, directory fsync). It lives here rather than beside the other session_index
//    helpers (rollout/session-index.ts) because it needs this store's directory fsync.
//
// The caller holds the thread's writer lock and runs these under its per-thread order.
import { basename, dirname, join } from "node:path";
import { open, readFile, rename, unlink, utimes } from "node:fs/promises";
import { archivedRolloutPath, SESSION_INDEX_FILE, unarchivedRolloutPath } from "../../rollout/layout.js";
import { ThreadStoreError } from "../types.js";
import type { HomeIndex } from "./home-index.js";
import type { IndexRow } from "./index-db.js";
import { FIELD_BITS, type MetaStore } from "./meta-db.js";
import { errno } from "./store-errors.js";
import { fsyncDir, mkdirDurable } from "./writer.js";

/** What the operations touch: the rollouts under `home` (directories fsynced unless `fsync` is off) and the two SQLite stores. */
export interface ThreadFiles {
  home: string;
  fsync: boolean;
  now: () => number;
  index: HomeIndex;
  meta: MetaStore;
}

/** Moves an active thread's rollout into archived_sessions/, then records when in its rows. */
export async function archiveRollout(f: ThreadFiles, row: IndexRow): Promise<void> {
  const src = row.path;
  const dst = archivedRolloutPath(f.home, basename(src));
  await moveDurable(src, dst, f.fsync);
  const at = f.now();
  f.meta.update(row.id, (cur) => (cur ? { fields: { ...cur.fields, archivedAtMs: at }, bits: cur.bits | FIELD_BITS.archivedAtMs } : null));
  await f.index.refreshFile(dst, { previousPath: src });
}

/** Moves an archived thread's rollout back into its date directory, then updates its rows. */
export async function unarchiveRollout(f: ThreadFiles, row: IndexRow): Promise<void> {
  const src = row.path;
  const dst = unarchivedRolloutPath(f.home, basename(src));
  if (!dst) throw new ThreadStoreError("internal", `cannot tell the date directory of ${src}`);
  await moveDurable(src, dst, f.fsync);
  const at = f.now();
  // Codex's updatedAt is the file's mtime: unarchiving touches it
  await utimes(dst, at / 1000, at / 1000);
  f.meta.update(row.id, (cur) => {
    if (!cur) return null;
    const fields = { ...cur.fields, archivedAtMs: null };
    if (cur.bits & FIELD_BITS.updatedAtMs) fields.updatedAtMs = at;
    return { fields, bits: cur.bits };
  });
  await f.index.refreshFile(dst, { previousPath: src });
}

/** Removes a thread's rollout (gone already is fine), then its metadata and index rows. */
export async function deleteRollout(f: ThreadFiles, row: IndexRow): Promise<void> {
  try {
    await unlink(row.path);
  } catch (e) {
    if (errno(e) !== "ENOENT") throw e;
  }
  if (f.fsync) await fsyncDir(dirname(row.path));
  f.meta.delete(row.id);
  f.index.removeThread(row.id);
}

/** rename(2) with both directories fsynced (and any directory created for the target). */
export async function moveDurable(src: string, dst: string, fsync: boolean): Promise<void> {
  const dirs = await mkdirDurable(dirname(dst));
  try {
    await rename(src, dst);
  } catch (e) {
    if (errno(e) === "ENOENT") throw ThreadStoreError.notFound(basename(src));
    throw e;
  }
  if (fsync) {
    await fsyncDir(dirname(dst));
    await fsyncDir(dirname(src));
    for (const d of dirs) if (d !== dirname(dst)) await fsyncDir(d);
  }
}

/** Rewrites session_index.jsonl without a thread's entries (temp file, fsync, rename, dir fsync). */
export async function removeFromSessionIndex(home: string, id: string): Promise<void> {
  const file = join(home, SESSION_INDEX_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if (errno(e) === "ENOENT") return;
    throw e;
  }
  const kept = text.split("\n").filter((l) => {
    if (!l.trim()) return false;
    try {
      return (JSON.parse(l) as { id?: unknown }).id !== id;
    } catch {
      return true;
    }
  });
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(kept.length ? kept.join("\n") + "\n" : "");
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(home);
}
