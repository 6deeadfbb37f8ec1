// PostgresThreadStore's append path: appendItems, and the single statement every history write
// goes through (appendRaw; updateThreadMetadata appends a name's event with it, in its own
// transaction).
//
// appendItems is one statement, hence one transaction, per call: it advances the thread's
// `last_seq` by the number of items (an UPDATE, so the thread row is locked until commit and
// concurrent appenders, in any process, queue on it) and inserts the items at the seqs it
// freed. History stays dense and each call's items contiguous. Calls of one store on one
// thread are applied in call order. Appends never touch metadata.
//
// A thread this store has open is appended to by its explicit writer (writer-lifecycle.ts): the
// append only applies while the row still carries the writer's fencing token. Any other thread
// is appended to "cold", under the thread's lock in shared mode for that statement only, and a
// cold append clears the token (an explicit writer that lost its lock then gets "conflict").
import { isThreadId, validateItems } from "../memory/semantics.js";
import { ThreadStoreError, type RolloutItem } from "../types.js";
import { lockHolders, SHARED_WAIT_MS, writerConflict } from "./locks.js";
import { ITEMS, THREADS } from "./schema.js";
import type { Db, PgStoreContext } from "./store-context.js";
import { ensureHeld } from "./writer-lifecycle.js";

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

/**
 * Appends `n` items (`json`: their JSON array) as one statement: through this store's writer
 * when it has the thread open (fenced by its token), else cold under the shared lock.
 */
export async function appendRaw(cx: PgStoreContext, db: Db, id: string, json: string, n: number): Promise<void> {
  const w = cx.writers.get(id);
  if (w) {
    await ensureHeld(cx, id, w);
    const r = await db.query<{ last_seq: string | null }>(APPEND_EXPLICIT, [cx.namespace, id, w.token, n, json]);
    if (r.rows[0].last_seq !== null) return;
    // the row is gone, or no longer carries our token: another writer took over meanwhile
    cx.writers.delete(id);
    await cx.locks.release(w.key).catch(() => {});
    if (!(await cx.row(db, id))) throw ThreadStoreError.notFound(id);
    throw ThreadStoreError.conflict(
      `thread ${id} is already open for writing by another writer: this store's writer lock was lost when its PostgreSQL connection ended, and the thread was written or taken over since`,
    );
  }
  const key = cx.key(id);
  const deadline = Date.now() + SHARED_WAIT_MS;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    const r = await db.query<{ locked: boolean; last_seq: string | null }>(APPEND_COLD, [cx.namespace, id, key, n, json]);
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

export async function appendItems(cx: PgStoreContext, threadId: string, items: RolloutItem[]): Promise<void> {
  validateItems(threadId, items);
  if (!isThreadId(threadId)) throw ThreadStoreError.notFound(threadId);
  if (!items.length) {
    if (!cx.writers.has(threadId)) await cx.requireRow(cx.pool, threadId, true);
    return;
  }
  let json: string;
  try {
    json = JSON.stringify(items);
  } catch (e) {
    throw ThreadStoreError.invalid(`appendItems(${threadId}): items must be JSON (${(e as Error).message})`);
  }
  await cx.serial(threadId, () => appendRaw(cx, cx.pool, threadId, json, items.length));
}
