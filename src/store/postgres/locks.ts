// PostgreSQL advisory locks for PostgresThreadStore: one key per (namespace, thread), the
// session-level writer locks held by a store's dedicated lock connection, and who holds a key
// (for conflict messages).
//
// Lock modes on a thread's key:
//  - exclusive, session-level: the explicit writer (createThread/resumeThread until
//    shutdown/discard/close), held by the store's lock connection; gone when that connection ends,
//    so a crashed process never leaves a stale lock behind.
//  - shared, transaction-level: a cold append or name (a thread this store has not opened) for
//    that one statement/transaction: cold writers from several stores run side by side (the
//    thread row lock orders them) but never beside an explicit writer.
//  - exclusive, transaction-level: archive/unarchive/delete, for their transaction.
// Every take is a try (never a wait): a holder in exclusive mode is a conflict at once; shared
// holders only (cold appends in flight) are waited out briefly, then a conflict.
import { createHash } from "node:crypto";
import os from "node:os";
import pg from "pg";
import { ThreadStoreError } from "../types.js";

/** A signed 64-bit advisory lock key (decimal, for a `$n::bigint` parameter) for Spool's `parts`. */
export function advisoryKey(...parts: string[]): string {
  const h = createHash("sha256").update(["spool", ...parts].join("\0")).digest();
  return h.readBigInt64BE(0).toString();
}

export const threadKey = (namespace: string, threadId: string) => advisoryKey("thread", namespace, threadId);

export interface LockHolder {
  pid: number;
  mode: string;
  applicationName: string | null;
  backendStart: Date | null;
}

/** The sessions holding `key` (granted), read from pg_locks and pg_stat_activity. */
export async function lockHolders(db: pg.ClientBase | pg.Pool, key: string): Promise<LockHolder[]> {
  const k = BigInt.asUintN(64, BigInt(key));
  const { rows } = await db.query<{ pid: number; mode: string; application_name: string | null; backend_start: Date | null }>(
    `SELECT l.pid, l.mode, a.application_name, a.backend_start
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid`,
    [(k >> 32n).toString(), (k & 0xffffffffn).toString()],
  );
  return rows.map((r) => ({ pid: r.pid, mode: r.mode, applicationName: r.application_name || null, backendStart: r.backend_start }));
}

export function describeHolder(holders: LockHolder[]): string {
  const h = holders.find((x) => x.mode === "ExclusiveLock") ?? holders[0];
  if (!h) return "another writer";
  const who = h.applicationName ? `"${h.applicationName}"` : "another PostgreSQL session";
  const since = h.backendStart ? `, connected since ${h.backendStart.toISOString()}` : "";
  return `${who} (PostgreSQL backend pid ${h.pid}${since})`;
}

export const writerConflict = (threadId: string, holders: LockHolder[]) =>
  ThreadStoreError.conflict(`thread ${threadId} is already open for writing by ${describeHolder(holders)}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long takes wait out shared holders (cold appends in flight) before a conflict. */
export const SHARED_WAIT_MS = 2000;

/**
 * Tries `take` until it succeeds; a holder in exclusive mode is a conflict at once, shared
 * holders (or none: released meanwhile) are retried with backoff for up to SHARED_WAIT_MS.
 */
export async function takeOrConflict(threadId: string, take: () => Promise<boolean>, holders: () => Promise<LockHolder[]>): Promise<void> {
  const deadline = Date.now() + SHARED_WAIT_MS;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    if (await take()) return;
    const hs = await holders();
    if (hs.some((h) => h.mode === "ExclusiveLock") || Date.now() >= deadline) throw writerConflict(threadId, hs);
    await sleep(delay);
  }
}

export const processTag = () => `pid ${process.pid} on ${os.hostname()}`;

/**
 * The session-level writer locks of one store, all held by one dedicated connection (so a store
 * with many open threads uses one extra connection, not one per thread). When that connection
 * ends, every lock it held is gone: `onLost` is told, and the store's fencing token (see
 * writer-lifecycle.ts) keeps a writer that lost its lock from writing after another took over.
 */
export class WriterLocks {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private readonly held = new Set<string>();
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onLost: (keys: string[], cause: Error | null) => void,
  ) {}

  private async connection(): Promise<pg.Client> {
    if (this.closed) throw new ThreadStoreError("internal", "store is closed");
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const c = new pg.Client(this.config);
      const lost = (cause: Error | null) => {
        if (this.client !== c) return;
        this.client = null;
        const keys = [...this.held];
        this.held.clear();
        if (keys.length) this.onLost(keys, cause);
      };
      c.on("error", (e) => lost(e));
      c.on("end", () => lost(null));
      try {
        await c.connect();
      } catch (e) {
        c.removeAllListeners("end");
        throw e;
      }
      this.client = c;
      return c;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** Takes the exclusive writer lock of `key` for this store, or throws conflict naming the holder. */
  async acquire(threadId: string, key: string): Promise<void> {
    const c = await this.connection();
    await takeOrConflict(
      threadId,
      async () => (await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key])).rows[0].ok,
      () => lockHolders(c, key),
    );
    this.held.add(key);
  }

  /** Gives the lock back (nothing to do when its connection is gone). */
  async release(key: string): Promise<void> {
    if (!this.held.delete(key)) return;
    const c = this.client;
    if (!c) return;
    await c.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
  }

  /** The lock connection's backend pid (tests), or null when not connected. */
  get backendPid(): number | null {
    return (this.client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  /** Ends the lock connection: every lock it held is released by the server. */
  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => {});
    const c = this.client;
    this.client = null;
    this.held.clear();
    if (c) await c.end().catch(() => {});
  }
}
