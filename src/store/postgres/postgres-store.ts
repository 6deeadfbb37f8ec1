// PostgresThreadStore: threads in a PostgreSQL database (schema in schema.ts), several Spool
// homes or installs side by side in one database, each in its own `namespace`.
//
// Semantics are the ones every store shares (memory/semantics.ts: validation, the initial
// fields, the literal patch, list filters and cursors) and pass the same conformance suite:
//  - createThread inserts the thread row (not materialized: readable, not listed) and its
//    session_meta as item 0, and opens the thread's writer.
//  - appendItems is one statement, hence one transaction, per call: it advances the thread's
//    `last_seq` by the number of items (an UPDATE, so the thread row is locked until commit and
//    concurrent appenders, in any process, queue on it) and inserts the items at the seqs it
//    freed. History stays dense and each call's items contiguous. Calls of one store on one
//    thread are applied in call order. Appends never touch metadata.
//  - updateThreadMetadata is one transaction: the row is read FOR UPDATE, the shared patch
//    function applied, the changed columns written (so recency stays monotonic under concurrent
//    patches). A name is history too: the thread_name_updated event is appended in the same
//    transaction.
//
// One writer per thread across processes (locks.ts): createThread/resumeThread take the
// thread's exclusive session-level advisory lock on the store's lock connection and keep it
// until shutdown/discard/close; another store (another process, or another store object here)
// then gets "conflict" for its create, resume, appends, names, archive, unarchive and delete.
// Metadata-only patches need no lock. A thread this store has not opened is written "cold": the
// append or name takes the thread's lock in shared mode for its transaction only.
//
// Fencing: taking the writer lock stamps a fresh `writer_token` on the thread row, and the
// explicit writer's appends only apply while the row still carries its token (cold appends
// clear it). If the lock connection drops, the server releases its locks; the store marks its
// writers lost and retakes the lock before the next write, and a writer whose thread was
// written or taken over meanwhile gets "conflict" instead of writing beside the new owner.
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { JsonObject } from "../../rollout/line.js";
import { sessionMetaPayload } from "../../rollout/writer-format.js";
import { sourceKind } from "../../metadata/thread.js";
import {
  applyPatch,
  initialFields,
  isThreadId,
  listCursor,
  normalizeList,
  sortMs,
  validateCreateParams,
  validateItems,
  validatePatch,
} from "../memory/semantics.js";
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
import { clientConfig, errorMessage, pgStoreError, resolvePgUrl, unreachable } from "./connection.js";
import { lockHolders, processTag, SHARED_WAIT_MS, takeOrConflict, threadKey, WriterLocks, writerConflict } from "./locks.js";
import { changedColumns, fieldColumns, storedThread, THREAD_COLUMNS, threadFields, type ThreadRow } from "./rows.js";
import { ITEMS, migrate, THREADS } from "./schema.js";
import { KeyedQueue } from "../../util/keyed-queue.js";

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

interface Writer {
  key: string;
  token: string;
  /** The lock connection ended: the lock must be retaken before the next write. */
  lost: boolean;
}

type Db = pg.Pool | pg.PoolClient;

const SORT_COLUMN = { created_at: "created_at_ms", updated_at: "updated_at_ms", recency_at: "recency_at_ms" } as const;

// $1 namespace, $2 thread id, $3 lock key (cold) or writer token (explicit), $4 item count, $5 items (a JSON array)
const INSERT_ITEMS = `ins AS (
    INSERT INTO ${ITEMS} (namespace, thread_id, seq, item)
    SELECT $1, $2, t.last_seq - $4::bigint + x.ord, x.item FROM t, json_array_elements($5::json) WITH ORDINALITY AS x(item, ord))`;
const APPEND_COLD = `WITH lk AS MATERIALIZED (SELECT pg_try_advisory_xact_lock_shared($3::bigint) AS ok),
  t AS (
    UPDATE ${THREADS} SET last_seq = last_seq + $4::bigint, materialized = true, writer_token = NULL
     WHERE namespace = $1 AND id = $2 AND (SELECT ok FROM lk)
    RETURNING last_seq),
  ${INSERT_ITEMS}
  SELECT (SELECT ok FROM lk) AS locked, (SELECT last_seq FROM t) AS last_seq`;
const APPEND_EXPLICIT = `WITH t AS (
    UPDATE ${THREADS} SET last_seq = last_seq + $4::bigint, materialized = true
     WHERE namespace = $1 AND id = $2 AND writer_token = $3::uuid
    RETURNING last_seq),
  ${INSERT_ITEMS}
  SELECT true AS locked, (SELECT last_seq FROM t) AS last_seq`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PostgresThreadStore implements ThreadStore {
  readonly namespace: string;
  private readonly url: string;
  private readonly pool: pg.Pool;
  private readonly locks: WriterLocks;
  private readonly writers = new Map<string, Writer>();
  private readonly queue = new KeyedQueue();
  private readonly now: () => number;
  private readonly warn: (msg: string) => void;
  private init: Promise<void> | null = null;
  private closed = false;

  constructor(opts: PostgresThreadStoreOptions = {}) {
    const ns = opts.namespace ?? "default";
    if (typeof ns !== "string" || ns === "" || ns.includes("\0")) throw ThreadStoreError.invalid("PostgresThreadStore: namespace must be a non-empty string");
    this.namespace = ns;
    this.url = resolvePgUrl(opts.connectionString);
    this.now = opts.now ?? Date.now;
    this.warn = opts.warn ?? (() => {});
    const app = opts.applicationName ?? "spool";
    const timeout = opts.connectTimeoutMs ?? 10_000;
    this.pool = new pg.Pool({ ...clientConfig(this.url, `${app} (${processTag()})`, timeout), max: opts.maxConnections ?? 10 });
    // an idle pooled connection that dies is dropped by the pool; the next query opens another
    this.pool.on("error", (e) => this.warn(`PostgreSQL connection lost: ${errorMessage(e)}`));
    this.locks = new WriterLocks(clientConfig(this.url, `${app} writer (${processTag()})`, timeout), (keys, cause) => this.locksLost(keys, cause));
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

  // ---- plumbing ----

  private live(): void {
    if (this.closed) throw new ThreadStoreError("internal", "store is closed");
  }

  /** Connects once and brings the schema up to date (retried by the next call after a failure). */
  private ready(): Promise<void> {
    this.init ??= (async () => {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
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

  private locksLost(keys: string[], cause: Error | null): void {
    const lost = new Set(keys);
    for (const [id, w] of this.writers) {
      if (!lost.has(w.key)) continue;
      w.lost = true;
      this.warn(`thread ${id}: writer lock lost with its PostgreSQL connection${cause ? ` (${errorMessage(cause)})` : ""}; it is retaken before the next write`);
    }
  }

  /** Runs `fn` after every earlier write of this store on the thread (a per-thread queue). */
  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(id, fn);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (e) {
      await c.query("ROLLBACK").catch((re: Error) => {
        broken = re;
      });
      throw e;
    } finally {
      c.release(broken);
    }
  }

  private key(id: string): string {
    return threadKey(this.namespace, id);
  }

  private async row(db: Db, id: string, forUpdate = false): Promise<ThreadRow | null> {
    if (!isThreadId(id)) return null;
    const r = await db.query<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM ${THREADS} WHERE namespace = $1 AND id = $2${forUpdate ? " FOR UPDATE" : ""}`, [this.namespace, id]);
    return r.rows[0] ?? null;
  }

  private async requireRow(db: Db, id: string, includeArchived: boolean, forUpdate = false): Promise<ThreadRow> {
    const row = await this.row(db, id, forUpdate);
    if (!row || (row.archived && !includeArchived)) throw ThreadStoreError.notFound(id);
    return row;
  }

  /** Takes the writer lock (or retakes a lost one) and stamps a fresh fencing token on the row. */
  private async takeWriter(db: Db, id: string): Promise<Writer | null> {
    const key = this.key(id);
    await this.locks.acquire(id, key);
    const token = randomUUID();
    const r = await db.query(`UPDATE ${THREADS} SET writer_token = $3 WHERE namespace = $1 AND id = $2`, [this.namespace, id, token]).catch(async (e) => {
      await this.locks.release(key).catch(() => {});
      throw e;
    });
    if (!r.rowCount) {
      await this.locks.release(key);
      return null;
    }
    return { key, token, lost: false };
  }

  /** Closes this store's writer of the thread, if open (its lock is released). */
  private async detach(id: string): Promise<void> {
    const w = this.writers.get(id);
    if (!w) return;
    this.writers.delete(id);
    await this.locks.release(w.key);
  }

  /** A lost writer lock is retaken before writing; if another store holds it now, conflict. */
  private async ensureHeld(id: string, w: Writer): Promise<void> {
    if (!w.lost) return;
    try {
      await this.locks.acquire(id, w.key);
    } catch (e) {
      this.writers.delete(id);
      if (e instanceof ThreadStoreError && e.kind === "conflict") {
        throw ThreadStoreError.conflict(`${e.message}; this store's writer lock was lost when its PostgreSQL connection ended`);
      }
      throw e;
    }
    w.lost = false;
  }

  /**
   * Appends `n` items (`json`: their JSON array) as one statement: through this store's writer
   * when it has the thread open (fenced by its token), else cold under the shared lock.
   */
  private async appendRaw(db: Db, id: string, json: string, n: number): Promise<void> {
    const w = this.writers.get(id);
    if (w) {
      await this.ensureHeld(id, w);
      const r = await db.query<{ last_seq: string | null }>(APPEND_EXPLICIT, [this.namespace, id, w.token, n, json]);
      if (r.rows[0].last_seq !== null) return;
      // the row is gone, or no longer carries our token: another writer took over meanwhile
      this.writers.delete(id);
      await this.locks.release(w.key).catch(() => {});
      if (!(await this.row(db, id))) throw ThreadStoreError.notFound(id);
      throw ThreadStoreError.conflict(
        `thread ${id} is already open for writing by another writer: this store's writer lock was lost when its PostgreSQL connection ended, and the thread was written or taken over since`,
      );
    }
    const key = this.key(id);
    const deadline = Date.now() + SHARED_WAIT_MS;
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      const r = await db.query<{ locked: boolean; last_seq: string | null }>(APPEND_COLD, [this.namespace, id, key, n, json]);
      if (r.rows[0].locked) {
        if (r.rows[0].last_seq === null) throw ThreadStoreError.notFound(id);
        return;
      }
      const holders = await lockHolders(db, key);
      // nobody listed: the holder let go between the two statements
      if (holders.length || Date.now() >= deadline) throw writerConflict(id, holders);
      await sleep(delay);
    }
  }

  /** Takes the thread's exclusive transaction lock for a structural change (conflict if held). */
  private async exclusive(c: pg.PoolClient, id: string): Promise<void> {
    const key = this.key(id);
    await takeOrConflict(
      id,
      async () => (await c.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1::bigint) AS ok", [key])).rows[0].ok,
      () => lockHolders(c, key),
    );
  }

  /** The backend pid of the connection holding this store's writer locks (tests), or null. */
  get writerLockBackendPid(): number | null {
    return this.locks.backendPid;
  }

  // ---- ThreadStore ----

  async createThread(params: CreateThreadParams): Promise<void> {
    validateCreateParams(params);
    const id = params.threadId;
    const createdAt = params.createdAt ?? new Date(this.now());
    const fields = initialFields(structuredClone(params), createdAt.getTime());
    const meta: RolloutItem = { type: "session_meta", payload: sessionMetaPayload(params, createdAt) };
    let metaJson: string;
    try {
      metaJson = JSON.stringify([meta]);
    } catch (e) {
      throw ThreadStoreError.invalid(`createThread: params must be JSON (${(e as Error).message})`);
    }
    await this.serial(id, async () => {
      if (this.writers.has(id) || (await this.row(this.pool, id))) throw ThreadStoreError.conflict(`thread ${id} already exists`);
      const key = this.key(id);
      await this.locks.acquire(id, key);
      try {
        const token = randomUUID();
        const cols = { ...fieldColumns(fields), source_kind: sourceKind(fields.source), writer_token: token };
        const names = Object.keys(cols);
        const values = Object.values(cols);
        const placeholders = names.map((n, i) => `$${i + 4}${n === "source" ? "::jsonb" : ""}`);
        const r = await this.pool.query<{ n: string }>(
          `WITH t AS (
             INSERT INTO ${THREADS} (namespace, id, ${names.join(", ")}) VALUES ($1, $2, ${placeholders.join(", ")})
             ON CONFLICT DO NOTHING RETURNING id),
           ins AS (INSERT INTO ${ITEMS} (namespace, thread_id, seq, item) SELECT $1, t.id, 0, ($3::json) -> 0 FROM t)
           SELECT count(*) AS n FROM t`,
          [this.namespace, id, metaJson, ...values],
        );
        if (Number(r.rows[0].n) !== 1) throw ThreadStoreError.conflict(`thread ${id} already exists`);
        this.writers.set(id, { key, token, lost: false });
      } catch (e) {
        await this.locks.release(key).catch(() => {});
        throw e;
      }
    });
  }

  async resumeThread(threadId: string, opts: { includeArchived?: boolean } = {}): Promise<void> {
    await this.serial(threadId, async () => {
      const w = this.writers.get(threadId);
      if (w) return this.ensureHeld(threadId, w);
      await this.requireRow(this.pool, threadId, opts.includeArchived ?? false);
      const taken = await this.takeWriter(this.pool, threadId);
      if (!taken) throw ThreadStoreError.notFound(threadId);
      this.writers.set(threadId, taken);
    });
  }

  async appendItems(threadId: string, items: RolloutItem[]): Promise<void> {
    validateItems(threadId, items);
    if (!isThreadId(threadId)) throw ThreadStoreError.notFound(threadId);
    if (!items.length) {
      if (!this.writers.has(threadId)) await this.requireRow(this.pool, threadId, true);
      return;
    }
    let json: string;
    try {
      json = JSON.stringify(items);
    } catch (e) {
      throw ThreadStoreError.invalid(`appendItems(${threadId}): items must be JSON (${(e as Error).message})`);
    }
    await this.serial(threadId, () => this.appendRaw(this.pool, threadId, json, items.length));
  }

  async flushThread(threadId: string): Promise<void> {
    // every append resolves once committed: flushing is waiting for the ones still queued
    await this.queue.settled(threadId);
    if (!this.writers.has(threadId)) await this.requireRow(this.pool, threadId, true);
  }

  async shutdownThread(threadId: string): Promise<void> {
    await this.serial(threadId, () => this.detach(threadId));
  }

  /** Closes the writer; a created thread that was never written to is forgotten (unless another writer holds it). */
  async discardThread(threadId: string): Promise<void> {
    await this.serial(threadId, async () => {
      await this.detach(threadId);
      if (!isThreadId(threadId)) return;
      await this.pool.query(
        `DELETE FROM ${THREADS} WHERE namespace = $1 AND id = $2 AND NOT materialized AND pg_try_advisory_xact_lock($3::bigint)`,
        [this.namespace, threadId, this.key(threadId)],
      );
    });
  }

  async updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch, opts: { includeArchived?: boolean } = {}): Promise<StoredThread> {
    validatePatch(threadId, patch);
    if (!isThreadId(threadId)) throw ThreadStoreError.notFound(threadId);
    return this.serial(threadId, () =>
      this.tx(async (c) => {
        const row = await this.requireRow(c, threadId, opts.includeArchived ?? false, true);
        if (patch.name !== undefined) {
          // a name is history: the event goes in with the column, in this transaction
          const event: JsonObject = { type: "thread_name_updated", thread_id: threadId, thread_name: patch.name };
          await this.appendRaw(c, threadId, JSON.stringify([{ type: "event_msg", payload: event }]), 1);
        }
        const before = threadFields(row);
        const set: Record<string, unknown> = changedColumns(before, applyPatch(before, patch));
        if (patch.name !== undefined) set.name = patch.name;
        const names = Object.keys(set);
        const assignments = ["materialized = true", ...names.map((n, i) => `${n} = $${i + 3}${n === "source" ? "::jsonb" : ""}`)];
        const r = await c.query<ThreadRow>(
          `UPDATE ${THREADS} SET ${assignments.join(", ")} WHERE namespace = $1 AND id = $2 RETURNING ${THREAD_COLUMNS}`,
          [this.namespace, threadId, ...Object.values(set)],
        );
        return storedThread(r.rows[0]);
      }),
    );
  }

  async readThread(threadId: string, opts: { includeArchived?: boolean; includeHistory?: boolean } = {}): Promise<StoredThread> {
    const out = storedThread(await this.requireRow(this.pool, threadId, opts.includeArchived ?? false));
    if (opts.includeHistory) out.history = await this.loadHistory(threadId, opts);
    return out;
  }

  async loadHistory(threadId: string, opts: { includeArchived?: boolean } = {}): Promise<RolloutItem[]> {
    if (!isThreadId(threadId)) throw ThreadStoreError.notFound(threadId);
    // the appends this store has queued before this call are part of the history
    await this.queue.settled(threadId);
    const r = await this.pool.query<{ archived: boolean; item: RolloutItem | null }>(
      `SELECT t.archived, i.item FROM ${THREADS} t LEFT JOIN ${ITEMS} i ON i.namespace = t.namespace AND i.thread_id = t.id
        WHERE t.namespace = $1 AND t.id = $2 ORDER BY i.seq`,
      [this.namespace, threadId],
    );
    if (!r.rows.length || (r.rows[0].archived && !opts.includeArchived)) throw ThreadStoreError.notFound(threadId);
    const out: RolloutItem[] = [];
    for (const { item } of r.rows) if (item) out.push({ type: item.type, payload: item.payload });
    return out;
  }

  async listThreads(params: ListThreadsParams): Promise<ThreadPage> {
    const q = normalizeList(params);
    const args: unknown[] = [this.namespace, q.archived];
    const arg = (v: unknown) => `$${args.push(v)}`;
    const where = ["materialized", "namespace = $1", "archived = $2"];
    if (q.kinds) where.push(`source_kind = ANY(${arg(q.kinds)}::text[])`);
    if (q.providers) where.push(`model_provider = ANY(${arg(q.providers)}::text[])`);
    if (q.cwds) where.push(`cwd = ANY(${arg(q.cwds)}::text[])`);
    if (q.searchTerm) {
      const p = arg(q.searchTerm);
      // case-sensitive substring, like the other stores (and Codex)
      where.push(`(strpos(preview, ${p}) > 0 OR strpos(coalesce(name, ''), ${p}) > 0)`);
    }
    const col = SORT_COLUMN[q.sortKey];
    const op = q.desc ? "<" : ">";
    if (q.after) {
      // a bare timestamp (a backwards cursor) is exclusive of every row at that ms
      if (q.after.id === null) where.push(`${col} ${op} ${arg(q.after.ms)}`);
      else where.push(`(${col}, id) ${op} (${arg(q.after.ms)}, ${arg(q.after.id)})`);
    }
    const dir = q.desc ? "DESC" : "ASC";
    const limit = arg(q.pageSize + 1);
    const r = await this.pool.query<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM ${THREADS} WHERE ${where.join(" AND ")} ORDER BY ${col} ${dir}, id ${dir} LIMIT ${limit}`, args);
    const items = r.rows.slice(0, q.pageSize).map(storedThread);
    const last = items[items.length - 1];
    return { items, nextCursor: r.rows.length > q.pageSize && last ? listCursor(sortMs(last, q.sortKey), last.threadId) : null };
  }

  async archiveThread(threadId: string): Promise<void> {
    await this.serial(threadId, async () => {
      const row = await this.requireRow(this.pool, threadId, true);
      if (row.archived) throw ThreadStoreError.invalid(`thread ${threadId} is already archived`);
      await this.detach(threadId);
      await this.tx(async (c) => {
        await this.exclusive(c, threadId);
        const cur = await this.requireRow(c, threadId, true, true);
        if (cur.archived) throw ThreadStoreError.invalid(`thread ${threadId} is already archived`);
        await c.query(`UPDATE ${THREADS} SET archived = true, archived_at_ms = $3, materialized = true WHERE namespace = $1 AND id = $2`, [this.namespace, threadId, this.now()]);
      });
    });
  }

  async unarchiveThread(threadId: string): Promise<StoredThread> {
    return this.serial(threadId, async () => {
      const row = await this.requireRow(this.pool, threadId, true);
      if (!row.archived) throw ThreadStoreError.invalid(`thread ${threadId} is not archived`);
      await this.detach(threadId);
      return this.tx(async (c) => {
        await this.exclusive(c, threadId);
        const cur = await this.requireRow(c, threadId, true, true);
        if (!cur.archived) throw ThreadStoreError.invalid(`thread ${threadId} is not archived`);
        const r = await c.query<ThreadRow>(
          `UPDATE ${THREADS} SET archived = false, archived_at_ms = NULL, updated_at_ms = $3 WHERE namespace = $1 AND id = $2 RETURNING ${THREAD_COLUMNS}`,
          [this.namespace, threadId, this.now()],
        );
        return storedThread(r.rows[0]);
      });
    });
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.serial(threadId, async () => {
      await this.requireRow(this.pool, threadId, true);
      await this.detach(threadId);
      await this.tx(async (c) => {
        await this.exclusive(c, threadId);
        // the thread's items go with it (ON DELETE CASCADE)
        const r = await c.query(`DELETE FROM ${THREADS} WHERE namespace = $1 AND id = $2`, [this.namespace, threadId]);
        if (!r.rowCount) throw ThreadStoreError.notFound(threadId);
      });
    });
  }

  /** Waits for queued writes, releases every writer lock (by ending its connection) and the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.allSettled();
    this.writers.clear();
    await this.locks.close();
    await this.pool.end().catch((e: unknown) => this.warn(`closing the PostgreSQL pool: ${errorMessage(e)}`));
  }
}
