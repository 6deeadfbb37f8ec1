// thread/archived and thread/unarchived: codex_thread_archive_event, always emitted; the context
// blocks are left out (not null) when unknown. thread/closed emits nothing and forgets the
// thread's turn, item and review state.
import { ARCHIVE_REPORTED_SOURCES, THREAD_ARCHIVE } from "../events.js";
import type { ThreadLifecycleFact } from "../facts.js";
import { clientFor, resolveConnection, type ReduceOutput } from "./context.js";
import type { ReducerState } from "./state.js";

export function onThreadLifecycle(s: ReducerState, f: ThreadLifecycleFact, out: ReduceOutput): void {
  const th = s.threads.get(f.threadId);
  if (f.action === "closed") {
    if (th) {
      th.turns.clear();
      th.items.clear();
      th.reviews.clear();
    }
    return;
  }
  // Always emitted: the context blocks are left out (not null) when unknown.
  const params: Record<string, unknown> = { thread_id: f.threadId, action: f.action, occurred_at_ms: f.atMs };
  const connId = resolveConnection(s, f.threadId);
  const conn = connId !== null ? s.connections.get(connId) : undefined;
  if (conn) {
    params.app_server_client = clientFor(s, f.threadId, conn);
    params.runtime = conn.runtime;
  }
  const md = th?.metadata;
  if (md?.threadSource && ARCHIVE_REPORTED_SOURCES.has(md.threadSource)) params.thread_source = md.threadSource;
  if (md?.parentThreadId) params.parent_thread_id = md.parentThreadId;
  out.events.push({ event_type: THREAD_ARCHIVE, event_params: params });
}
