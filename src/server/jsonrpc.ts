// JSON-RPC "lite" framing as Codex speaks it: JSON-RPC 2.0 shapes without the "jsonrpc" member.
export type RequestId = string | number;

export type Incoming =
  | { kind: "request"; id: RequestId; method: string; params: unknown }
  | { kind: "notification"; method: string; params: unknown }
  | { kind: "response"; id: RequestId; result?: unknown; error?: unknown }
  | { kind: "invalid"; id: RequestId | null; reason: string };

// a number id must survive JSON.parse and JSON.stringify unchanged: beyond 2^53 it would not
const isId = (v: unknown): v is RequestId => typeof v === "string" || (typeof v === "number" && Number.isSafeInteger(v));

export function classify(text: string): Incoming {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { kind: "invalid", id: null, reason: `Parse error: ${(e as Error).message}` };
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return { kind: "invalid", id: null, reason: "Invalid request: expected a JSON object" };
  const m = v as Record<string, unknown>;
  const id = "id" in m ? m.id : undefined;
  if (id !== undefined && !isId(id)) return { kind: "invalid", id: null, reason: "Invalid request: id must be a string or an integer between -(2^53-1) and 2^53-1" };
  if (typeof m.method === "string") {
    return id === undefined ? { kind: "notification", method: m.method, params: m.params } : { kind: "request", id, method: m.method, params: m.params };
  }
  if ("method" in m) return { kind: "invalid", id: id ?? null, reason: "Invalid request: method must be a string" };
  if (id !== undefined && ("result" in m || "error" in m)) return { kind: "response", id, result: m.result, error: m.error };
  return { kind: "invalid", id: id ?? null, reason: "Invalid request: not a request, notification or response" };
}

/** A result already serialized (e.g. list rows cached as JSON), written without re-encoding. */
export class RawJson {
  constructor(readonly text: string) {}
}

export function encodeResult(id: RequestId, result: unknown): string {
  const body = result instanceof RawJson ? result.text : JSON.stringify(result ?? {});
  return `{"id":${JSON.stringify(id)},"result":${body}}`;
}

export function encodeError(id: RequestId | null, error: { code: number; message: string; data?: unknown }): string {
  return JSON.stringify({ id, error });
}

/** A notification, stamped like Codex's with the time it was emitted (`emittedAtMs`). */
export function encodeNotification(method: string, params: unknown, emittedAtMs = Date.now()): string {
  return JSON.stringify(params === undefined ? { method, emittedAtMs } : { method, params, emittedAtMs });
}
