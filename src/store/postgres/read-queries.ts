// PostgresThreadStore's reads beyond one thread row (store-context.ts): a thread's history in
// seq order, and listThreads (the shared filters and cursors of memory/semantics.ts as SQL).
import { isThreadId, listCursor, normalizeList, sortMs } from "../memory/semantics.js";
import { ThreadStoreError, type ListThreadsParams, type RolloutItem, type ThreadPage } from "../types.js";
import { storedThread, THREAD_COLUMNS, type ThreadRow } from "./rows.js";
import { ITEMS, THREADS } from "./schema.js";
import type { PgStoreContext } from "./store-context.js";

const SORT_COLUMN = { created_at: "created_at_ms", updated_at: "updated_at_ms", recency_at: "recency_at_ms" } as const;

export async function loadHistory(cx: PgStoreContext, threadId: string, opts: { includeArchived?: boolean }): Promise<RolloutItem[]> {
  if (!isThreadId(threadId)) throw ThreadStoreError.notFound(threadId);
  // the appends this store has queued before this call are part of the history
  await cx.queue.settled(threadId);
  const r = await cx.pool.query<{ archived: boolean; item: RolloutItem | null }>(
    `SELECT t.archived, i.item FROM ${THREADS} t LEFT JOIN ${ITEMS} i ON i.namespace = t.namespace AND i.thread_id = t.id
      WHERE t.namespace = $1 AND t.id = $2 ORDER BY i.seq`,
    [cx.namespace, threadId],
  );
  if (!r.rows.length || (r.rows[0].archived && !opts.includeArchived)) throw ThreadStoreError.notFound(threadId);
  const out: RolloutItem[] = [];
  for (const { item } of r.rows) if (item) out.push({ type: item.type, payload: item.payload });
  return out;
}

export async function listThreads(cx: PgStoreContext, params: ListThreadsParams): Promise<ThreadPage> {
  const q = normalizeList(params);
  const args: unknown[] = [cx.namespace, q.archived];
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
  const r = await cx.pool.query<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM ${THREADS} WHERE ${where.join(" AND ")} ORDER BY ${col} ${dir}, id ${dir} LIMIT ${limit}`, args);
  const items = r.rows.slice(0, q.pageSize).map(storedThread);
  const last = items[items.length - 1];
  return { items, nextCursor: r.rows.length > q.pageSize && last ? listCursor(sortMs(last, q.sortKey), last.threadId) : null };
}
