// The fields every tool event carries (Codex's tool-event base): ids, lineage, timing, reviews,
// terminal status; plus what only command executions carry (the sandbox that ran the command,
// the model and reasoning effort of the turn).
import type { FailureKind, TerminalStatus, ToolItem } from "../tool-items.js";
import type { EventContext } from "./context.js";
import type { ReviewSummary, ThreadState, TurnState } from "./state.js";

export interface ToolTiming {
  startedAtMs: number;
  completedAtMs: number;
  durationMs: number | null;
  executionDurationMs: number | null;
}

export interface ToolBase {
  threadId: string;
  turnId: string;
  rootTurnId: string | null;
  itemId: string;
  toolName: string;
  /** `model_tool_call` for calls the model made through a function tool; null for hosted tools (web search). */
  toolEventType: "model_tool_call" | null;
  timing: ToolTiming;
  terminal: { status: TerminalStatus; failure: FailureKind | null };
  review: ReviewSummary | undefined;
}

/** Tool events name a server-started turn's trigger first, and leave the key out otherwise (as Codex). */
export function toolBaseParams(ctx: EventContext, b: ToolBase, trigger: string | null = null): Record<string, unknown> {
  return {
    ...(trigger !== null ? { turn_trigger: trigger } : {}),
    thread_id: b.threadId,
    session_id: ctx.lineage.session_id,
    turn_id: b.turnId,
    root_turn_id: b.rootTurnId,
    item_id: b.itemId,
    cell_id: null,
    parent_call_id: null,
    originating_response_id: null,
    subsequent_response_id: null,
    app_server_client: ctx.lineage.app_server_client,
    runtime: ctx.lineage.runtime,
    thread_source: ctx.lineage.thread_source,
    subagent_source: ctx.lineage.subagent_source,
    parent_thread_id: ctx.lineage.parent_thread_id,
    tool_name: b.toolName,
    tool_event_type: b.toolEventType,
    started_at_ms: b.timing.startedAtMs,
    completed_at_ms: b.timing.completedAtMs,
    duration_ms: b.timing.durationMs,
    execution_duration_ms: b.timing.executionDurationMs,
    review_count: b.review?.reviewCount ?? 0,
    guardian_review_count: b.review?.guardianReviewCount ?? 0,
    user_review_count: b.review?.userReviewCount ?? 0,
    final_approval_outcome: b.review?.finalOutcome ?? "unknown",
    terminal_status: b.terminal.status,
    failure_kind: b.terminal.failure,
    requested_additional_permissions: b.review?.requestedAdditionalPermissions ?? false,
    requested_network_access: b.review?.requestedNetworkAccess ?? false,
  };
}

/** The platform sandbox of a runtime (`runtime_os`), as Codex names it. */
function platformSandbox(os: string): string | null {
  if (os === "linux") return "seccomp";
  if (os === "macos") return "seatbelt";
  return null;
}

/**
 * The sandbox a command ran in: null when it never ran (declined), `none` when it ran outside one
 * (approved escalation, or a full-access / external sandbox policy), else the platform's. From the
 * thread's settings until the sandbox reports its own backend.
 */
export function sandboxBackend(ctx: EventContext, th: ThreadState, turn: TurnState | undefined, status: TerminalStatus, review: ReviewSummary | undefined): string | null {
  if (status === "rejected") return null;
  if (review && (review.finalOutcome === "user_approved" || review.finalOutcome === "user_approved_for_session")) return "none";
  const policy = turn?.resolved?.sandboxPolicy ?? th.settings?.sandboxPolicy ?? null;
  if (policy === "full_access" || policy === "external_sandbox") return "none";
  return platformSandbox(ctx.lineage.runtime.runtime_os);
}

/** The fields only command execution events carry, first in Codex's events. */
export function commandHead(ctx: EventContext, th: ThreadState, turn: TurnState | undefined, item: ToolItem, status: TerminalStatus, review: ReviewSummary | undefined): Record<string, unknown> {
  if (item.type !== "commandExecution") return {};
  const rc = turn?.resolved;
  return {
    sandbox_backend: sandboxBackend(ctx, th, turn, status, review),
    model_slug: rc?.model ?? th.settings?.model ?? ctx.metadata.model,
    reasoning_effort: rc?.reasoningEffort !== undefined ? rc.reasoningEffort : (th.settings?.reasoningEffort ?? null),
  };
}
