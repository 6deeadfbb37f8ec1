// PostgresThreadStore's structural changes: archiveThread, unarchiveThread and deleteThread. Each
// checks the row, closes this store's writer of the thread, then, in one transaction, takes the
// thread's exclusive transaction lock (a conflict while another store writes the thread:
// locks.ts) and changes the row.
import type pg from "pg";
import { ThreadStoreError, type StoredThread } from "../types.js";
import { lockHolders, takeOrConflict } from "./locks.js";
import { storedThread, THREAD_COLUMNS, type ThreadRow } from "./rows.js";
import { THREADS } from "./schema.js";
import type { PgStoreContext } from "./store-context.js";
import { detach } from "./writer-lifecycle.js";

/** Takes the thread's exclusive transaction lock for a structural change (conflict if held). */
async function exclusive(cx: PgStoreContext, c: pg.PoolClient, id: string): Promise<void> {
  const key = cx.key(id);
  await takeOrConflict(
    id,
    async () => (await c.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1::bigint) AS ok", [key])).rows[0].ok,
    () => lockHolders(c, key),
  );
}

export async function archiveThread(cx: PgStoreContext, threadId: string): Promise<void> {
  await cx.serial(threadId, async () => {
    const row = await cx.requireRow(cx.pool, threadId, true);
    if (row.archived) throw ThreadStoreError.invalid(`thread ${threadId} is already archived`);
    await detach(cx, threadId);
    await cx.tx(async (c) => {
      await exclusive(cx, c, threadId);
      const cur = await cx.requireRow(c, threadId, true, true);
      if (cur.archived) throw ThreadStoreError.invalid(`thread ${threadId} is already archived`);
      await c.query(`UPDATE ${THREADS} SET archived = true, archived_at_ms = $3, materialized = true WHERE namespace = $1 AND id = $2`, [cx.namespace, threadId, cx.now()]);
    });
  });
}

export async function unarchiveThread(cx: PgStoreContext, threadId: string): Promise<StoredThread> {
  return cx.serial(threadId, async () => {
    const row = await cx.requireRow(cx.pool, threadId, true);
    if (!row.archived) throw ThreadStoreError.invalid(`thread ${threadId} is not archived`);
    await detach(cx, threadId);
    return cx.tx(async (c) => {
      await exclusive(cx, c, threadId);
      const cur = await cx.requireRow(c, threadId, true, true);
      if (!cur.archived) throw ThreadStoreError.invalid(`thread ${threadId} is not archived`);
      const r = await c.query<ThreadRow>(
        `UPDATE ${THREADS} SET archived = false, archived_at_ms = NULL, updated_at_ms = $3 WHERE namespace = $1 AND id = $2 RETURNING ${THREAD_COLUMNS}`,
        [cx.namespace, threadId, cx.now()],
      );
      return storedThread(r.rows[0]);
    });
  });
}

export async function deleteThread(cx: PgStoreContext, threadId: string): Promise<void> {
  await cx.serial(threadId, async () => {
    await cx.requireRow(cx.pool, threadId, true);
    await detach(cx, threadId);
    await cx.tx(async (c) => {
      await exclusive(cx, c, threadId);
      // the thread's items go with it (ON DELETE CASCADE)
      const r = await c.query(`DELETE FROM ${THREADS} WHERE namespace = $1 AND id = $2`, [cx.namespace, threadId]);
      if (!r.rowCount) throw ThreadStoreError.notFound(threadId);
    });
  });
}
