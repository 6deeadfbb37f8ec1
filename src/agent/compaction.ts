// Context compaction: one model request asks for a handoff summary of the conversation so far,
// then the conversation is replaced by its context blocks, the user's own messages (the newest,
// within a budget) and the summary. Written as Codex 0.169.0 writes it: the summary reply as a
// `response_item`, a `compacted` line carrying `message` (the summary) and `replacement_history`
// (what a resumed engine starts from, see history.ts), and a `contextCompaction` item
// (item/started, item/completed, its `item_completed` event and the legacy `context_compacted`). The turn around it (a
// standalone `thread/compact/start` turn or an automatic one before a request) is the caller's.
import type { ThreadItem } from "../protocol/v2.js";
import type { Json, JsonObject } from "../rollout/line.js";
import type { RolloutItem } from "../store/types.js";
import type { TurnNotification } from "./events.js";
import { isUserTurnMessage, type ConversationHistory } from "./history.js";
import { uuidv7 } from "./ids.js";
import type { ModelClient, ModelRequest } from "./model-client.js";
import * as R from "./rollout-items.js";
import { usageBreakdown, type TokenUsage } from "./token-usage.js";

/** What a compaction needs of the session (kept narrow: no import of session.ts). */
export interface CompactionSession {
  readonly threadId: string;
  readonly settings: { model: string; contextWindow: number };
  readonly tools: { specs(): Json[] };
  tokenUsage(): { last: TokenUsage | null };
  readonly internals: {
    opts: { client: ModelClient; baseInstructions?: string | null };
    conversation: ConversationHistory;
    addUsage(u: TokenUsage): { total: TokenUsage; last: TokenUsage };
  };
}

/** Where the running turn's output goes (turn-output.ts's TurnOutput). */
export interface CompactionOutput {
  readonly turnId: string;
  emit(items: RolloutItem[]): Promise<void>;
  notify(n: TurnNotification): void;
  itemStarted(item: ThreadItem, startedAtMs: number): void;
  itemCompleted(item: ThreadItem, completedAtMs: number): void;
}

/** Our own wording (not Codex's): what the summary request asks the model for. */
export const SUMMARY_REQUEST_TEXT =
  "Write a handoff note so that a fresh session can carry on this work without the conversation above. " +
  "Cover: the goal and the user's requirements, what has been done so far (files touched, commands run, results), " +
  "decisions taken and why, open problems, and the concrete next steps. Be brief and factual.";

/** Our own wording: put before the summary in the rebuilt history so the model knows what it reads. */
export const SUMMARY_HEADER = "Earlier work on this thread was condensed into the handoff note below; continue from it.";

/** How much of the user's own text is kept verbatim (characters; about 20k tokens). */
export const KEPT_USER_TEXT_CHARS = 80_000;

/** Codex's default for `model_auto_compact_token_limit`: 90% of the model's context window. */
export function autoCompactLimit(configured: number | null | undefined, contextWindow: number): number {
  const share = Math.floor((contextWindow * 9) / 10);
  return typeof configured === "number" && configured > 0 ? Math.min(configured, share) : share;
}

const text = (s: string): JsonObject => ({ type: "message", role: "user", content: [{ type: "input_text", text: s }] });

const textOf = (p: JsonObject): string =>
  (Array.isArray(p.content) ? p.content : []).map((c) => (c && typeof c === "object" && !Array.isArray(c) && typeof c.text === "string" ? c.text : "")).join("");

/** Context blocks (developer messages, `<environment_context>`…) the model must keep seeing. */
const isContextBlock = (p: JsonObject): boolean => p.type === "message" && (p.role === "developer" || (p.role === "user" && textOf(p).trimStart().startsWith("<environment_context>")));

/** The conversation after compaction: context blocks, the newest user messages within budget, the summary. */
export function replacementHistory(items: readonly JsonObject[], summaryMessage: string): JsonObject[] {
  const context = items.filter(isContextBlock);
  const users = items.filter(isUserTurnMessage);
  const kept: JsonObject[] = [];
  let left = KEPT_USER_TEXT_CHARS;
  for (let i = users.length - 1; i >= 0 && left > 0; i--) {
    const t = textOf(users[i]);
    if (t.length > left) break;
    left -= t.length;
    kept.unshift(users[i]);
  }
  return [...context, ...kept, text(summaryMessage)];
}

export interface CompactionResult {
  itemId: string;
  summary: string;
  tokensBefore: number;
  startedAtMs: number;
  completedAtMs: number;
}

/** Runs a compaction inside the caller's turn; throws the model's error if the request fails. */
export async function compactConversation(session: CompactionSession, output: CompactionOutput, now: () => number, signal?: AbortSignal): Promise<CompactionResult> {
  const { opts, conversation } = session.internals;
  const itemId = uuidv7();
  const startedAtMs = now();
  const tokensBefore = session.tokenUsage().last?.total_tokens ?? 0;
  output.itemStarted(R.threadItem({ type: "ContextCompaction", id: itemId }, startedAtMs, null), startedAtMs);

  const request: ModelRequest = {
    model: session.settings.model,
    input: [...conversation.input(), text(SUMMARY_REQUEST_TEXT)],
    tools: session.tools.specs(),
    tool_choice: "auto",
    parallel_tool_calls: true,
    store: false,
    prompt_cache_key: session.threadId,
  };
  if (opts.baseInstructions) request.instructions = opts.baseInstructions;
  let summary = "";
  const replies: RolloutItem[] = [];
  for await (const ev of opts.client.stream(request, { signal, threadId: session.threadId })) {
    if (ev.type === "outputItemDone" && ev.item.type === "message" && ev.item.role === "assistant") {
      summary = R.messageText(ev.item);
      replies.push(R.ri(ev.item));
    } else if (ev.type === "completed" && ev.usage) {
      const u = session.internals.addUsage(ev.usage);
      const cw = session.settings.contextWindow;
      await output.emit([...replies.splice(0), R.tokenCount(u.total, u.last, cw)]);
      output.notify({ method: "thread/tokenUsage/updated", params: { threadId: session.threadId, turnId: output.turnId, tokenUsage: { total: usageBreakdown(u.total), last: usageBreakdown(u.last), modelContextWindow: cw } } });
    }
  }
  await output.emit(replies);

  const message = `${SUMMARY_HEADER}\n${summary}`;
  const replacement = replacementHistory(conversation.items, message);
  await output.emit([{ type: "compacted", payload: { message, replacement_history: replacement } }]);
  conversation.replace(replacement);
  const completedAtMs = now();
  const core = { type: "ContextCompaction", id: itemId };
  // `context_compacted` is what a legacy-mode reader (Spool's threads, Codex's legacy replay) shows the item from
  await output.emit([
    R.ev({ type: "item_completed", thread_id: session.threadId, turn_id: output.turnId, item: core, started_at_ms: startedAtMs, completed_at_ms: completedAtMs }),
    R.ev({ type: "context_compacted" }),
  ]);
  output.itemCompleted(R.threadItem(core, startedAtMs, completedAtMs), completedAtMs);
  return { itemId, summary, tokensBefore, startedAtMs, completedAtMs };
}
