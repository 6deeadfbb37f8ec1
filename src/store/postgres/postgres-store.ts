// PostgresThreadStore: threads in a PostgreSQL database (schema in schema.ts), several Spool
// homes or installs side by side in one database, each in its own `namespace`.
//
// Semantics are the ones every store shares (memory/semantics.ts: validation, the initial
// fields, the literal patch, list filters and cursors) and pass the same conformance suite.
// This file is the store's face: options, opening (connection, migration), closing, and each
// operation's error mapping. The operations themselves, with what they promise under
// concurrency, are by concept:
//  - writer-lifecycle.ts: createThread, resumeThread, shutdownThread, discardThread; one writer
//    per thread across processes (the writer lock, locks.ts) and its fencing token.
//  - append.ts: appendItems, one statement per call (the seqs it reserves, cold or fenced).
//  - metadata-update.ts: updateThreadMetadata, one transaction (a name's event with it).
//  - read-queries.ts: loadHistory and listThreads (readThread is a row read, below).
//  - archive-delete.ts: archiveThread, unarchiveThread, deleteThread.
//  - store-context.ts: what they share (pool, locks, open writers, per-thread queue, row reads).
import pg from "pg";
import {
  THREAD_STORE_OPERATIONS,
  ThreadStoreError,
  type CreateThreadParams,
  type ListThreadsParams,
  type RolloutItem,
  type StoredThread,
  type ThreadMetadataPatch,
  type ThreadPage,
  type ThreadStore,
} from "../types.js";
import { appendItems } from "./append.js";
import { archiveThread, deleteThread, unarchiveThread } from "./archive-delete.js";
import { clientConfig, errorMessage, pgStoreError, resolvePgUrl, unreachable } from "./connection.js";
import { processTag, WriterLocks } from "./locks.js";
import { updateThreadMetadata } from "./metadata-update.js";
import { listThreads, loadHistory } from "./read-queries.js";
import { storedThread } from "./rows.js";
import { migrate } from "./schema.js";
import { PgStoreContext } from "./store-context.js";
import { createThread, discardThread, resumeThread, shutdownThread, writersLost } from "./writer-lifecycle.js";

export interface PostgresThreadStoreOptions {
  /** Default: $SPOOL_PG_URL, else postgres://127.0.0.1:5432/test. */
  connectionString?: string;
  /** The home/install this store sees (rows of other namespaces are invisible). Default "default". */
  namespace?: string;
  /** Sessions are named `<applicationName> (pid … on host)`, the lock session `<applicationName> writer (…)`. */
  applicationName?: string;
  /** Pool size (default 10); the store uses one more connection for its writer locks. */
  maxConnections?: number;
  /** Connect timeout in ms (default 10 s). */
  connectTimeoutMs?: number;
  /** Clock in ms since the epoch (tests). */
  now?: () => number;
  warn?: (msg: string) => void;
}

export class PostgresThreadStore implements ThreadStore {
  readonly namespace: string;
  private readonly url: string;
  private readonly cx: PgStoreContext;
  private init: Promise<void> | null = null;
  private closed = false;

  constructor(opts: PostgresThreadStoreOptions = {}) {
    const ns = opts.namespace ?? "default";
    if (typeof ns !== "string" || ns === "" || ns.includes("\0")) throw ThreadStoreError.invalid("PostgresThreadStore: namespace must be a non-empty string");
    this.namespace = ns;
    this.url = resolvePgUrl(opts.connectionString);
    const now = opts.now ?? Date.now;
    const warn = opts.warn ?? (() => {});
    const app = opts.applicationName ?? "spool";
    const timeout = opts.connectTimeoutMs ?? 10_000;
    const pool = new pg.Pool({ ...clientConfig(this.url, `${app} (${processTag()})`, timeout), max: opts.maxConnections ?? 10 });
    // an idle pooled connection that dies is dropped by the pool; the next query opens another
    pool.on("error", (e) => warn(`PostgreSQL connection lost: ${errorMessage(e)}`));
    const locks = new WriterLocks(clientConfig(this.url, `${app} writer (${processTag()})`, timeout), (keys, cause) => writersLost(this.cx, keys, cause));
    this.cx = new PgStoreContext(ns, pool, locks, now, warn);
    for (const op of THREAD_STORE_OPERATIONS) {
      const fn = this[op].bind(this) as (...args: unknown[]) => Promise<unknown>;
      (this as unknown as Record<string, unknown>)[op] = async (...args: unknown[]) => {
        try {
          this.live();
          await this.ready();
          return await fn(...args);
        } catch (e) {
          throw pgStoreError(op, e);
        }
      };
    }
  }

  /** A store whose schema is ready (connection and migration errors surface here). */
  static async open(opts: PostgresThreadStoreOptions = {}): Promise<PostgresThreadStore> {
    const store = new PostgresThreadStore(opts);
    try {
      await store.ready();
    } catch (e) {
      await store.close();
      throw pgStoreError("open", e);
    }
    return store;
  }

  private live(): void {
    if (this.closed) throw new ThreadStoreError("internal", "store is closed");
  }

  /** Connects once and brings the schema up to date (retried by the next call after a failure). */
  private ready(): Promise<void> {
    this.init ??= (async () => {
      let client: pg.PoolClient;
      try {
        client = await this.cx.pool.connect();
      } catch (e) {
        throw unreachable(this.url, e);
      }
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    })().catch((e: unknown) => {
      this.init = null;
      throw e;
    });
    return this.init;
  }

  /** The backend pid of the connection holding this store's writer locks (tests), or null. */
  get writerLockBackendPid(): number | null {
    return this.cx.locks.backendPid;
  }

  // ---- ThreadStore ----

  async createThread(params: CreateThreadParams): Promise<void> {
    await createThread(this.cx, params);
  }

  async resumeThread(threadId: string, opts: { includeArchived?: boolean } = {}): Promise<void> {
    await resumeThread(this.cx, threadId, opts);
  }

  async appendItems(threadId: string, items: RolloutItem[]): Promise<void> {
    await appendItems(this.cx, threadId, items);
  }

  async flushThread(threadId: string): Promise<void> {
    // every append resolves once committed: flushing is waiting for the ones still queued
    await this.cx.queue.settled(threadId);
    if (!this.cx.writers.has(threadId)) await this.cx.requireRow(this.cx.pool, threadId, true);
  }

  async shutdownThread(threadId: string): Promise<void> {
    await shutdownThread(this.cx, threadId);
  }

  /** Closes the writer; a created thread that was never written to is forgotten (unless another writer holds it). */
  async discardThread(threadId: string): Promise<void> {
    await discardThread(this.cx, threadId);
  }

  async updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch, opts: { includeArchived?: boolean } = {}): Promise<StoredThread> {
    return updateThreadMetadata(this.cx, threadId, patch, opts);
  }

  async readThread(threadId: string, opts: { includeArchived?: boolean; includeHistory?: boolean } = {}): Promise<StoredThread> {
    const out = storedThread(await this.cx.requireRow(this.cx.pool, threadId, opts.includeArchived ?? false));
    if (opts.includeHistory) out.history = await this.loadHistory(threadId, opts);
    return out;
  }

  async loadHistory(threadId: string, opts: { includeArchived?: boolean } = {}): Promise<RolloutItem[]> {
    return loadHistory(this.cx, threadId, opts);
  }

  async listThreads(params: ListThreadsParams): Promise<ThreadPage> {
    return listThreads(this.cx, params);
  }

  async archiveThread(threadId: string): Promise<void> {
    await archiveThread(this.cx, threadId);
  }

  async unarchiveThread(threadId: string): Promise<StoredThread> {
    return unarchiveThread(this.cx, threadId);
  }

  async deleteThread(threadId: string): Promise<void> {
    await deleteThread(this.cx, threadId);
  }

  /** Waits for queued writes, releases every writer lock (by ending its connection) and the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.cx.queue.allSettled();
    this.cx.writers.clear();
    await this.cx.locks.close();
    await this.cx.pool.end().catch((e: unknown) => this.cx.warn(`closing the PostgreSQL pool: ${errorMessage(e)}`));
  }
}
