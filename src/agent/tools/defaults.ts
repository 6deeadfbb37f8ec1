// The tools a session offers when it is given none, in Codex's order: exec_command (with
// apply_patch), request_user_input, view_image and, unless web search is disabled, the hosted
// web_search tool (hosted tools always come last in a request).
import type { WebSearchMode } from "../config.js";
import { execCommandTool } from "./exec-command.js";
import { ToolRegistry } from "./registry.js";
import { webSearchModeFor, webSearchSpec } from "./web-search.js";
import { requestUserInputTool } from "./request-user-input.js";
import { viewImageTool } from "./view-image.js";

/** Builds the default tools: exec_command (with apply_patch) and, unless disabled, web_search. */
export function defaultToolRegistry(webSearch: WebSearchMode | null = null): ToolRegistry {
  const r = new ToolRegistry([execCommandTool(), requestUserInputTool(), viewImageTool()]);
  if (webSearch === null) r.registerHosted("web_search", (s) => webSearchSpec(webSearchModeFor(s.sandboxMode)));
  else {
    const ws = webSearchSpec(webSearch);
    if (ws) r.registerHosted("web_search", ws);
  }
  return r;
}
