// Client requests and their answers. `initialize` registers a connection; turn/start, turn/steer
// and turn/interrupt are held (by connection and request id) until answered; each answer is
// handed to its event family: thread start/resume/fork to thread-init, turn/start to turns,
// turn/steer (accepted or refused) to steers.
import type { ClientErrorResponseFact, ClientRequestFact, ClientResponseFact, InitializeFact } from "../facts.js";
import { countInputImages } from "../protocol.js";
import type { ReduceOutput } from "./context.js";
import { ensureTurn, requestKey, setCapped, type PendingClientRequest, type ReducerState } from "./state.js";
import { onSteerAccepted, onSteerRefused } from "./steers.js";
import { onThreadSessionAnswer } from "./thread-init.js";
import { onTurnStartAnswer } from "./turns.js";

export function onInitialize(s: ReducerState, f: InitializeFact): void {
  s.connections.set(f.connectionId, {
    client: {
      product_client_id: f.productClientId,
      client_name: f.clientName,
      client_version: f.clientVersion,
      rpc_transport: f.transport,
      experimental_api_enabled: f.experimentalApi,
    },
    runtime: f.runtime,
  });
}

export function onClientRequest(s: ReducerState, f: ClientRequestFact): void {
  const key = requestKey(f.connectionId, f.requestId);
  const r = f.request;
  switch (r.method) {
    case "turn/start":
      setCapped(s.requests, key, { type: "turn_start", threadId: r.params.threadId, numInputImages: countInputImages(r.params.input) }, s.limits.maxPending);
      break;
    case "turn/steer":
      setCapped(
        s.requests,
        key,
        { type: "turn_steer", threadId: r.params.threadId, expectedTurnId: r.params.expectedTurnId, numInputImages: countInputImages(r.params.input), atMs: f.atMs },
        s.limits.maxPending,
      );
      break;
    case "turn/interrupt": {
      if (!r.params.turnId) break;
      // The interrupt answer is held until the turn has completed, so the request time is
      // recorded on the turn now, while its event can still carry it.
      const t = ensureTurn(s, r.params.threadId, r.params.turnId);
      t.interruptRequestedAtMs = t.interruptRequestedAtMs === null ? f.atMs : Math.min(t.interruptRequestedAtMs, f.atMs);
      setCapped(s.requests, key, { type: "turn_interrupt", threadId: r.params.threadId, turnId: r.params.turnId }, s.limits.maxPending);
      break;
    }
  }
}

function takeRequest(s: ReducerState, connectionId: number, requestId: string | number): PendingClientRequest | undefined {
  const key = requestKey(connectionId, requestId);
  const r = s.requests.get(key);
  s.requests.delete(key);
  return r;
}

export function onClientResponse(s: ReducerState, f: ClientResponseFact, out: ReduceOutput): void {
  const r = f.response;
  switch (r.method) {
    case "thread/start":
    case "thread/resume":
    case "thread/fork":
      onThreadSessionAnswer(s, f, r, out);
      return;
    case "turn/start": {
      const pending = takeRequest(s, f.connectionId, f.requestId);
      if (pending?.type !== "turn_start") return;
      onTurnStartAnswer(s, pending, r.result.turn.id, f.connectionId);
      return;
    }
    case "turn/steer": {
      const pending = takeRequest(s, f.connectionId, f.requestId);
      if (pending?.type !== "turn_steer") return;
      onSteerAccepted(s, pending, r.result.turnId, out);
      return;
    }
    case "turn/interrupt":
      takeRequest(s, f.connectionId, f.requestId);
      return;
  }
}

export function onClientError(s: ReducerState, f: ClientErrorResponseFact, out: ReduceOutput): void {
  const pending = takeRequest(s, f.connectionId, f.requestId);
  if (pending?.type !== "turn_steer") return;
  onSteerRefused(s, pending, f.errorType, f.error.message, out);
}
