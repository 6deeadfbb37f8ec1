// The analytics reducer: facts in, events (and warnings) out. Pure: no clock, no I/O, no
// randomness; the same facts always give the same events, so it is tested by feeding facts.
//
// It owns ONE map of per-thread state, shared by every event family: the thread's connection
// and originator (whose client and runtime its events carry), its metadata (session, source,
// subagent parent, how it was initialized), its effective settings, and the turn, item and
// review state of that thread. Connections (from `initialize`), pending client requests and
// pending server requests are the only other maps: they are keyed by connection and request,
// not by thread. All of it is one `ReducerState` (reducer/state.ts); each event family
// (reducer/*.ts) is a set of handlers that take that state explicitly.
//
// Context rules (after Codex's reducer):
//   - a thread-scoped event needs a connection for the thread (its own, or its nearest subagent
//     ancestor's), that connection's initialize, and the thread's metadata; when one is missing
//     the event is dropped with a warning naming what was missing and the ids involved;
//   - a thread/start|resume|fork answer on a connection that never initialized registers
//     nothing and emits nothing (silently, as Codex does);
//   - archive events are always emitted; their context blocks are left out when unknown;
//   - subagent threads carry their own lineage (session, sources, parent) but their ancestor
//     connection's client and runtime; the ancestor is resolved when an event is built, so a
//     child registered before its parent's thread/start still resolves later.
import type { AnalyticsFact } from "./facts.js";
import { onClientError, onClientRequest, onClientResponse, onInitialize } from "./reducer/client-requests.js";
import type { ReduceOutput } from "./reducer/context.js";
import { onGoal } from "./reducer/goal-events.js";
import { onCompaction } from "./reducer/compaction-events.js";
import { onServerRequest, onServerRequestAborted, onServerResponse } from "./reducer/reviews.js";
import { newReducerState, type ReducerLimits, type ReducerState, type ThreadState } from "./reducer/state.js";
import { onSubagentStarted } from "./reducer/thread-init.js";
import { onThreadLifecycle } from "./reducer/thread-lifecycle.js";
import { onSamplingEnded, onSamplingStarted } from "./reducer/responses.js";
import { onItemCompleted, onItemStarted, onToolCallEnded, onToolCallStarted } from "./reducer/tool-events.js";
import { onThreadTokenUsage, onTurnCompleted, onTurnFailed, onTurnProfile, onTurnResolvedConfig, onTurnStarted, onTurnTokenUsage, onTurnTrigger } from "./reducer/turns.js";

export type { AnalyticsWarning, MissingContext, ReduceOutput } from "./reducer/context.js";
export type { ReducerLimits, ThreadState } from "./reducer/state.js";
export { subagentOf, threadSourceName } from "./reducer/wire-mapping.js";

export class AnalyticsReducer {
  /** The one map of per-thread state, and the maps by connection and request. */
  private readonly state: ReducerState;

  constructor(limits: Partial<ReducerLimits> = {}) {
    this.state = newReducerState(limits);
  }

  /** Folds one fact in; appends the events it completes (and any warnings) to `out`. */
  ingest(fact: AnalyticsFact, out: ReduceOutput = { events: [], warnings: [] }): ReduceOutput {
    const s = this.state;
    switch (fact.kind) {
      case "initialize":
        onInitialize(s, fact);
        break;
      case "client_request":
        onClientRequest(s, fact);
        break;
      case "client_response":
        onClientResponse(s, fact, out);
        break;
      case "client_error_response":
        onClientError(s, fact, out);
        break;
      case "server_request":
        onServerRequest(s, fact);
        break;
      case "server_response":
        onServerResponse(s, fact, out);
        break;
      case "server_request_aborted":
        onServerRequestAborted(s, fact, out);
        break;
      case "thread_lifecycle":
        onThreadLifecycle(s, fact, out);
        break;
      case "turn_started":
        onTurnStarted(s, fact);
        break;
      case "turn_completed":
        onTurnCompleted(s, fact, out);
        break;
      case "thread_token_usage":
        onThreadTokenUsage(s, fact);
        break;
      case "turn_token_usage":
        onTurnTokenUsage(s, fact);
        break;
      case "turn_resolved_config":
        onTurnResolvedConfig(s, fact);
        break;
      case "turn_profile":
        onTurnProfile(s, fact);
        break;
      case "item_started":
        onItemStarted(s, fact);
        break;
      case "item_completed":
        onItemCompleted(s, fact, out);
        break;
      case "subagent_thread_started":
        onSubagentStarted(s, fact, out);
        break;
      case "goal":
        onGoal(s, fact, out);
        break;
      case "compaction":
        onCompaction(s, fact, out);
        break;
      case "sampling_started":
        onSamplingStarted(s, fact);
        break;
      case "sampling_ended":
        onSamplingEnded(s, fact, out);
        break;
      case "tool_call_started":
        onToolCallStarted(s, fact);
        break;
      case "tool_call_ended":
        onToolCallEnded(s, fact, out);
        break;
      case "turn_failed":
        onTurnFailed(s, fact);
        break;
      case "turn_trigger":
        onTurnTrigger(s, fact);
        break;
    }
    return out;
  }

  /** A read-only look at a thread's state (tests, debugging). */
  thread(threadId: string): Readonly<ThreadState> | undefined {
    return this.state.threads.get(threadId);
  }

  get sizes(): { connections: number; threads: number; pendingRequests: number; pendingReviews: number } {
    const s = this.state;
    return { connections: s.connections.size, threads: s.threads.size, pendingRequests: s.requests.size, pendingReviews: s.pendingReviews.size };
  }
}
