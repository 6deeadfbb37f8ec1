// The error a failed turn carries: core `ErrorEvent` fields (snake_case) to a v2 `TurnError`.
import type { Json } from "../rollout/line.js";
import type { TurnError } from "../protocol/v2.js";
import { asStr, camelKeys, pick, snakeToCamel, type O } from "./codex-json.js";

/** Core `CodexErrorInfo` (snake_case) to v2 (camelCase unit variants and bodies). */
export function codexErrorInfo(v: Json | undefined): Json {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return snakeToCamel(v);
  return camelKeys(v);
}

/** The error a failed `task_complete` carries, as a v2 `TurnError`. */
export function turnErrorFrom(e: O): TurnError {
  const mis = pick(e, "misalignment", "misalignment");
  return {
    message: asStr(e.message) ?? "",
    codexErrorInfo: codexErrorInfo(pick(e, "codex_error_info", "codexErrorInfo")),
    additionalDetails: null,
    misalignment: mis === undefined || mis === null ? null : camelKeys(mis),
  };
}
