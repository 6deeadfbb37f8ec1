// web_search is hosted: the model runs it and its `web_search_call` output item is recorded (a
// webSearch item), never executed here. Config `web_search`: "cached" (Codex's default, no live
// fetches), "live", or "disabled" (not offered).
import type { JsonObject } from "../../rollout/line.js";
import type { SandboxMode, WebSearchMode } from "../config.js";

/** Codex's default when config.toml sets no `web_search`: live web access only without a sandbox. */
export const webSearchModeFor = (sandboxMode: SandboxMode): WebSearchMode => (sandboxMode === "danger-full-access" ? "live" : "cached");

export function webSearchSpec(mode: WebSearchMode): JsonObject | null {
  if (mode === "disabled") return null;
  return { type: "web_search", external_web_access: mode === "live" };
}
