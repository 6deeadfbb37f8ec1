// codex_compaction_event: one per compaction. Spool compacts as Codex does for a non-OpenAI
// provider: a summary request (implementation `responses`), manual ones in a turn of their own
// (`standalone_turn`, reason `user_requested`), automatic ones before a turn's input
// (`pre_turn`, reason `context_limit`), always replacing the history (strategy `memento`).
import { COMPACTION_EVENT } from "../events.js";
import type { CompactionFact } from "../facts.js";
import { eventContext, type ReduceOutput } from "./context.js";
import type { ReducerState } from "./state.js";

export function onCompaction(s: ReducerState, f: CompactionFact, out: ReduceOutput): void {
  const ctx = eventContext(s, COMPACTION_EVENT, { thread_id: f.threadId, turn_id: f.turnId }, out);
  if (!ctx) return;
  const manual = f.trigger === "manual";
  out.events.push({
    event_type: COMPACTION_EVENT,
    event_params: {
      thread_id: f.threadId,
      session_id: ctx.lineage.session_id,
      turn_id: f.turnId,
      app_server_client: ctx.lineage.app_server_client,
      runtime: ctx.lineage.runtime,
      thread_source: ctx.lineage.thread_source,
      subagent_source: ctx.lineage.subagent_source,
      parent_thread_id: ctx.lineage.parent_thread_id,
      trigger: f.trigger,
      reason: manual ? "user_requested" : "context_limit",
      implementation: "responses",
      phase: manual ? "standalone_turn" : "pre_turn",
      strategy: "memento",
      status: "completed",
      codex_error_kind: null,
      codex_error_http_status_code: null,
      active_context_tokens_before: f.tokensBefore,
      active_context_tokens_after: null,
      retained_image_count: null,
      compaction_summary_tokens: null,
      cached_input_tokens: null,
      cache_write_input_tokens: null,
      started_at: Math.floor(f.startedAtMs / 1000),
      completed_at: Math.floor(f.completedAtMs / 1000),
      duration_ms: f.completedAtMs - f.startedAtMs,
    },
  });
}
