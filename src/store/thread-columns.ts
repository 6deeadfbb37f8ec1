// A thread's metadata fields as SQL columns, the same names and encodings in both SQL stores
// (Spool's metadata.sqlite, local/meta-db.ts, and PostgreSQL's spool_threads, postgres/rows.ts):
// snake_case, git info as three nullable columns, source as JSON text. Reading back, integers may
// come as strings (pg bigint) and the caller decodes `source` (SQLite TEXT vs pg jsonb).
import type { Json } from "../rollout/line.js";
import type { ThreadFields } from "./memory/semantics.js";
import type { StoredThread } from "./types.js";

export interface ThreadFieldColumns {
  session_id: string;
  forked_from_id: string | null;
  parent_thread_id: string | null;
  preview: string;
  first_user_message: string | null;
  model_provider: string;
  model: string | null;
  reasoning_effort: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  recency_at_ms: number;
  archived_at_ms: number | null;
  cwd: string;
  cli_version: string;
  originator: string | null;
  /** JSON text */
  source: string;
  thread_source: string | null;
  agent_nickname: string | null;
  agent_role: string | null;
  git_sha: string | null;
  git_branch: string | null;
  git_origin_url: string | null;
  history_mode: string;
  tokens_used: number;
}

type Int = number | string;

/** The columns as a driver returns them (integers possibly as strings; `source` decoded by the caller). */
export type ReadThreadFieldColumns = Omit<ThreadFieldColumns, "created_at_ms" | "updated_at_ms" | "recency_at_ms" | "archived_at_ms" | "tokens_used" | "source"> & {
  created_at_ms: Int;
  updated_at_ms: Int;
  recency_at_ms: Int;
  archived_at_ms: Int | null;
  tokens_used: Int;
};

/** Git info from its three parts: null when all three are. */
export function gitInfoOf(sha: string | null, branch: string | null, originUrl: string | null): StoredThread["gitInfo"] {
  return sha === null && branch === null && originUrl === null ? null : { sha, branch, originUrl };
}

/** Column -> encoded value of every metadata field. */
export function threadFieldColumns(f: ThreadFields): ThreadFieldColumns {
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

/** The metadata fields a row's columns hold, with its decoded `source`. */
export function threadFieldsFromColumns(r: ReadThreadFieldColumns, source: Json): ThreadFields {
  return {
    sessionId: r.session_id,
    forkedFromId: r.forked_from_id,
    parentThreadId: r.parent_thread_id,
    preview: r.preview,
    firstUserMessage: r.first_user_message,
    modelProvider: r.model_provider,
    model: r.model,
    reasoningEffort: r.reasoning_effort,
    createdAtMs: Number(r.created_at_ms),
    updatedAtMs: Number(r.updated_at_ms),
    recencyAtMs: Number(r.recency_at_ms),
    archivedAtMs: r.archived_at_ms === null ? null : Number(r.archived_at_ms),
    cwd: r.cwd,
    cliVersion: r.cli_version,
    originator: r.originator,
    source,
    threadSource: r.thread_source,
    agentNickname: r.agent_nickname,
    agentRole: r.agent_role,
    gitInfo: gitInfoOf(r.git_sha, r.git_branch, r.git_origin_url),
    historyMode: r.history_mode === "paginated" ? "paginated" : "legacy",
    tokensUsed: Number(r.tokens_used),
  };
}
