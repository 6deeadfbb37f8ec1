// Tool item events (codex_command_execution_event, codex_file_change_event, …): item/started is
// remembered in the thread's state; item/completed of a tool item whose start was seen emits its
// event with the observed duration and the item's reviews, and counts it on its turn.
import type { ItemCompletedFact, ItemStartedFact } from "../facts.js";
import { TOOL_EVENT_TYPES, executionDurationMs, terminalStatus, toolExtras, toolName, turnCounter, type ToolItem } from "../tool-items.js";
import { eventContext, initializedConnection, type EventContext, type ReduceOutput } from "./context.js";
import { ensureThread, ensureTurn, hasPendingItems, itemKey, setCapped, type ReducerState, type ReviewSummary } from "./state.js";

export function onItemStarted(s: ReducerState, f: ItemStartedFact): void {
  const th = ensureThread(s, f.threadId);
  ensureTurn(s, f.threadId, f.turnId);
  setCapped(th.items, itemKey(f.turnId, f.item.id), { startedAtMs: f.startedAtMs }, s.limits.maxPerThread);
}

export function onItemCompleted(s: ReducerState, f: ItemCompletedFact, out: ReduceOutput): void {
  const item = f.item;
  const term = terminalStatus(item);
  if (!term) return; // still in progress: nothing to report yet
  const eventType = TOOL_EVENT_TYPES[item.type];
  const th = ensureThread(s, f.threadId);
  const key = itemKey(f.turnId, item.id);
  const turn = th.turns.get(f.turnId);
  if (turn) turn.counts[turnCounter(item)]++;
  const started = th.items.get(key);
  const review = th.reviews.get(key);
  th.items.delete(key);
  th.reviews.delete(key);
  if (turn?.emitted && !hasPendingItems(th, f.turnId)) th.turns.delete(f.turnId);
  const ids = { thread_id: f.threadId, turn_id: f.turnId, item_id: item.id };
  if (!started) {
    out.warnings.push({
      event: eventType,
      missing: "item_started",
      message: `dropping ${eventType}: item ${item.id} of turn ${f.turnId} in thread ${f.threadId} completed without an observed item/started (no lifecycle to time)`,
      ...ids,
    });
    return;
  }
  const ctx = eventContext(s, eventType, ids, out, initializedConnection(s, turn?.connectionId ?? null));
  if (!ctx) return;
  const observed = f.completedAtMs - started.startedAtMs;
  const durationMs = observed >= 0 ? observed : null;
  out.events.push({ event_type: eventType, event_params: toolParams(item, ctx, f, started.startedAtMs, durationMs, term, review, turn?.rootTurnId ?? null) });
}

function toolParams(
  item: ToolItem,
  ctx: EventContext,
  f: ItemCompletedFact,
  startedAtMs: number,
  durationMs: number | null,
  term: NonNullable<ReturnType<typeof terminalStatus>>,
  review: ReviewSummary | undefined,
  rootTurnId: string | null,
): Record<string, unknown> {
  let failure = term.failure;
  if (term.status === "rejected" && review && review.finalOutcome === "user_aborted") failure = "approval_aborted";
  return {
    thread_id: f.threadId,
    session_id: ctx.lineage.session_id,
    turn_id: f.turnId,
    root_turn_id: rootTurnId,
    item_id: item.id,
    cell_id: null,
    parent_call_id: null,
    originating_response_id: null,
    subsequent_response_id: null,
    app_server_client: ctx.lineage.app_server_client,
    runtime: ctx.lineage.runtime,
    thread_source: ctx.lineage.thread_source,
    subagent_source: ctx.lineage.subagent_source,
    parent_thread_id: ctx.lineage.parent_thread_id,
    tool_name: toolName(item),
    started_at_ms: startedAtMs,
    completed_at_ms: f.completedAtMs,
    duration_ms: durationMs,
    execution_duration_ms: executionDurationMs(item, durationMs),
    review_count: review?.reviewCount ?? 0,
    guardian_review_count: review?.guardianReviewCount ?? 0,
    user_review_count: review?.userReviewCount ?? 0,
    final_approval_outcome: review?.finalOutcome ?? "unknown",
    terminal_status: term.status,
    failure_kind: failure,
    requested_additional_permissions: review?.requestedAdditionalPermissions ?? false,
    requested_network_access: review?.requestedNetworkAccess ?? false,
    ...toolExtras(item),
  };
}
