// Conversions from what a rollout stores to app-server v2 `ThreadItem`s. This is the index: it
// dispatches core `TurnItem`s (inside `item_completed` events) to the converter of their family;
// the converters, and those for the older per-tool event kinds, live in `items-*.ts`.
import type { ThreadItem } from "../protocol/v2.js";
import { withTimes, type O } from "./codex-json.js";
import { coreCommandExecution, coreFileChange } from "./items-commands.js";
import { coreAgentMessage, coreHookPrompt, corePlan, coreReasoning, coreUserMessage } from "./items-messages.js";
import {
  coreCollabAgentToolCall,
  coreContextCompaction,
  coreDynamicToolCall,
  coreImageGeneration,
  coreImageView,
  coreMcpToolCall,
  coreSleep,
  coreSubAgentActivity,
  coreWebSearch,
} from "./items-tools.js";

/** Builds an item's body from a core `TurnItem` and its id; null when Codex cannot read it. */
type CoreConverter = (item: O, id: string) => O | null;

/** Core `TurnItem.type` -> converter. A Map, so that kinds like `constructor` find nothing. */
const CORE_ITEMS = new Map<string, CoreConverter>([
  ["UserMessage", coreUserMessage],
  ["HookPrompt", coreHookPrompt],
  ["AgentMessage", coreAgentMessage],
  ["Plan", corePlan],
  ["Reasoning", coreReasoning],
  ["CommandExecution", coreCommandExecution],
  ["FileChange", coreFileChange],
  ["McpToolCall", coreMcpToolCall],
  ["DynamicToolCall", coreDynamicToolCall],
  ["CollabAgentToolCall", coreCollabAgentToolCall],
  ["SubAgentActivity", coreSubAgentActivity],
  ["WebSearch", coreWebSearch],
  ["ImageView", coreImageView],
  ["Sleep", coreSleep],
  ["ImageGeneration", coreImageGeneration],
  ["ContextCompaction", coreContextCompaction],
]);

/** Converts a core `TurnItem` to a v2 `ThreadItem`; null for kinds Codex cannot read. */
export function coreItemToThreadItem(item: O, startedAtMs: number | null, completedAtMs: number | null): ThreadItem | null {
  const id = item.id;
  if (typeof id !== "string") return null;
  const convert = typeof item.type === "string" ? CORE_ITEMS.get(item.type) : undefined;
  const body = convert ? convert(item, id) : null;
  return body ? withTimes(body, startedAtMs, completedAtMs) : null;
}

/** An item with no payload beyond `extra` (context compaction, review notes, hook prompts). */
export function simpleItem(type: string, id: string, extra: O = {}): ThreadItem {
  return withTimes({ type, id, ...extra }, null, null);
}
