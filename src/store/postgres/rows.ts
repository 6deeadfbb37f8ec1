// spool_threads rows <-> StoredThread: the metadata columns are the ones both SQL stores share
// (../thread-columns.ts; bigint ms come back from pg as strings, source is jsonb), plus the
// name, the archived flag and the writer's bookkeeping.
import type { Json } from "../../rollout/line.js";
import type { ThreadFields } from "../memory/semantics.js";
import type { StoredThread } from "../types.js";
import { threadFieldColumns, threadFieldsFromColumns, type ReadThreadFieldColumns } from "../thread-columns.js";

/** A spool_threads row as pg returns it (bigint columns as strings, jsonb parsed). */
export interface ThreadRow extends ReadThreadFieldColumns {
  id: string;
  name: string | null;
  archived: boolean;
  source: Json;
  materialized: boolean;
  writer_token: string | null;
}

/** The columns a StoredThread is read from. */
export const THREAD_COLUMNS =
  "id, session_id, forked_from_id, parent_thread_id, preview, first_user_message, name, model_provider, model, reasoning_effort, " +
  "created_at_ms, updated_at_ms, recency_at_ms, archived, archived_at_ms, cwd, cli_version, originator, source, thread_source, " +
  "agent_nickname, agent_role, git_sha, git_branch, git_origin_url, history_mode, tokens_used, materialized, writer_token";

/** The thread a row holds (the items are read separately). */
export function storedThread(r: ThreadRow): StoredThread {
  return { threadId: r.id, rolloutPath: null, name: r.name, ...threadFields(r) };
}

/** The metadata fields of a row (what the shared patch function works on). */
export function threadFields(r: ThreadRow): ThreadFields {
  return threadFieldsFromColumns(r, r.source);
}

/** Column -> encoded value of every metadata field (for INSERT, and to diff a patched row). */
export function fieldColumns(f: ThreadFields): Record<string, string | number | boolean | null> {
  return { ...threadFieldColumns(f), archived: f.archivedAtMs !== null };
}

/** The columns whose encoded value differs between two versions of a thread's fields. */
export function changedColumns(before: ThreadFields, after: ThreadFields): Record<string, string | number | boolean | null> {
  const a = fieldColumns(before);
  const b = fieldColumns(after);
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) out[k] = v;
  return out;
}
