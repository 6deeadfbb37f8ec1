// The tools a session offers when it is given none: exec_command (with apply_patch) and, unless
// web search is disabled, the hosted web_search tool.
import type { WebSearchMode } from "../config.js";
import { execCommandTool } from "./exec-command.js";
import { ToolRegistry } from "./registry.js";
import { webSearchSpec } from "./web-search.js";

/** Builds the default tools: exec_command (with apply_patch) and, unless disabled, web_search. */
export function defaultToolRegistry(webSearch: WebSearchMode = "cached"): ToolRegistry {
  const r = new ToolRegistry([execCommandTool()]);
  const ws = webSearchSpec(webSearch);
  if (ws) r.registerHosted(ws);
  return r;
}
