// The conversation a model request carries: the thread's `response_item`s in order (user and
// assistant messages, reasoning, function calls and their outputs, web searches…), rebuilt from a
// rollout the way Codex resumes a thread: a `compacted` line with a `replacement_history`
// replaces everything before it, and `thread_rolled_back` drops the last N user turns. Payloads
// go to the API as stored, minus Codex's internal bookkeeping field.
import type { Json, JsonObject } from "../rollout/line.js";
import type { RolloutItem } from "../store/types.js";
import { AGENTS_MD_HEADING } from "../context/agents-md.js";
import { usageFromRollout, type TokenUsage } from "./token-usage.js";

/** Response item kinds the model gets back as input. */
const MODEL_INPUT_TYPES = new Set([
  "message",
  "reasoning",
  "function_call",
  "function_call_output",
  "custom_tool_call",
  "custom_tool_call_output",
  "local_shell_call",
  "web_search_call",
  "tool_search_call",
  "tool_search_output",
  "image_generation_call",
  "compaction",
]);

const INTERNAL_FIELDS = ["internal_chat_message_metadata_passthrough"];

/** The API form of a stored response item, or null when it is not model input. */
export function modelInputItem(p: JsonObject): JsonObject | null {
  if (typeof p.type !== "string" || !MODEL_INPUT_TYPES.has(p.type)) return null;
  let out = p;
  for (const f of INTERNAL_FIELDS) {
    if (f in out) {
      out = { ...out };
      delete out[f];
    }
  }
  return out;
}

const textOf = (p: JsonObject): string =>
  (Array.isArray(p.content) ? p.content : [])
    .map((c) => (c && typeof c === "object" && !Array.isArray(c) && typeof c.text === "string" ? c.text : ""))
    .join("");

const partTexts = (p: JsonObject): string[] =>
  (Array.isArray(p.content) ? p.content : []).map((c) => (c && typeof c === "object" && !Array.isArray(c) && typeof c.text === "string" ? c.text.trimStart() : ""));

/** Injected context (`<environment_context>`, `<turn_aborted>`…, the AGENTS.md message), not typed by the user. */
const isInjected = (text: string) => text.startsWith("<") || text.startsWith(AGENTS_MD_HEADING);

/** A user message the user typed (not injected context). */
export function isUserTurnMessage(p: JsonObject): boolean {
  return p.type === "message" && p.role === "user" && !isInjected(textOf(p).trimStart());
}

export class ConversationHistory {
  readonly items: JsonObject[] = [];

  /** From a thread's stored rollout items. */
  static fromRollout(rollout: readonly RolloutItem[]): ConversationHistory {
    const h = new ConversationHistory();
    for (const r of rollout) {
      if (r.type === "response_item") h.record(r.payload);
      else if (r.type === "compacted") {
        const repl = r.payload.replacement_history;
        if (Array.isArray(repl)) {
          h.items.length = 0;
          for (const x of repl) if (x && typeof x === "object" && !Array.isArray(x)) h.record(x as JsonObject);
        } else if (typeof r.payload.message === "string" && r.payload.message !== "") {
          // an older compaction: its summary stands in for the history before it
          h.items.length = 0;
          h.items.push({ type: "message", role: "user", content: [{ type: "input_text", text: r.payload.message }] });
        }
      } else if (r.type === "event_msg" && r.payload.type === "thread_rolled_back" && typeof r.payload.num_turns === "number") h.rollBack(r.payload.num_turns);
    }
    return h;
  }

  record(payload: JsonObject): void {
    const item = modelInputItem(payload);
    if (item) this.items.push(item);
  }

  /** Drops the last `n` user turns (from the n-th last typed user message on). */
  rollBack(n: number): void {
    let left = Math.floor(n);
    for (let i = this.items.length - 1; i >= 0 && left > 0; i--) {
      if (!isUserTurnMessage(this.items[i])) continue;
      left--;
      if (left === 0) this.items.length = i;
    }
  }

  /** After a compaction: the conversation is its replacement history. */
  replace(items: readonly JsonObject[]): void {
    this.items.length = 0;
    for (const x of items) this.record(x);
  }

  hasEnvironmentContext(): boolean {
    return this.items.some((p) => p.type === "message" && p.role === "user" && partTexts(p).some((t) => t.startsWith("<environment_context>")));
  }

  /** The request `input`. */
  input(): Json[] {
    return this.items.slice();
  }
}

/** The thread's token totals so far: the last `token_count` with info in the rollout. */
export function lastTokenTotals(rollout: readonly RolloutItem[]): TokenUsage | null {
  for (let i = rollout.length - 1; i >= 0; i--) {
    const r = rollout[i];
    if (r.type !== "event_msg" || r.payload.type !== "token_count") continue;
    const info = r.payload.info;
    if (!info || typeof info !== "object" || Array.isArray(info)) continue;
    const total = usageFromRollout((info as JsonObject).total_token_usage);
    if (total) return total;
  }
  return null;
}
