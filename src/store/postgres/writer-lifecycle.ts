// PostgresThreadStore's writers: createThread, resumeThread, shutdownThread, discardThread, and
// taking, retaking and giving back a thread's writer lock.
//
// createThread inserts the thread row (not materialized: readable, not listed) and its
// session_meta as item 0, and opens the thread's writer.
//
// One writer per thread across processes (locks.ts): createThread/resumeThread take the
// thread's exclusive session-level advisory lock on the store's lock connection and keep it
// until shutdown/discard/close; another store (another process, or another store object here)
// then gets "conflict" for its create, resume, appends, names, archive, unarchive and delete.
// Metadata-only patches need no lock. A thread this store has not opened is written "cold": the
// append or name takes the thread's lock in shared mode for its transaction only (append.ts).
//
// Fencing: taking the writer lock stamps a fresh `writer_token` on the thread row, and the
// explicit writer's appends only apply while the row still carries its token (append.ts). If
// the lock connection drops, the server releases its locks; the store marks its writers lost and
// retakes the lock before the next write, and a writer whose thread was written or taken over
// meanwhile gets "conflict" instead of writing beside the new owner.
import { randomUUID } from "node:crypto";
import { sessionMetaPayload } from "../../rollout/writer-format.js";
import { sourceKind } from "../../metadata/thread.js";
import { initialFields, isThreadId, validateCreateParams } from "../memory/semantics.js";
import { ThreadStoreError, type CreateThreadParams, type RolloutItem } from "../types.js";
import { errorMessage } from "./connection.js";
import { fieldColumns } from "./rows.js";
import { ITEMS, THREADS } from "./schema.js";
import type { Db, PgStoreContext, Writer } from "./store-context.js";

/** The lock connection ended with these keys: their writers retake the lock before the next write. */
export function writersLost(cx: PgStoreContext, keys: string[], cause: Error | null): void {
  const lost = new Set(keys);
  for (const [id, w] of cx.writers) {
    if (!lost.has(w.key)) continue;
    w.lost = true;
    cx.warn(`thread ${id}: writer lock lost with its PostgreSQL connection${cause ? ` (${errorMessage(cause)})` : ""}; it is retaken before the next write`);
  }
}

/** Takes the writer lock (or retakes a lost one) and stamps a fresh fencing token on the row. */
async function takeWriter(cx: PgStoreContext, db: Db, id: string): Promise<Writer | null> {
  const key = cx.key(id);
  await cx.locks.acquire(id, key);
  const token = randomUUID();
  const r = await db.query(`UPDATE ${THREADS} SET writer_token = $3 WHERE namespace = $1 AND id = $2`, [cx.namespace, id, token]).catch(async (e) => {
    await cx.locks.release(key).catch(() => {});
    throw e;
  });
  if (!r.rowCount) {
    await cx.locks.release(key);
    return null;
  }
  return { key, token, lost: false };
}

/** Closes this store's writer of the thread, if open (its lock is released). */
export async function detach(cx: PgStoreContext, id: string): Promise<void> {
  const w = cx.writers.get(id);
  if (!w) return;
  cx.writers.delete(id);
  await cx.locks.release(w.key);
}

/** A lost writer lock is retaken before writing; if another store holds it now, conflict. */
export async function ensureHeld(cx: PgStoreContext, id: string, w: Writer): Promise<void> {
  if (!w.lost) return;
  try {
    await cx.locks.acquire(id, w.key);
  } catch (e) {
    cx.writers.delete(id);
    if (e instanceof ThreadStoreError && e.kind === "conflict") {
      throw ThreadStoreError.conflict(`${e.message}; this store's writer lock was lost when its PostgreSQL connection ended`);
    }
    throw e;
  }
  w.lost = false;
}

export async function createThread(cx: PgStoreContext, params: CreateThreadParams): Promise<void> {
  validateCreateParams(params);
  const id = params.threadId;
  const createdAt = params.createdAt ?? new Date(cx.now());
  const fields = initialFields(structuredClone(params), createdAt.getTime());
  const meta: RolloutItem = { type: "session_meta", payload: sessionMetaPayload(params, createdAt) };
  let metaJson: string;
  try {
    metaJson = JSON.stringify([meta]);
  } catch (e) {
    throw ThreadStoreError.invalid(`createThread: params must be JSON (${(e as Error).message})`);
  }
  await cx.serial(id, async () => {
    if (cx.writers.has(id) || (await cx.row(cx.pool, id))) throw ThreadStoreError.conflict(`thread ${id} already exists`);
    const key = cx.key(id);
    await cx.locks.acquire(id, key);
    try {
      const token = randomUUID();
      const cols = { ...fieldColumns(fields), source_kind: sourceKind(fields.source), writer_token: token };
      const names = Object.keys(cols);
      const values = Object.values(cols);
      const placeholders = names.map((n, i) => `$${i + 4}${n === "source" ? "::jsonb" : ""}`);
      const r = await cx.pool.query<{ n: string }>(
        `WITH t AS (
           INSERT INTO ${THREADS} (namespace, id, ${names.join(", ")}) VALUES ($1, $2, ${placeholders.join(", ")})
           ON CONFLICT DO NOTHING RETURNING id),
         ins AS (INSERT INTO ${ITEMS} (namespace, thread_id, seq, item) SELECT $1, t.id, 0, ($3::json) -> 0 FROM t)
         SELECT count(*) AS n FROM t`,
        [cx.namespace, id, metaJson, ...values],
      );
      if (Number(r.rows[0].n) !== 1) throw ThreadStoreError.conflict(`thread ${id} already exists`);
      cx.writers.set(id, { key, token, lost: false });
    } catch (e) {
      await cx.locks.release(key).catch(() => {});
      throw e;
    }
  });
}

export async function resumeThread(cx: PgStoreContext, threadId: string, opts: { includeArchived?: boolean }): Promise<void> {
  await cx.serial(threadId, async () => {
    const w = cx.writers.get(threadId);
    if (w) return ensureHeld(cx, threadId, w);
    await cx.requireRow(cx.pool, threadId, opts.includeArchived ?? false);
    const taken = await takeWriter(cx, cx.pool, threadId);
    if (!taken) throw ThreadStoreError.notFound(threadId);
    cx.writers.set(threadId, taken);
  });
}

export async function shutdownThread(cx: PgStoreContext, threadId: string): Promise<void> {
  await cx.serial(threadId, () => detach(cx, threadId));
}

/** Closes the writer; a created thread that was never written to is forgotten (unless another writer holds it). */
export async function discardThread(cx: PgStoreContext, threadId: string): Promise<void> {
  await cx.serial(threadId, async () => {
    await detach(cx, threadId);
    if (!isThreadId(threadId)) return;
    await cx.pool.query(
      `DELETE FROM ${THREADS} WHERE namespace = $1 AND id = $2 AND NOT materialized AND pg_try_advisory_xact_lock($3::bigint)`,
      [cx.namespace, threadId, cx.key(threadId)],
    );
  });
}
