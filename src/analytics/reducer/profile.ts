// A turn's timing profile (where its time went), computed from its model requests and tool
// calls as the turn engine reported them: before the first request, in requests, between them
// (tool calls blocking the next request, and the rest), after the last one. Compaction never
// runs in Spool (0); the tool list never changes within a turn (0).
import type { TurnProfileFact } from "../facts.js";
import type { TurnState } from "./state.js";

export type TurnProfile = Omit<TurnProfileFact, "kind" | "threadId" | "turnId"> & { tools_change_count: number };

const nonNegative = (n: number) => Math.max(0, Math.round(n));

/** The profile of a turn that ended at `endMs`, or null when none of its requests was seen. */
export function computeProfile(t: TurnState, endMs: number | null): TurnProfile | null {
  const spans = t.samplings;
  if (spans.length === 0) return null;
  const first = spans[0];
  const last = spans[spans.length - 1];
  const end = endMs ?? last.endedAtMs ?? last.startedAtMs;
  let sampling = 0;
  let between = 0;
  for (let i = 0; i < spans.length; i++) {
    const sp = spans[i];
    sampling += (sp.endedAtMs ?? end) - sp.startedAtMs;
    if (i > 0) between += sp.startedAtMs - (spans[i - 1].endedAtMs ?? sp.startedAtMs);
  }
  const toolBlocking = Math.min(t.toolTimeMs, Math.max(0, between));
  return {
    before_first_sampling_ms: nonNegative(first.startedAtMs - (t.startedAtMs ?? first.startedAtMs)),
    sampling_ms: nonNegative(sampling),
    compaction_ms: 0,
    between_sampling_overhead_ms: nonNegative(between - toolBlocking),
    tool_blocking_ms: nonNegative(toolBlocking),
    after_last_sampling_ms: nonNegative(end - (last.endedAtMs ?? end)),
    sampling_request_count: spans.filter((sp) => sp.attempt === 0).length,
    sampling_retry_count: spans.filter((sp) => sp.attempt > 0).length,
    tools_change_count: 0,
  };
}
