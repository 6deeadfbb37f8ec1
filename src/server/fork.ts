// What a fork copies: the source's rollout items, written into the fork's own legacy-mode
// rollout (Codex 0.169.0 replays a legacy file from the JSONL alone, so a cold Codex reads the
// fork with all its turns; a paginated source's `item_completed` items are given the legacy
// events Codex's replay builds items from).
//   - `lastTurnId`: through the end of that turn (up to the next turn start); it must exist and
//     must not be the turn running now;
//   - `beforeTurnId`: everything before that turn;
//   - neither, while a turn runs: everything, then an interruption marker for the running turn.
// The source's session_meta lines and name events are left out (the fork has its own header,
// and its name is set through the store, which also records it in session_index.jsonl).
import type { Json, JsonObject } from "../rollout/line.js";
import type { Turn } from "../protocol/v2.js";
import type { RolloutItem } from "../store/types.js";
import { invalidRequest } from "./errors.js";
import { readRollout } from "../rollout/reader.js";

const MAX_FORK_DEPTH = 64;

/**
 * A thread's logical history: a paginated Codex fork's file starts where its parent's bytes
 * [0, history_base.end_byte_offset) end (recursively), so those come first.
 */
export async function withForkBase(items: RolloutItem[], resolvePath: (threadId: string) => Promise<string | null>, depth = 0): Promise<RolloutItem[]> {
  const meta = items.find((it) => it.type === "session_meta");
  const base = meta?.payload.history_base;
  if (!base || typeof base !== "object" || Array.isArray(base) || depth >= MAX_FORK_DEPTH) return items;
  const parentId = typeof base.thread_id === "string" ? base.thread_id : null;
  const end = typeof base.end_byte_offset === "number" ? base.end_byte_offset : 0;
  if (!parentId || end <= 0) return items;
  const parentPath = await resolvePath(parentId);
  if (!parentPath) return items;
  const parent: RolloutItem[] = [];
  for await (const { line } of readRollout(parentPath, undefined, { end })) parent.push({ type: line.type, payload: line.payload });
  return [...(await withForkBase(parent, resolvePath, depth + 1)), ...items];
}

export interface ForkOptions {
  lastTurnId: string | null;
  beforeTurnId: string | null;
  /** The source's running turn, if any. */
  activeTurnId: string | null;
  /** The items that mark a turn interrupted (`<turn_aborted>` + `turn_aborted`). */
  interruptMarker(turnId: string, startedAt: number): RolloutItem[];
}

const isTurnStart = (it: RolloutItem) => it.type === "event_msg" && (it.payload.type === "task_started" || it.payload.type === "turn_started");

function startIndex(history: readonly RolloutItem[], turnId: string): number {
  return history.findIndex((it) => isTurnStart(it) && it.payload.turn_id === turnId);
}

export function forkHistory(history: readonly RolloutItem[], turns: readonly Turn[], o: ForkOptions): RolloutItem[] {
  let end = history.length;
  const target = o.lastTurnId ?? o.beforeTurnId;
  if (target !== null) {
    if (!turns.some((t) => t.id === target)) throw invalidRequest(`turn not found: ${target}`);
    if (o.lastTurnId !== null && o.lastTurnId === o.activeTurnId) throw invalidRequest(`lastTurnId '${o.lastTurnId}' identifies an in-progress turn`);
    const start = startIndex(history, target);
    if (start < 0) throw invalidRequest(`turn not found: ${target}`);
    if (o.beforeTurnId !== null) end = start;
    else {
      const next = history.findIndex((it, i) => i > start && isTurnStart(it));
      if (next >= 0) end = next;
    }
  }
  const paginated = history.some((it) => it.type === "session_meta" && it.payload.history_mode === "paginated");
  const out: RolloutItem[] = [];
  for (let i = 0; i < end; i++) {
    const it = history[i];
    if (it.type === "session_meta") continue;
    if (it.type === "event_msg" && it.payload.type === "thread_name_updated") continue;
    out.push(it);
    if (paginated && it.type === "event_msg" && it.payload.type === "item_completed") out.push(...legacyEventsFor(it.payload));
  }
  if (target === null && o.activeTurnId !== null) {
    const start = history[startIndex(history, o.activeTurnId)];
    const startedAt = typeof start?.payload.started_at === "number" ? start.payload.started_at : Math.floor(Date.now() / 1000);
    out.push(...o.interruptMarker(o.activeTurnId, startedAt));
  }
  return out;
}

const ev = (payload: JsonObject): RolloutItem => ({ type: "event_msg", payload });
const obj = (v: Json | undefined): JsonObject | null => (v && typeof v === "object" && !Array.isArray(v) ? v : null);
const texts = (parts: Json | undefined, key = "text"): string[] =>
  (Array.isArray(parts) ? parts : []).flatMap((p) => {
    const o = obj(p);
    return o && typeof o[key] === "string" ? [o[key] as string] : [];
  });

/** The legacy events Codex's classic replay builds the item of a paginated `item_completed` from. */
export function legacyEventsFor(payload: JsonObject): RolloutItem[] {
  const item = obj(payload.item);
  if (!item) return [];
  switch (item.type) {
    case "UserMessage": {
      const content = Array.isArray(item.content) ? item.content : [];
      const parts = content.map(obj).filter((p): p is JsonObject => p !== null);
      return [
        ev({
          type: "user_message",
          message: parts.filter((p) => p.type === "text").map((p) => String(p.text ?? "")).join("\n"),
          images: parts.filter((p) => p.type === "image").map((p) => String(p.image_url ?? "")),
          local_images: parts.filter((p) => p.type === "local_image").map((p) => String(p.path ?? "")),
          text_elements: [],
        }),
      ];
    }
    case "AgentMessage":
      return [ev({ type: "agent_message", message: texts(item.content).join(""), phase: typeof item.phase === "string" ? item.phase : null })];
    case "Reasoning":
      return [
        ...(Array.isArray(item.summary_text) ? item.summary_text : []).filter((t): t is string => typeof t === "string").map((text) => ev({ type: "agent_reasoning", text })),
        ...(Array.isArray(item.raw_content) ? item.raw_content : []).filter((t): t is string => typeof t === "string").map((text) => ev({ type: "agent_reasoning_raw_content", text })),
      ];
    case "WebSearch":
      return [ev({ type: "web_search_end", call_id: String(item.id ?? ""), query: typeof item.query === "string" ? item.query : "", action: item.action ?? null })];
    case "FileChange":
      return [
        ev({
          type: "patch_apply_end",
          call_id: String(item.id ?? ""),
          turn_id: typeof payload.turn_id === "string" ? payload.turn_id : "",
          stdout: typeof item.stdout === "string" ? item.stdout : "",
          stderr: typeof item.stderr === "string" ? item.stderr : "",
          success: item.status === "completed",
          changes: item.changes ?? {},
          status: item.status ?? "completed",
        }),
      ];
    default:
      return [];
  }
}
