// codex_turn_steer_event: a turn/steer accepted (the turn's steer count goes up) or refused (with
// the rejection reason, typed when the server knew it, else read from the error message).
import { TURN_STEER } from "../events.js";
import type { ClientErrorType } from "../protocol.js";
import { eventContext, type ReduceOutput } from "./context.js";
import { ensureTurn, type PendingClientRequest, type ReducerState } from "./state.js";

type PendingSteer = Extract<PendingClientRequest, { type: "turn_steer" }>;

function steerRejection(errorType: ClientErrorType | null, message: string): ClientErrorType | null {
  if (errorType) return errorType;
  if (/no active turn/i.test(message)) return "no_active_turn";
  if (/expected active turn id/i.test(message)) return "expected_turn_mismatch";
  if (/review/i.test(message) && /steer/i.test(message)) return "non_steerable_review";
  if (/compact/i.test(message) && /steer/i.test(message)) return "non_steerable_compact";
  return null;
}

export function onSteerAccepted(s: ReducerState, p: PendingSteer, turnId: string, out: ReduceOutput): void {
  ensureTurn(s, p.threadId, turnId).steerCount++;
  emitSteer(s, p, turnId, null, out);
}

export function onSteerRefused(s: ReducerState, p: PendingSteer, errorType: ClientErrorType | null, message: string, out: ReduceOutput): void {
  emitSteer(s, p, null, steerRejection(errorType, message), out);
}

function emitSteer(s: ReducerState, p: PendingSteer, acceptedTurnId: string | null, rejection: ClientErrorType | null, out: ReduceOutput): void {
  const ctx = eventContext(s, TURN_STEER, { thread_id: p.threadId, ...(p.expectedTurnId ? { turn_id: p.expectedTurnId } : {}) }, out);
  if (!ctx) return;
  out.events.push({
    event_type: TURN_STEER,
    event_params: {
      thread_id: p.threadId,
      session_id: ctx.lineage.session_id,
      expected_turn_id: p.expectedTurnId,
      accepted_turn_id: acceptedTurnId,
      app_server_client: ctx.lineage.app_server_client,
      runtime: ctx.lineage.runtime,
      thread_source: ctx.lineage.thread_source,
      subagent_source: ctx.lineage.subagent_source,
      parent_thread_id: ctx.lineage.parent_thread_id,
      num_input_images: p.numInputImages,
      result: acceptedTurnId !== null ? "accepted" : "rejected",
      rejection_reason: acceptedTurnId !== null ? null : rejection,
      created_at: Math.floor(p.atMs / 1000),
    },
  });
}
