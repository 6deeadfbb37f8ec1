// The context a thread-scoped event needs (connection, its initialize, the thread's metadata),
// resolved from the shared state; when a piece is missing the event is dropped with a warning
// naming what was missing and the ids involved.
import type { AppServerClientMetadata, Lineage, TrackEvent } from "../events.js";
import type { ConnectionState, ReducerState, ThreadMetadata } from "./state.js";

export type MissingContext = "thread_connection" | "connection" | "thread_metadata" | "item_started";

export interface AnalyticsWarning {
  /** The event that was dropped. */
  event: string;
  missing: MissingContext;
  message: string;
  thread_id?: string;
  turn_id?: string;
  item_id?: string;
  review_id?: string;
  connection_id?: number;
}

export interface ReduceOutput {
  events: TrackEvent[];
  warnings: AnalyticsWarning[];
}

export interface EventContext {
  lineage: Lineage;
  metadata: ThreadMetadata;
  connectionId: number;
}

type Ids = { thread_id: string; turn_id?: string; item_id?: string; review_id?: string };

/** The connection whose client a thread's events carry: its own, else its nearest ancestor's. */
export function resolveConnection(s: ReducerState, threadId: string): number | null {
  const seen = new Set<string>();
  let id: string | null = threadId;
  while (id !== null && !seen.has(id)) {
    seen.add(id);
    const t = s.threads.get(id);
    if (!t) return null;
    if (t.connectionId !== null) return t.connectionId;
    id = t.metadata?.parentThreadId ?? null;
  }
  return null;
}

export function clientFor(s: ReducerState, threadId: string, conn: ConnectionState): AppServerClientMetadata {
  const originator = s.threads.get(threadId)?.originator;
  return originator ? { ...conn.client, product_client_id: originator } : conn.client;
}

/** `connectionId`, when it names a connection that sent initialize; else null. */
export function initializedConnection(s: ReducerState, connectionId: number | null): number | null {
  return connectionId !== null && s.connections.has(connectionId) ? connectionId : null;
}

/**
 * The context a thread-scoped event needs, or null after a warning naming what is missing.
 * `connectionId` overrides the thread's connection (a turn's own, a review's responder).
 */
export function eventContext(s: ReducerState, event: string, ids: Ids, out: ReduceOutput, connectionId?: number | null): EventContext | null {
  const threadId = ids.thread_id;
  const warn = (missing: MissingContext, message: string, extra: { connection_id?: number } = {}) => {
    out.warnings.push({ event, missing, message: `dropping ${event}: ${message}`, ...ids, ...extra });
    return null;
  };
  const connId = connectionId ?? resolveConnection(s, threadId);
  if (connId === null) return warn("thread_connection", `no connection for thread ${threadId} (no thread/start, thread/resume or thread/fork answer on an initialized connection, and no subagent ancestor with one)`);
  const conn = s.connections.get(connId);
  if (!conn) return warn("connection", `connection ${connId} of thread ${threadId} never sent initialize`, { connection_id: connId });
  const metadata = s.threads.get(threadId)?.metadata;
  if (!metadata) return warn("thread_metadata", `no metadata for thread ${threadId} (its start, resume or fork was not observed)`, { connection_id: connId });
  return {
    connectionId: connId,
    metadata,
    lineage: {
      session_id: metadata.sessionId,
      app_server_client: clientFor(s, threadId, conn),
      runtime: conn.runtime,
      thread_source: metadata.threadSource,
      subagent_source: metadata.subagentSource,
      parent_thread_id: metadata.parentThreadId,
    },
  };
}
