// PostgresThreadStore's updateThreadMetadata: one transaction. The row is read FOR UPDATE, the
// shared patch function applied, the changed columns written (so recency stays monotonic under
// concurrent patches). A name is history too: the thread_name_updated event is appended in the
// same transaction (append.ts: under this store's writer, else cold). Metadata-only patches need
// no lock.
import type { JsonObject } from "../../rollout/line.js";
import { applyPatch, isThreadId, validatePatch } from "../memory/semantics.js";
import { ThreadStoreError, type StoredThread, type ThreadMetadataPatch } from "../types.js";
import { appendRaw } from "./append.js";
import { changedColumns, storedThread, THREAD_COLUMNS, threadFields, type ThreadRow } from "./rows.js";
import { THREADS } from "./schema.js";
import type { PgStoreContext } from "./store-context.js";

export async function updateThreadMetadata(cx: PgStoreContext, threadId: string, patch: ThreadMetadataPatch, opts: { includeArchived?: boolean }): Promise<StoredThread> {
  validatePatch(threadId, patch);
  if (!isThreadId(threadId)) throw ThreadStoreError.notFound(threadId);
  return cx.serial(threadId, () =>
    cx.tx(async (c) => {
      const row = await cx.requireRow(c, threadId, opts.includeArchived ?? false, true);
      if (patch.name !== undefined) {
        // a name is history: the event goes in with the column, in this transaction
        const event: JsonObject = { type: "thread_name_updated", thread_id: threadId, thread_name: patch.name };
        await appendRaw(cx, c, threadId, JSON.stringify([{ type: "event_msg", payload: event }]), 1);
      }
      const before = threadFields(row);
      const set: Record<string, unknown> = changedColumns(before, applyPatch(before, patch));
      if (patch.name !== undefined) set.name = patch.name;
      const names = Object.keys(set);
      const assignments = ["materialized = true", ...names.map((n, i) => `${n} = $${i + 3}${n === "source" ? "::jsonb" : ""}`)];
      const r = await c.query<ThreadRow>(
        `UPDATE ${THREADS} SET ${assignments.join(", ")} WHERE namespace = $1 AND id = $2 RETURNING ${THREAD_COLUMNS}`,
        [cx.namespace, threadId, ...Object.values(set)],
      );
      return storedThread(r.rows[0]);
    }),
  );
}
