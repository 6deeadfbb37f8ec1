// codex_thread_initialized: a thread/start, thread/resume or thread/fork answer registers the
// thread (its connection, originator, metadata and settings) and publishes it; a subagent start
// registers the child's own lineage and publishes it without an initialize (in-process client).
import { THREAD_INITIALIZED } from "../events.js";
import type { ClientResponseFact, SubagentThreadStartedFact } from "../facts.js";
import type { ClientResponse } from "../protocol.js";
import { eventContext, resolveConnection, type ReduceOutput } from "./context.js";
import { ensureThread, type ReducerState } from "./state.js";
import { settingsFrom, subagentOf, threadSourceName } from "./wire-mapping.js";

type ThreadSessionAnswer = Extract<ClientResponse, { method: "thread/start" | "thread/resume" | "thread/fork" }>;

export function onThreadSessionAnswer(s: ReducerState, f: ClientResponseFact, r: ThreadSessionAnswer, out: ReduceOutput): void {
  // Codex registers nothing for a connection that never initialized.
  if (!s.connections.has(f.connectionId)) return;
  const th = r.result.thread;
  const state = ensureThread(s, th.id);
  const subagent = subagentOf(th.source);
  state.connectionId = f.connectionId;
  if (f.threadOriginator) state.originator = f.threadOriginator;
  state.metadata = {
    sessionId: th.sessionId,
    threadSource: threadSourceName(th.threadSource, th.source),
    initializationMode: r.method === "thread/start" ? "new" : r.method === "thread/resume" ? "resumed" : "forked",
    subagentSource: subagent?.name ?? null,
    parentThreadId: th.parentThreadId ?? subagent?.parentThreadId ?? null,
    forkedFromThreadId: th.forkedFromId,
    model: r.result.model ?? th.model,
    ephemeral: th.ephemeral,
  };
  state.settings = settingsFrom(r.result);
  const ctx = eventContext(s, THREAD_INITIALIZED, { thread_id: th.id }, out);
  if (!ctx) return;
  out.events.push({
    event_type: THREAD_INITIALIZED,
    event_params: {
      thread_id: th.id,
      session_id: ctx.metadata.sessionId,
      app_server_client: ctx.lineage.app_server_client,
      runtime: ctx.lineage.runtime,
      model: ctx.metadata.model ?? "",
      ephemeral: ctx.metadata.ephemeral,
      // whether the thread's cwd is a git worktree: Spool does not look (Codex: null outside git)
      is_worktree: null,
      thread_source: ctx.metadata.threadSource,
      initialization_mode: ctx.metadata.initializationMode,
      subagent_source: ctx.metadata.subagentSource,
      parent_thread_id: ctx.metadata.parentThreadId,
      forked_from_thread_id: ctx.metadata.forkedFromThreadId,
      created_at: th.createdAt,
    },
  });
}

export function onSubagentStarted(s: ReducerState, f: SubagentThreadStartedFact, out: ReduceOutput): void {
  const th = ensureThread(s, f.threadId);
  th.originator = f.productClientId;
  th.metadata = {
    sessionId: f.sessionId,
    threadSource: f.threadSource ?? (f.subagentSource === "memory_consolidation" ? "memory_consolidation" : "subagent"),
    initializationMode: "new",
    subagentSource: f.subagentSource,
    parentThreadId: f.parentThreadId,
    forkedFromThreadId: f.forkedFromThreadId,
    model: f.model,
    ephemeral: f.ephemeral,
  };
  if (th.connectionId === null && f.parentThreadId !== null) th.connectionId = resolveConnection(s, f.parentThreadId);
  // Published without an initialize: the subagent's own client is in-process. Without a
  // client name and version (lineage registered early) there is nothing to publish yet.
  if (f.clientName === null || f.clientVersion === null) return;
  out.events.push({
    event_type: THREAD_INITIALIZED,
    event_params: {
      thread_id: f.threadId,
      session_id: f.sessionId,
      app_server_client: { product_client_id: f.productClientId, client_name: f.clientName, client_version: f.clientVersion, rpc_transport: "in_process", experimental_api_enabled: null },
      runtime: f.runtime,
      model: f.model,
      ephemeral: f.ephemeral,
      is_worktree: null,
      thread_source: th.metadata.threadSource,
      initialization_mode: "new",
      subagent_source: f.subagentSource,
      parent_thread_id: f.parentThreadId,
      forked_from_thread_id: f.forkedFromThreadId,
      created_at: f.createdAt,
    },
  });
}
