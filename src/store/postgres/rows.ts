// spool_threads rows <-> StoredThread: which column holds which field and how values are encoded
// (bigint ms come back from pg as strings, git info is three nullable columns, source is jsonb).
import type { Json } from "../../rollout/line.js";
import type { ThreadFields } from "../memory/semantics.js";
import type { HistoryMode, StoredThread } from "../types.js";

export interface ThreadRow {
  id: string;
  session_id: string;
  forked_from_id: string | null;
  parent_thread_id: string | null;
  preview: string;
  first_user_message: string | null;
  name: string | null;
  model_provider: string;
  model: string | null;
  reasoning_effort: string | null;
  created_at_ms: string;
  updated_at_ms: string;
  recency_at_ms: string;
  archived: boolean;
  archived_at_ms: string | null;
  cwd: string;
  cli_version: string;
  originator: string | null;
  source: Json;
  thread_source: string | null;
  agent_nickname: string | null;
  agent_role: string | null;
  git_sha: string | null;
  git_branch: string | null;
  git_origin_url: string | null;
  history_mode: string;
  tokens_used: string;
  materialized: boolean;
  writer_token: string | null;
}

/** The columns a StoredThread is read from. */
export const THREAD_COLUMNS =
  "id, session_id, forked_from_id, parent_thread_id, preview, first_user_message, name, model_provider, model, reasoning_effort, " +
  "created_at_ms, updated_at_ms, recency_at_ms, archived, archived_at_ms, cwd, cli_version, originator, source, thread_source, " +
  "agent_nickname, agent_role, git_sha, git_branch, git_origin_url, history_mode, tokens_used, materialized, writer_token";

const num = (v: string | number) => Number(v);

export function storedThread(r: ThreadRow): StoredThread {
  const git = r.git_sha === null && r.git_branch === null && r.git_origin_url === null ? null : { sha: r.git_sha, branch: r.git_branch, originUrl: r.git_origin_url };
  return {
    threadId: r.id,
    sessionId: r.session_id,
    forkedFromId: r.forked_from_id,
    parentThreadId: r.parent_thread_id,
    rolloutPath: null,
    preview: r.preview,
    firstUserMessage: r.first_user_message,
    name: r.name,
    modelProvider: r.model_provider,
    model: r.model,
    reasoningEffort: r.reasoning_effort,
    createdAtMs: num(r.created_at_ms),
    updatedAtMs: num(r.updated_at_ms),
    recencyAtMs: num(r.recency_at_ms),
    archivedAtMs: r.archived_at_ms === null ? null : num(r.archived_at_ms),
    cwd: r.cwd,
    cliVersion: r.cli_version,
    originator: r.originator,
    source: r.source,
    threadSource: r.thread_source,
    agentNickname: r.agent_nickname,
    agentRole: r.agent_role,
    gitInfo: git,
    historyMode: r.history_mode as HistoryMode,
    tokensUsed: num(r.tokens_used),
  };
}

/** The metadata fields of a row (what the shared patch function works on). */
export function threadFields(r: ThreadRow): ThreadFields {
  const { threadId: _id, rolloutPath: _path, name: _name, ...fields } = storedThread(r);
  return fields;
}

/** Column -> encoded value of every metadata field (for INSERT, and to diff a patched row). */
export function fieldColumns(f: ThreadFields): Record<string, string | number | boolean | null> {
  return {
    session_id: f.sessionId,
    forked_from_id: f.forkedFromId,
    parent_thread_id: f.parentThreadId,
    preview: f.preview,
    first_user_message: f.firstUserMessage,
    model_provider: f.modelProvider,
    model: f.model,
    reasoning_effort: f.reasoningEffort,
    created_at_ms: f.createdAtMs,
    updated_at_ms: f.updatedAtMs,
    recency_at_ms: f.recencyAtMs,
    archived: f.archivedAtMs !== null,
    archived_at_ms: f.archivedAtMs,
    cwd: f.cwd,
    cli_version: f.cliVersion,
    originator: f.originator,
    source: JSON.stringify(f.source),
    thread_source: f.threadSource,
    agent_nickname: f.agentNickname,
    agent_role: f.agentRole,
    git_sha: f.gitInfo?.sha ?? null,
    git_branch: f.gitInfo?.branch ?? null,
    git_origin_url: f.gitInfo?.originUrl ?? null,
    history_mode: f.historyMode,
    tokens_used: f.tokensUsed,
  };
}

/** The columns whose encoded value differs between two versions of a thread's fields. */
export function changedColumns(before: ThreadFields, after: ThreadFields): Record<string, string | number | boolean | null> {
  const a = fieldColumns(before);
  const b = fieldColumns(after);
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) out[k] = v;
  return out;
}
