// The Codex rollout line: `{timestamp, ordinal?, type, payload}`, one JSON object per line.
// Payloads stay loosely typed JSON: Codex adds fields every release and readers must pass
// through what they do not understand.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const KNOWN_LINE_TYPES = [
  "session_meta",
  "response_item",
  "event_msg",
  "turn_context",
  "compacted",
  "world_state",
  "token_usage_record",
  "inter_agent_communication",
  "inter_agent_communication_metadata",
  "rollout_reference",
] as const;
export type KnownLineType = (typeof KNOWN_LINE_TYPES)[number];
const known = new Set<string>(KNOWN_LINE_TYPES);

export interface RolloutLine {
  timestamp: string;
  /** Present only in `paginated` history mode (Codex >= 0.1xx). */
  ordinal?: number;
  type: KnownLineType;
  payload: JsonObject;
}

export type ParseOutcome =
  | { kind: "line"; line: RolloutLine }
  | { kind: "unknown"; type: string }
  | { kind: "malformed"; reason: string };

/** Parses one JSONL line; never throws. */
export function parseRolloutLine(text: string): ParseOutcome {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { kind: "malformed", reason: (e as Error).message };
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return { kind: "malformed", reason: "not an object" };
  const o = v as Record<string, unknown>;
  if (typeof o.type !== "string") return { kind: "malformed", reason: "no type" };
  if (!known.has(o.type)) return { kind: "unknown", type: o.type };
  if (!o.payload || typeof o.payload !== "object" || Array.isArray(o.payload)) return { kind: "malformed", reason: "no payload" };
  if (o.type === "turn_context" && !readableTurnContext(o.payload as JsonObject)) return { kind: "malformed", reason: "turn_context sandbox_policy has no type tag" };
  return { kind: "line", line: o as unknown as RolloutLine };
}

/**
 * Codex <= 0.50 tagged `sandbox_policy` with "mode"; Codex 0.169 cannot decode such a
 * turn_context and skips the whole line, so Spool does too (its model never shows).
 */
function readableTurnContext(p: JsonObject): boolean {
  const sp = p.sandbox_policy;
  return !(sp && typeof sp === "object" && !Array.isArray(sp) && !("type" in sp));
}

/** Session meta as written by Codex (only the fields Spool reads are named). */
export interface SessionMetaPayload extends JsonObject {
  id: string;
  timestamp: string;
}

export const str = (v: Json | undefined): string | null => (typeof v === "string" ? v : null);
export const num = (v: Json | undefined): number | null => (typeof v === "number" ? v : null);
export const obj = (v: Json | undefined): JsonObject | null =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : null;
export const arr = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
