// codex_review_event: approval server requests are held (by request id) until answered or
// aborted; the first terminal signal emits the review and denormalizes it onto the tool item's
// state in the thread, for its tool event (review_count, final_approval_outcome…).
import { REVIEW_EVENT } from "../events.js";
import type { ServerRequestAbortedFact, ServerRequestFact, ServerResponseFact } from "../facts.js";
import type { ApprovalDecision } from "../protocol.js";
import { eventContext, initializedConnection, type ReduceOutput } from "./context.js";
import { ensureThread, itemKey, setCapped, type PendingReview, type ReducerState } from "./state.js";

function decisionOutcome(d: ApprovalDecision): { status: "approved" | "denied" | "aborted"; resolution: string } {
  if (d === "accept") return { status: "approved", resolution: "none" };
  if (d === "acceptForSession") return { status: "approved", resolution: "session_approval" };
  if (d === "decline") return { status: "denied", resolution: "none" };
  if (d === "cancel") return { status: "aborted", resolution: "none" };
  if ("acceptWithExecpolicyAmendment" in d) return { status: "approved", resolution: "exec_policy_amendment" };
  return { status: d.applyNetworkPolicyAmendment.action === "deny" ? "denied" : "approved", resolution: "network_policy_amendment" };
}

function userOutcome(status: string, resolution: string): string {
  if (status === "approved") return resolution === "session_approval" ? "user_approved_for_session" : "user_approved";
  if (status === "denied") return "user_denied";
  return "user_aborted";
}

export function onServerRequest(s: ReducerState, f: ServerRequestFact): void {
  const r = f.request;
  if (r.method === "item/tool/requestUserInput") return; // not a review
  const key = `${typeof r.id}:${String(r.id)}`;
  const existing = s.pendingReviews.get(key);
  if (existing) {
    // A replay (or another targeted copy) of a pending request: same review, one more connection.
    if (!existing.connectionIds.includes(f.connectionId)) existing.connectionIds.push(f.connectionId);
    return;
  }
  const p = r.params;
  let subjectKind: PendingReview["subjectKind"];
  let subjectName: string;
  let trigger: PendingReview["trigger"] = "initial";
  let network = false;
  let extra = false;
  if (r.method === "item/commandExecution/requestApproval") {
    subjectKind = "command_execution";
    subjectName = "command_execution";
    network = r.params.networkApproval;
    extra = r.params.additionalPermissions;
    if (network) trigger = "network_policy_denial";
  } else if (r.method === "item/fileChange/requestApproval") {
    subjectKind = "file_change";
    subjectName = "apply_patch";
  } else {
    subjectKind = "permissions";
    subjectName = "permissions";
    extra = true;
  }
  setCapped(
    s.pendingReviews,
    key,
    {
      reviewId: `user:${String(r.id)}`,
      threadId: p.threadId,
      turnId: p.turnId,
      itemId: p.itemId,
      subjectKind,
      subjectName,
      trigger,
      startedAtMs: p.startedAtMs ?? f.atMs,
      requestedAdditionalPermissions: extra,
      requestedNetworkAccess: network,
      connectionIds: [f.connectionId],
    },
    s.limits.maxPending,
  );
}

function takeReview(s: ReducerState, id: string | number): PendingReview | undefined {
  const key = `${typeof id}:${String(id)}`;
  const r = s.pendingReviews.get(key);
  s.pendingReviews.delete(key);
  return r;
}

export function onServerResponse(s: ReducerState, f: ServerResponseFact, out: ReduceOutput): void {
  const r = f.response;
  if (r.method === "item/tool/requestUserInput") return;
  const review = takeReview(s, r.id);
  if (!review) return; // unknown, or already answered/aborted: the first terminal signal wins
  let outcome: { status: "approved" | "denied" | "aborted"; resolution: string };
  if (r.method === "item/permissions/requestApproval") {
    outcome = !r.result.granted ? { status: "denied", resolution: "none" } : r.result.scope === "session" ? { status: "approved", resolution: "session_approval" } : { status: "approved", resolution: "none" };
  } else {
    outcome = decisionOutcome(r.result.decision);
  }
  finishReview(s, review, outcome.status, outcome.resolution, f.completedAtMs, f.connectionId, out);
}

export function onServerRequestAborted(s: ReducerState, f: ServerRequestAbortedFact, out: ReduceOutput): void {
  const review = takeReview(s, f.requestId);
  if (!review) return;
  finishReview(s, review, "aborted", "none", f.completedAtMs, null, out);
}

function finishReview(s: ReducerState, review: PendingReview, status: string, resolution: string, completedAtMs: number, responder: number | null, out: ReduceOutput): void {
  const th = ensureThread(s, review.threadId);
  if (review.subjectKind === "command_execution" || review.subjectKind === "file_change") {
    const key = itemKey(review.turnId, review.itemId);
    const summary = th.reviews.get(key) ?? { reviewCount: 0, userReviewCount: 0, guardianReviewCount: 0, finalOutcome: "unknown", requestedAdditionalPermissions: false, requestedNetworkAccess: false };
    summary.reviewCount++;
    summary.userReviewCount++;
    summary.finalOutcome = userOutcome(status, resolution);
    summary.requestedAdditionalPermissions ||= review.requestedAdditionalPermissions;
    summary.requestedNetworkAccess ||= review.requestedNetworkAccess;
    setCapped(th.reviews, key, summary, s.limits.maxPerThread);
  }
  // The review carries the client of the connection that answered, when that one initialized.
  const conn = initializedConnection(s, responder);
  const ctx = eventContext(s, REVIEW_EVENT, { thread_id: review.threadId, turn_id: review.turnId, item_id: review.itemId, review_id: review.reviewId }, out, conn);
  if (!ctx) return;
  const duration = completedAtMs - review.startedAtMs;
  out.events.push({
    event_type: REVIEW_EVENT,
    event_params: {
      thread_id: review.threadId,
      turn_id: review.turnId,
      item_id: review.itemId,
      review_id: review.reviewId,
      app_server_client: ctx.lineage.app_server_client,
      runtime: ctx.lineage.runtime,
      thread_source: ctx.lineage.thread_source,
      subagent_source: ctx.lineage.subagent_source,
      parent_thread_id: ctx.lineage.parent_thread_id,
      subject_kind: review.subjectKind,
      subject_name: review.subjectName,
      reviewer: "user",
      trigger: review.trigger,
      status,
      resolution,
      started_at_ms: review.startedAtMs,
      completed_at_ms: completedAtMs,
      duration_ms: duration >= 0 ? duration : null,
    },
  });
}
