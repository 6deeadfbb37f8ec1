// codex_goal_event: one per goal fact (created, usage_accounted with cumulative tokens and
// seconds, status_changed, cleared with a null turn).
import { GOAL_EVENT } from "../events.js";
import type { GoalFact } from "../facts.js";
import { eventContext, type ReduceOutput } from "./context.js";
import type { ReducerState } from "./state.js";

export function onGoal(s: ReducerState, f: GoalFact, out: ReduceOutput): void {
  const ctx = eventContext(s, GOAL_EVENT, { thread_id: f.threadId, ...(f.turnId ? { turn_id: f.turnId } : {}) }, out);
  if (!ctx) return;
  const usage = f.eventKind === "usage_accounted";
  out.events.push({
    event_type: GOAL_EVENT,
    event_params: {
      thread_id: f.threadId,
      session_id: ctx.lineage.session_id,
      turn_id: f.eventKind === "cleared" ? null : f.turnId,
      app_server_client: ctx.lineage.app_server_client,
      runtime: ctx.lineage.runtime,
      thread_source: ctx.lineage.thread_source,
      subagent_source: ctx.lineage.subagent_source,
      parent_thread_id: ctx.lineage.parent_thread_id,
      goal_id: f.goalId,
      event_kind: f.eventKind,
      goal_status: f.goalStatus,
      has_token_budget: f.hasTokenBudget,
      cumulative_tokens_accounted: usage ? (f.cumulativeTokensAccounted ?? null) : null,
      cumulative_time_accounted_seconds: usage ? (f.cumulativeTimeAccountedSeconds ?? null) : null,
    },
  });
}
