// codex_turn_event: the turn's state (its connection and input images from the turn/start answer,
// token usage, resolved config, profile, steer count, interrupt time, tool counts) gathered per
// turn in the thread's state and emitted on turn/completed.
import { addUsage, subtractUsage } from "../../agent/token-usage.js";
import { ACCEPTED_LINES_EVENT, TURN_EVENT, type TrackEvent } from "../events.js";
import type {
  ThreadTokenUsageFact,
  TurnCompletedFact,
  TurnProfileFact,
  TurnResolvedConfigFact,
  TurnStartedFact,
  TurnFailedFact,
  TurnTokenUsageFact,
  TurnTriggerFact,
} from "../facts.js";
import { eventContext, initializedConnection, type ReduceOutput } from "./context.js";
import { ensureThread, ensureTurn, hasPendingItems, type PendingClientRequest, type ReducerState } from "./state.js";
import { computeProfile } from "./profile.js";
import { flushPendingToolEvents } from "./responses.js";
import { errorKind, failureKind } from "./wire-mapping.js";

export function onTurnStartAnswer(s: ReducerState, pending: Extract<PendingClientRequest, { type: "turn_start" }>, turnId: string, connectionId: number): void {
  const t = ensureTurn(s, pending.threadId, turnId);
  t.connectionId = connectionId;
  t.numInputImages = pending.numInputImages;
}

export function onTurnStarted(s: ReducerState, f: TurnStartedFact): void {
  const t = ensureTurn(s, f.threadId, f.turnId);
  t.rootTurnId = f.rootTurnId ?? t.rootTurnId;
  t.startedAt = f.startedAt ?? t.startedAt;
  t.startedAtMs = f.atMs ?? t.startedAtMs;
}

export function onTurnTrigger(s: ReducerState, f: TurnTriggerFact): void {
  ensureTurn(s, f.threadId, f.turnId).trigger = f.trigger;
}

/** Why the turn engine says the turn failed (it names the HTTP status the notification lacks). */
export function onTurnFailed(s: ReducerState, f: TurnFailedFact): void {
  ensureTurn(s, f.threadId, f.turnId).failure = { codexErrorInfo: f.codexErrorInfo, httpStatus: f.httpStatus };
}

/** The critical-path block: Codex 0.169 reports it disabled, every duration null. */
const CRITICAL_PATH_DISABLED = {
  critical_path_status: "disabled",
  critical_path_duration_ms: null,
  critical_path_inference_ms: null,
  critical_path_sampling_ms: null,
  critical_path_compaction_ms: null,
  critical_path_auto_review_ms: null,
  critical_path_auto_review_overhead_ms: null,
  critical_path_user_wait_ms: null,
  critical_path_tools_ms: null,
  critical_path_overhead_ms: null,
  critical_path_unknown_ms: null,
} as const;

const ZERO_USAGE = { input_tokens: 0, cached_input_tokens: 0, cache_write_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0 };

export function onThreadTokenUsage(s: ReducerState, f: ThreadTokenUsageFact): void {
  const th = ensureThread(s, f.threadId);
  const t = th.turns.get(f.turnId);
  // Only a running turn of this thread takes usage; an update for any other turn id is a
  // snapshot (resume, fork) and only moves the thread's running total.
  if (t && !t.emitted && !t.usageExplicit) {
    if (!t.usageBaselineSet) {
      t.usageBaselineSet = true;
      t.usageBaseline = th.lastTotalUsage;
    }
    // With a known baseline the turn used total - baseline; without one (a cold resume with
    // no snapshot), the sum of the per-request `last` usages.
    t.usage = t.usageBaseline ? subtractUsage(f.total, t.usageBaseline) : t.usage ? addUsage(t.usage, f.last) : { ...f.last };
  }
  th.lastTotalUsage = { ...f.total };
}

/** Usage the turn engine reports itself; it wins over thread/tokenUsage/updated. */
export function onTurnTokenUsage(s: ReducerState, f: TurnTokenUsageFact): void {
  const t = ensureTurn(s, f.threadId, f.turnId);
  t.usage = { ...f.usage };
  t.usageExplicit = true;
}

export function onTurnResolvedConfig(s: ReducerState, f: TurnResolvedConfigFact): void {
  ensureTurn(s, f.threadId, f.turnId).resolved = f;
}

export function onTurnProfile(s: ReducerState, f: TurnProfileFact): void {
  ensureTurn(s, f.threadId, f.turnId).profile = f;
}

export function onTurnCompleted(s: ReducerState, f: TurnCompletedFact, out: ReduceOutput): void {
  const th = ensureThread(s, f.threadId);
  const t = ensureTurn(s, f.threadId, f.turnId);
  if (t.emitted) return;
  t.emitted = true;
  // tool events still waiting for a next response go out first, without one
  flushPendingToolEvents(t, out);
  const firstTurn = th.metadata?.initializationMode === "new" && th.turnsCompleted === 0;
  th.turnsCompleted++;
  if (!hasPendingItems(th, f.turnId)) th.turns.delete(f.turnId);
  const ctx = eventContext(s, TURN_EVENT, { thread_id: f.threadId, turn_id: f.turnId }, out, initializedConnection(s, t.connectionId));
  if (!ctx) return;
  const rc = t.resolved;
  const st = th.settings;
  const failed = f.status === "failed";
  const err = !failed ? { kind: null, http: null } : t.failure ? failureKind(t.failure.codexErrorInfo, t.failure.httpStatus) : errorKind(f.codexErrorInfo);
  // a turn that ended on its own reports its usage, zero when no response reported any; an
  // interrupted one only what was reported
  const u = t.usage ?? (f.status === "completed" || failed ? ZERO_USAGE : null);
  const p = t.profile ?? computeProfile(t, f.atMs ?? null);
  const pick = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);
  const total = Object.values(t.counts).reduce((a, b) => a + b, 0) + t.controlCalls;
  out.events.push({
    event_type: TURN_EVENT,
    event_params: {
      ...CRITICAL_PATH_DISABLED,
      thread_id: f.threadId,
      session_id: ctx.lineage.session_id,
      turn_id: f.turnId,
      active_plugin_ids_at_turn_start: [],
      voice_session_id: null,
      root_turn_id: f.rootTurnId ?? t.rootTurnId,
      turn_trigger: t.trigger,
      codex_turn_source: null,
      submission_type: pick(rc?.submissionType, null),
      app_server_client: ctx.lineage.app_server_client,
      runtime: ctx.lineage.runtime,
      ephemeral: ctx.metadata.ephemeral,
      thread_source: ctx.lineage.thread_source,
      initialization_mode: ctx.metadata.initializationMode,
      subagent_source: ctx.lineage.subagent_source,
      parent_thread_id: ctx.lineage.parent_thread_id,
      model: pick(rc?.model, st?.model ?? ctx.metadata.model),
      model_provider: pick(rc?.modelProvider, st?.modelProvider ?? null),
      sandbox_policy: pick(rc?.sandboxPolicy, (st?.sandboxPolicy ?? null) as string | null),
      reasoning_effort: pick(rc?.reasoningEffort, st?.reasoningEffort ?? null),
      reasoning_summary: pick(rc?.reasoningSummary, st?.reasoningSummary ?? "auto"),
      service_tier: pick(rc?.serviceTier, st?.serviceTier ?? null) ?? "default",
      approval_policy: pick(rc?.approvalPolicy, st?.approvalPolicy ?? null),
      approvals_reviewer: pick(rc?.approvalsReviewer, st?.approvalsReviewer ?? null),
      guardian_v2_enabled: false,
      multi_agent_version: "v1",
      sandbox_network_access: pick(rc?.sandboxNetworkAccess, st?.sandboxNetworkAccess ?? false),
      collaboration_mode: pick(rc?.collaborationMode, "default"),
      personality: pick(rc?.personality, null),
      workspace_kind: null,
      num_input_images: t.numInputImages ?? 0,
      image_preparations: [],
      is_first_turn: pick(rc?.isFirstTurn, firstTurn),
      status: f.status === "inProgress" ? null : f.status,
      explicit_client_interrupt_requested_at_ms: t.interruptRequestedAtMs,
      turn_error: f.status === "failed" ? (f.codexErrorInfo ?? null) : null,
      codex_error_kind: err.kind,
      codex_error_http_status_code: err.http,
      usage_limit_window_minutes: null,
      steer_count: t.steerCount,
      total_tool_call_count: total,
      ...t.counts,
      input_tokens: u ? u.input_tokens : null,
      cached_input_tokens: u ? u.cached_input_tokens : null,
      cache_write_input_tokens: u ? u.cache_write_input_tokens : null,
      output_tokens: u ? u.output_tokens : null,
      reasoning_output_tokens: u ? u.reasoning_output_tokens : null,
      total_tokens: u ? u.total_tokens : null,
      before_first_sampling_ms: p?.before_first_sampling_ms ?? null,
      sampling_ms: p?.sampling_ms ?? null,
      compaction_ms: p?.compaction_ms ?? null,
      between_sampling_overhead_ms: p?.between_sampling_overhead_ms ?? null,
      tool_blocking_ms: p?.tool_blocking_ms ?? null,
      after_last_sampling_ms: p?.after_last_sampling_ms ?? null,
      sampling_request_count: p?.sampling_request_count ?? null,
      sampling_retry_count: p?.sampling_retry_count ?? null,
      tools_change_count: p ? ("tools_change_count" in p ? p.tools_change_count : 0) : null,
      duration_ms: f.durationMs,
      started_at: f.startedAt ?? t.startedAt,
      completed_at: f.completedAt,
    },
  });
  const lines = t.acceptedLines;
  if (f.status === "completed" && lines) out.events.push(acceptedLinesEvent(f, lines, pick(rc?.model, st?.model ?? ctx.metadata.model)));
}

/**
 * After a completed turn that applied file changes: how many lines it added and removed.
 * Codex sends no line fingerprints (the list is always empty) and a hash of the git remote,
 * which Spool does not compute (null, as Codex outside a git repository).
 */
function acceptedLinesEvent(f: TurnCompletedFact, lines: { added: number; deleted: number }, model: string | null): TrackEvent {
  return {
    event_type: ACCEPTED_LINES_EVENT,
    event_params: {
      event_type: "codex.accepted_line_fingerprints",
      turn_id: f.turnId,
      thread_id: f.threadId,
      product_surface: "codex",
      model_slug: model,
      completed_at: f.completedAt,
      repo_hash: null,
      accepted_added_lines: lines.added,
      accepted_deleted_lines: lines.deleted,
      line_fingerprints: [],
    },
  };
}
