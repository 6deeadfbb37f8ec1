// Codex 0.169.0's legacy replay rules (see legacy-replay.ts for what they are), written once over
// where the turns and items live (`LegacyTurnStore`): the history reducer keeps them in memory
// (legacy-replay.ts), the projection reducer in its tables with only the open turn in its resume
// state (src/projections/legacy-mode.ts). This file decides which turn each converted item lands
// in and when a turn opens, ends or is dropped; the stores decide how that is recorded.
import type { Json, JsonObject, RolloutLine } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { asNum, asStr, isObj } from "./codex-json.js";
import { legacyLineCounts, spoolLegacyItem } from "./codex-lines.js";
import { coreItemToThreadItem, simpleItem } from "./items.js";
import { legacyPatchApplyEnd } from "./items-commands.js";
import { enteredReviewText, exitedReviewText, legacyAgentMessage, legacyUserMessage, parseHookPrompt, reasoningItem } from "./items-messages.js";
import { legacyImageGenerationEnd, legacyMcpToolCallEnd, legacyWebSearchEnd } from "./items-tools.js";
import { turnErrorFrom } from "./turn-error.js";
import { notePendingId, withPendingId, type PendingIds } from "./spool-ids.js";
import type { TurnFields } from "./turn-records.js";

/** Where a legacy replay's turns and items live. `T` is a turn record. */
export interface LegacyTurnStore<T extends TurnFields> {
  /** Spool's mark on the thread's own session_meta (null until seen) */
  readonly spoolItems: boolean | null;
  /** A marked thread's `item_completed` lines waiting for their legacy items (spool-ids.ts). */
  readonly pendingIds: PendingIds;
  /** The index of the next kept line (names implicit turns); advances it. */
  takeLineIndex(): number;
  /** The next `item-N` id. */
  nextItemId(): string;
  /** The id a hook prompt without one gets. */
  hookPromptId(ordinal: number, index: number): string;
  turnId(t: T): string;

  /** The open turn, if any. */
  current(): T | null;
  /** The open turn, or a new implicit one named `rollout-<index>`. */
  ensureCurrent(index: number, ordinal: number): T;
  /** Opens an explicit turn (the previous one is already finished). */
  openExplicit(turnId: string, ordinal: number, rootTurnId: string | null, startedAt: number | null): void;
  /** Ends the open turn: kept if Codex keeps it, else dropped. */
  finishCurrent(): void;
  /** The first finished (kept) turn with this id. */
  findDone(turnId: string): T | null;
  /** Whether the open turn was opened explicitly, saw compaction, has items of Codex's replay. */
  explicit(t: T): boolean;
  sawCompaction(t: T): boolean;
  hasCodexItems(t: T): boolean;
  /** Marks the turn as having seen a `compacted` line. */
  markCompaction(t: T): void;
  /** Changes a turn's fields (`change` does) and records it. */
  changeTurn(t: T, ordinal: number, reason: Json | undefined, change: () => void): void;
  /** Drops the last `n` finished turns (the open one is already finished) and recounts item ids. */
  rollback(n: number, ordinal: number): void;

  /** The turn's last item of Codex's replay, when that is a reasoning item. */
  lastReasoning(t: T): ThreadItem | null;
  /** Replaces that reasoning item. */
  replaceLastReasoning(t: T, item: ThreadItem): void;
  /** Appends an item. */
  pushItem(t: T, item: ThreadItem, ordinal: number): void;
  /**
   * An item whose id the turn already has replaces that one in place, keeping its ordinal; but
   * Spool's extension items never replace Codex's, and give way to them (codex-lines.ts).
   */
  upsertItem(t: T, item: ThreadItem, ordinal: number): void;
}

/** Feeds a line; lines Codex's replay would not keep change nothing. */
export function feedLegacyLine<T extends TurnFields>(st: LegacyTurnStore<T>, line: RolloutLine, ordinal: number): void {
  if (!legacyLineCounts(line)) {
    if (st.spoolItems !== true) return;
    if (notePendingId(st.pendingIds, line)) return;
    const extra = spoolLegacyItem(line);
    if (extra) upsertInTurnId(st, extra.turnId, extra.item, ordinal);
    return;
  }
  const index = st.takeLineIndex();
  const p = line.payload;
  switch (line.type) {
    case "compacted":
      st.markCompaction(st.ensureCurrent(index, ordinal));
      return;
    case "response_item": {
      const hook = parseHookPrompt(p);
      if (!hook) return;
      const t = st.ensureCurrent(index, ordinal);
      st.pushItem(t, simpleItem("hookPrompt", hook.id ?? st.hookPromptId(ordinal, index), { fragments: hook.fragments }), ordinal);
      return;
    }
    case "event_msg":
      legacyEvent(st, p, index, ordinal);
      return;
    default:
      return;
  }
}

function legacyEvent<T extends TurnFields>(st: LegacyTurnStore<T>, p: JsonObject, index: number, ordinal: number): void {
  switch (p.type) {
    case "user_message": {
      const c = st.current();
      if (c && !st.explicit(c) && !(st.sawCompaction(c) && !st.hasCodexItems(c))) st.finishCurrent();
      const t = st.ensureCurrent(index, ordinal);
      st.pushItem(t, stable(st, t, legacyUserMessage(st.nextItemId(), p)), ordinal);
      return;
    }
    case "agent_message": {
      if (!p.message) return;
      const t = st.ensureCurrent(index, ordinal);
      st.pushItem(t, stable(st, t, legacyAgentMessage(st.nextItemId(), p)), ordinal);
      return;
    }
    case "agent_reasoning":
    case "agent_reasoning_raw_content": {
      const text = asStr(p.text);
      if (!text) return;
      const raw = p.type === "agent_reasoning_raw_content";
      const t = st.ensureCurrent(index, ordinal);
      const r = st.lastReasoning(t);
      if (r) {
        // consecutive reasoning events extend the same item
        const summary = (r.summary as Json[]).slice();
        const content = (r.content as Json[]).slice();
        (raw ? content : summary).push(text);
        // keeping its times (a marked thread's item has them, spool-ids.ts)
        st.replaceLastReasoning(t, { ...reasoningItem(r.id, summary, content), startedAtMs: r.startedAtMs, completedAtMs: r.completedAtMs } as ThreadItem);
        return;
      }
      st.pushItem(t, stable(st, t, reasoningItem(st.nextItemId(), raw ? [] : [text], raw ? [text] : [])), ordinal);
      return;
    }
    case "web_search_end": {
      const t = st.ensureCurrent(index, ordinal);
      st.upsertItem(t, stable(st, t, legacyWebSearchEnd(p)), ordinal);
      return;
    }
    case "mcp_tool_call_end":
      st.upsertItem(st.ensureCurrent(index, ordinal), legacyMcpToolCallEnd(p), ordinal);
      return;
    case "image_generation_end":
      st.upsertItem(st.ensureCurrent(index, ordinal), legacyImageGenerationEnd(p), ordinal);
      return;
    case "patch_apply_end": {
      const turnId = asStr(p.turn_id);
      if (!turnId) {
        const t = st.ensureCurrent(index, ordinal);
        st.upsertItem(t, stable(st, t, legacyPatchApplyEnd(p)), ordinal);
      } else upsertInTurnId(st, turnId, st.spoolItems === true ? withPendingId(st.pendingIds, turnId, legacyPatchApplyEnd(p)) : legacyPatchApplyEnd(p), ordinal);
      return;
    }
    case "item_completed": {
      const raw = p.item;
      const turnId = asStr(p.turn_id);
      if (!isObj(raw) || turnId === null) return;
      if (!(raw.type === "Plan" && raw.text) && raw.type !== "Sleep") return;
      const item = coreItemToThreadItem(raw, asNum(p.started_at_ms), asNum(p.completed_at_ms));
      if (item) upsertInTurnId(st, turnId, item, ordinal);
      return;
    }
    case "context_compacted":
      st.pushItem(st.ensureCurrent(index, ordinal), simpleItem("contextCompaction", st.nextItemId()), ordinal);
      return;
    case "entered_review_mode":
      st.pushItem(st.ensureCurrent(index, ordinal), simpleItem("enteredReviewMode", st.nextItemId(), { review: enteredReviewText(p) }), ordinal);
      return;
    case "exited_review_mode":
      st.pushItem(st.ensureCurrent(index, ordinal), simpleItem("exitedReviewMode", st.nextItemId(), { review: exitedReviewText(p) }), ordinal);
      return;
    case "task_started":
    case "turn_started":
      st.finishCurrent();
      st.openExplicit(asStr(p.turn_id) ?? "", ordinal, asStr(p.root_turn_id), asNum(p.started_at));
      return;
    case "task_complete":
    case "turn_complete":
      complete(st, p, ordinal);
      return;
    case "turn_aborted": {
      const id = asStr(p.turn_id);
      const c = st.current();
      let t: T | null = null;
      if (id !== null) t = c && st.turnId(c) === id ? c : st.findDone(id);
      if (!t) t = c;
      if (!t) return;
      const turn = t;
      st.changeTurn(turn, ordinal, p.reason, () => {
        turn.status = "interrupted";
        if (typeof p.started_at === "number") turn.startedAt = p.started_at;
        turn.completedAt = asNum(p.completed_at);
        turn.durationMs = asNum(p.duration_ms);
      });
      return;
    }
    case "thread_rolled_back":
      st.finishCurrent();
      st.rollback(Math.max(0, Math.floor(asNum(p.num_turns) ?? 0)), ordinal);
      return;
    default:
      return;
  }
}

/** `task_complete` ends the open turn with its id, else updates the first finished turn with it, else ends the open turn. */
function complete<T extends TurnFields>(st: LegacyTurnStore<T>, p: JsonObject, ordinal: number): void {
  const id = asStr(p.turn_id) ?? "";
  const err = isObj(p.error) ? p.error : null;
  const apply = (t: T) =>
    st.changeTurn(t, ordinal, undefined, () => {
      if (err) {
        t.status = "failed";
        t.error = turnErrorFrom(err);
      } else if (t.status === "inProgress" || t.status === "completed") t.status = "completed";
      if (typeof p.started_at === "number") t.startedAt = p.started_at;
      t.completedAt = asNum(p.completed_at);
      t.durationMs = asNum(p.duration_ms);
    });
  const c = st.current();
  if (c && st.turnId(c) === id) {
    apply(c);
    st.finishCurrent();
    return;
  }
  const earlier = st.findDone(id);
  if (earlier) {
    apply(earlier);
    return;
  }
  if (c) {
    apply(c);
    st.finishCurrent();
  }
}

/** In a marked thread, the item with the id and times it had live (spool-ids.ts); else as Codex builds it. */
function stable<T extends TurnFields>(st: LegacyTurnStore<T>, t: T, item: ThreadItem): ThreadItem {
  return st.spoolItems === true ? withPendingId(st.pendingIds, st.turnId(t), item) : item;
}

/** Files an item under the open turn with this id, else the first finished one; else nowhere. */
function upsertInTurnId<T extends TurnFields>(st: LegacyTurnStore<T>, turnId: string, item: ThreadItem, ordinal: number): void {
  const c = st.current();
  if (c && st.turnId(c) === turnId) return st.upsertItem(c, item, ordinal);
  const t = st.findDone(turnId);
  if (t) st.upsertItem(t, item, ordinal);
}
