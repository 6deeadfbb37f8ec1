// Tool item events (codex_command_execution_event, codex_file_change_event, …): item/started is
// remembered in the thread's state; item/completed of a tool item whose start was seen builds its
// event with the observed duration and the item's reviews, and counts it on its turn. Control
// tool calls (the goal tools: function calls with no item) come from the turn engine's tool-call
// facts as codex_control_tool_call_event. Either waits for the response after its call
// (responses.ts) before it goes out.
import { CONTROL_TOOL_EVENT } from "../events.js";
import type { ItemCompletedFact, ItemStartedFact, ToolCallFact } from "../facts.js";
import { TOOL_EVENT_TYPES, executionDurationMs, terminalStatus, toolExtras, toolName, turnCounter } from "../tool-items.js";
import { eventContext, initializedConnection, type ReduceOutput } from "./context.js";
import { publishToolEvent } from "./responses.js";
import { ensureThread, ensureTurn, hasPendingItems, itemKey, setCapped, type ReducerState } from "./state.js";
import { commandHead, toolBaseParams } from "./tool-params.js";

/** Function tools without an item of their own, reported as control tool calls. */
export const CONTROL_TOOL_NAMES: ReadonlySet<string> = new Set(["get_goal", "create_goal", "update_goal"]);

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
  if (turn && item.type === "fileChange" && term.status === "completed") {
    const acc = (turn.acceptedLines ??= { added: 0, deleted: 0 });
    acc.added += item.lines.added;
    acc.deleted += item.lines.deleted;
  }
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
  let failure = term.failure;
  if (term.status === "rejected" && review?.finalOutcome === "user_aborted") failure = "approval_aborted";
  const base = toolBaseParams(ctx, {
    threadId: f.threadId,
    turnId: f.turnId,
    rootTurnId: turn?.rootTurnId ?? null,
    itemId: item.id,
    toolName: toolName(item),
    // hosted tools (web search, image generation) are no function call of the model's
    toolEventType: item.type === "webSearch" || item.type === "imageGeneration" ? null : "model_tool_call",
    timing: { startedAtMs: started.startedAtMs, completedAtMs: f.completedAtMs, durationMs, executionDurationMs: executionDurationMs(item, durationMs) },
    terminal: { status: term.status, failure },
    review,
  }, turn?.trigger ?? null);
  const params = { ...commandHead(ctx, th, turn, item, term.status, review), ...base, ...toolExtras(item) };
  publishToolEvent(turn, item.id, { event_type: eventType, event_params: params }, out);
}

export function onToolCallStarted(s: ReducerState, f: ToolCallFact): void {
  const t = ensureTurn(s, f.threadId, f.turnId);
  if (t.toolCalls.size < s.limits.maxPerThread) t.toolCalls.set(f.callId, { name: f.name, startedAtMs: f.atMs });
}

export function onToolCallEnded(s: ReducerState, f: ToolCallFact, out: ReduceOutput): void {
  const th = ensureThread(s, f.threadId);
  const turn = ensureTurn(s, f.threadId, f.turnId);
  const started = turn.toolCalls.get(f.callId);
  turn.toolCalls.delete(f.callId);
  const startedAtMs = started?.startedAtMs ?? f.atMs;
  const durationMs = Math.max(0, f.atMs - startedAtMs);
  turn.toolTimeMs += durationMs;
  if (!CONTROL_TOOL_NAMES.has(f.name)) return; // tools with items report through them
  turn.controlCalls++;
  const ids = { thread_id: f.threadId, turn_id: f.turnId, item_id: f.callId };
  const ctx = eventContext(s, CONTROL_TOOL_EVENT, ids, out, initializedConnection(s, turn.connectionId));
  if (!ctx) return;
  const success = f.success !== false;
  const params = {
    ...toolBaseParams(ctx, {
      threadId: f.threadId,
      turnId: f.turnId,
      rootTurnId: turn.rootTurnId,
      itemId: f.callId,
      toolName: f.name,
      toolEventType: "model_tool_call",
      timing: { startedAtMs, completedAtMs: f.atMs, durationMs, executionDurationMs: durationMs },
      terminal: success ? { status: "completed", failure: null } : { status: "failed", failure: "tool_error" },
      review: th.reviews.get(itemKey(f.turnId, f.callId)),
    }, turn.trigger),
    success,
  };
  publishToolEvent(turn, f.callId, { event_type: CONTROL_TOOL_EVENT, event_params: params }, out);
}
