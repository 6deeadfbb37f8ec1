// What one PostgresThreadStore's operations share (they live in writer-lifecycle.ts, append.ts,
// metadata-update.ts, read-queries.ts and archive-delete.ts): its namespace, pool, writer locks
// and open writers, the per-thread queue of its writes, its clock, and the transaction and
// thread-row helpers.
import pg from "pg";
import { isThreadId } from "../memory/semantics.js";
import { ThreadStoreError } from "../types.js";
import { threadKey, type WriterLocks } from "./locks.js";
import { THREAD_COLUMNS, type ThreadRow } from "./rows.js";
import { THREADS } from "./schema.js";
import { KeyedQueue } from "../../util/keyed-queue.js";

/** This store's writer of a thread it has open (createThread/resumeThread): see writer-lifecycle.ts. */
export interface Writer {
  key: string;
  token: string;
  /** The lock connection ended: the lock must be retaken before the next write. */
  lost: boolean;
}

export type Db = pg.Pool | pg.PoolClient;

export class PgStoreContext {
  /** The threads this store has open for writing, by id. */
  readonly writers = new Map<string, Writer>();
  readonly queue = new KeyedQueue();

  constructor(
    readonly namespace: string,
    readonly pool: pg.Pool,
    readonly locks: WriterLocks,
    readonly now: () => number,
    readonly warn: (msg: string) => void,
  ) {}

  /** Runs `fn` after every earlier write of this store on the thread (a per-thread queue). */
  serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(id, fn);
  }

  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
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

  key(id: string): string {
    return threadKey(this.namespace, id);
  }

  async row(db: Db, id: string, forUpdate = false): Promise<ThreadRow | null> {
    if (!isThreadId(id)) return null;
    const r = await db.query<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM ${THREADS} WHERE namespace = $1 AND id = $2${forUpdate ? " FOR UPDATE" : ""}`, [this.namespace, id]);
    return r.rows[0] ?? null;
  }

  async requireRow(db: Db, id: string, includeArchived: boolean, forUpdate = false): Promise<ThreadRow> {
    const row = await this.row(db, id, forUpdate);
    if (!row || (row.archived && !includeArchived)) throw ThreadStoreError.notFound(id);
    return row;
  }
}
