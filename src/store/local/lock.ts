// One writer per thread across processes: `<home>/spool/locks/<threadId>.lock`.
//
// Acquire = create the file exclusively (link(2) of a fully written temp file, so it is never seen
// empty; O_CREAT|O_EXCL where hard links are unsupported) holding `{pid, start, host, token, …}`.
// If it exists, its holder is alive (conflict) or dead (stale): a lock whose pid no longer runs
// on this host, or runs but started at another time (pid reuse, read from /proc/<pid>/stat), is
// stale. A lock file that cannot be parsed (only possible on the O_EXCL fallback, after a crash
// between create and write) is stale once older than UNPARSABLE_GRACE_MS; younger: conflict.
//
// Breaking a stale lock is itself guarded by `<threadId>.lock.break` (O_EXCL, short-lived): under
// it the breaker re-reads the lock, removes it only if it still holds the stale content it judged,
// and then competes with everyone else on the O_EXCL create. So two processes that both judged
// the same lock stale cannot both end up holding the thread.
//
// A lock held by a process on another host (a shared home on a network filesystem) cannot be
// checked and is always a conflict. Codex itself does not take these locks: a Codex process
// writing the same thread is not excluded.
import { hostname } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, mkdir, open, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { ThreadStoreError } from "../types.js";
import { errno } from "./store-errors.js";

export const UNPARSABLE_GRACE_MS = 5_000;
export const BREAK_LOCK_STALE_MS = 10_000;

export interface LockInfo {
  pid: number;
  /** Process start time (clock ticks since boot, /proc/<pid>/stat field 22), when known. */
  start: string | null;
  host: string;
  token: string;
  acquiredAt: string;
  purpose: string;
}

export const locksDir = (home: string) => join(home, "spool", "locks");
export const lockPath = (home: string, threadId: string) => join(locksDir(home), `${threadId}.lock`);

/** Start time of a process from /proc (Linux), or null where that is not available. */
export function processStartTime(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

const MY_START = processStartTime(process.pid);
const HOST = hostname();

/** Whether the process that wrote `info` may still be running. */
export function holderAlive(info: LockInfo): boolean {
  if (info.host !== HOST) return true;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    // EPERM: it runs, as another user
  }
  if (info.start !== null) {
    const now = processStartTime(info.pid);
    if (now !== null && now !== info.start) return false;
  }
  return true;
}

function parseLock(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as LockInfo;
    return typeof v.pid === "number" && typeof v.token === "string" && typeof v.host === "string" ? v : null;
  } catch {
    return null;
  }
}

export class ThreadLock {
  private released = false;
  constructor(
    readonly path: string,
    readonly info: LockInfo,
  ) {}

  /** Removes the lock file if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      const cur = parseLock(await readFile(this.path, "utf8"));
      if (cur?.token === this.info.token) await unlink(this.path);
    } catch {
      // already gone
    }
  }
}

function conflict(threadId: string, path: string, info: LockInfo | null): ThreadStoreError {
  if (!info) return ThreadStoreError.conflict(`thread ${threadId} is being opened for writing by another process (lock ${path} is being written)`);
  const who = info.pid === process.pid && info.host === HOST ? `another store in this process (pid ${info.pid})` : `pid ${info.pid} on ${info.host}`;
  return ThreadStoreError.conflict(`thread ${threadId} is already open for writing by ${who} since ${info.acquiredAt} (${info.purpose}); lock file ${path}`);
}

/**
 * Creates `path` holding `info`, atomically: the content is written to a private temp file that is
 * then hard-linked to `path` (link(2) fails with EEXIST like O_EXCL), so a lock file is never seen
 * empty or half-written, even after a crash. Where hard links are not supported, O_EXCL + write.
 */
async function tryCreate(path: string, info: LockInfo): Promise<boolean> {
  const tmp = `${path}.${info.token}.tmp`;
  await writeFile(tmp, JSON.stringify(info), { flag: "wx" });
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if (errno(e) === "EEXIST") return false;
    if (errno(e) !== "EPERM" && errno(e) !== "ENOTSUP" && errno(e) !== "EOPNOTSUPP") throw e;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  let fh;
  try {
    fh = await open(path, "wx");
  } catch (e) {
    if (errno(e) === "EEXIST") return false;
    throw e;
  }
  try {
    await fh.writeFile(JSON.stringify(info));
  } finally {
    await fh.close();
  }
  return true;
}

/** Under the break guard, removes the lock if it still holds exactly `seen`. */
async function breakStale(path: string, seen: string): Promise<void> {
  const guard = `${path}.break`;
  const me: LockInfo = { pid: process.pid, start: MY_START, host: HOST, token: randomUUID(), acquiredAt: new Date().toISOString(), purpose: "break" };
  if (!(await tryCreate(guard, me))) {
    // a breaker killed mid-break leaves its guard behind: clear it as soon as its holder is gone
    const text = await readFile(guard, "utf8").catch(() => null);
    const st = await stat(guard).catch(() => null);
    const holder = text === null ? null : parseLock(text);
    const dead = holder ? !holderAlive(holder) : st !== null && Date.now() - st.mtimeMs > BREAK_LOCK_STALE_MS;
    if (dead && text !== null && (await readFile(guard, "utf8").catch(() => null)) === text) await unlink(guard).catch(() => {});
    return; // someone else is breaking it (or we cleared a dead breaker): the caller retries
  }
  try {
    const now = await readFile(path, "utf8").catch(() => null);
    if (now === seen) await unlink(path).catch(() => {});
  } finally {
    await unlink(guard).catch(() => {});
  }
}

/**
 * Takes the writer lock of a thread, or throws ThreadStoreError "conflict" naming the holder.
 * The same process asking twice (a second store over the same home) is a conflict too.
 */
export async function acquireThreadLock(home: string, threadId: string, purpose = "writer"): Promise<ThreadLock> {
  const path = lockPath(home, threadId);
  await mkdir(locksDir(home), { recursive: true });
  const info: LockInfo = { pid: process.pid, start: MY_START, host: HOST, token: randomUUID(), acquiredAt: new Date().toISOString(), purpose };
  for (let attempt = 0; attempt < 16; attempt++) {
    if (await tryCreate(path, info)) return new ThreadLock(path, info);
    let text: string;
    let mtimeMs: number;
    try {
      text = await readFile(path, "utf8");
      mtimeMs = (await stat(path)).mtimeMs;
    } catch (e) {
      if (errno(e) === "ENOENT") continue; // released meanwhile: try again
      throw e;
    }
    const held = parseLock(text);
    if (held ? holderAlive(held) : Date.now() - mtimeMs < UNPARSABLE_GRACE_MS) throw conflict(threadId, path, held);
    await breakStale(path, text);
    if (attempt > 2) await new Promise((r) => setTimeout(r, 10 * attempt));
  }
  throw ThreadStoreError.conflict(`thread ${threadId}: could not take the writer lock ${path} (contended)`);
}

/**
 * The conflict a write to `threadId` would get because another live process holds its writer
 * lock (naming that process), or null when nobody else holds it. Takes nothing.
 */
export async function foreignWriterConflict(home: string, threadId: string): Promise<ThreadStoreError | null> {
  const path = lockPath(home, threadId);
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return null;
  const held = parseLock(text);
  if (!held || !holderAlive(held) || (held.pid === process.pid && held.host === HOST)) return null;
  return conflict(threadId, path, held);
}

/** Runs `fn` holding the thread's writer lock (taken for this call only; a conflict names the holder). */
export async function withThreadLock<T>(home: string, threadId: string, purpose: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = await acquireThreadLock(home, threadId, purpose);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
