// Tool calls correlated with the model responses around them, as Codex reports them: a tool
// event names the response that asked for the call (`originating_response_id`) and the response
// that followed its output (`subsequent_response_id`). So an event whose call came from a known
// response waits in its turn until the next response completes (or the turn ends: then it goes
// out with no subsequent response); a call no response named (a hosted web search) goes out at
// once with both null.
import type { TrackEvent } from "../events.js";
import type { SamplingEndedFact, SamplingStartedFact } from "../facts.js";
import type { ReduceOutput } from "./context.js";
import { ensureTurn, type ReducerState, type TurnState } from "./state.js";

/** Model requests kept per turn (a turn with more keeps correlating against the latest). */
const MAX_SAMPLINGS = 512;

export function onSamplingStarted(s: ReducerState, f: SamplingStartedFact): void {
  const t = ensureTurn(s, f.threadId, f.turnId);
  if (t.emitted) return;
  t.samplings.push({ startedAtMs: f.atMs, endedAtMs: null, attempt: f.attempt, ok: null, responseId: null, callIds: [] });
  if (t.samplings.length > MAX_SAMPLINGS) {
    t.samplings.shift();
    for (const p of t.pending) p.after--; // indices moved down by one
  }
}

export function onSamplingEnded(s: ReducerState, f: SamplingEndedFact, out: ReduceOutput): void {
  const t = ensureTurn(s, f.threadId, f.turnId);
  let span = t.samplings[t.samplings.length - 1];
  if (!span || span.endedAtMs !== null) {
    // its start was not seen: a span of no length
    span = { startedAtMs: f.atMs, endedAtMs: null, attempt: 0, ok: null, responseId: null, callIds: [] };
    t.samplings.push(span);
  }
  span.endedAtMs = f.atMs;
  span.ok = f.ok;
  span.responseId = f.responseId;
  span.callIds = [...f.callIds];
  if (!f.ok) return;
  const index = t.samplings.length - 1;
  const ready = t.pending.filter((p) => p.after < index);
  t.pending = t.pending.filter((p) => p.after >= index);
  for (const p of ready) {
    p.event.event_params.subsequent_response_id = f.responseId;
    out.events.push(p.event);
  }
}

/**
 * Sends a tool event (its params hold `originating_response_id` and `subsequent_response_id`),
 * or keeps it in the turn until the response after its call completes.
 */
export function publishToolEvent(turn: TurnState | undefined, callId: string, event: TrackEvent, out: ReduceOutput): void {
  const spans = turn?.samplings ?? [];
  let origin = -1;
  for (let i = spans.length - 1; i >= 0; i--) {
    if (spans[i].ok && spans[i].callIds.includes(callId)) {
      origin = i;
      break;
    }
  }
  if (origin >= 0 && turn) {
    event.event_params.originating_response_id = spans[origin].responseId;
    const next = spans.slice(origin + 1).find((sp) => sp.ok);
    if (next) event.event_params.subsequent_response_id = next.responseId;
    // waits for the next response, unless the turn is over (none will come)
    else if (!turn.emitted) return void turn.pending.push({ after: origin, event });
  }
  out.events.push(event);
}

/** The turn ended: its waiting tool events go out without a subsequent response. */
export function flushPendingToolEvents(turn: TurnState, out: ReduceOutput): void {
  for (const p of turn.pending) out.events.push(p.event);
  turn.pending = [];
}
