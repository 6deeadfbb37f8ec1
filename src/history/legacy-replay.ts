// History of "legacy" threads, as Codex 0.169.0 rebuilds it: it replays the rollout's *persisted*
// items (lines its rollout policy keeps and can parse, see codex-lines.ts) through its classic
// reducer: explicit turns from turn events, implicit turns around user messages with ids
// `rollout-<index of the line that opened them>`, items from the legacy event kinds
// (`user_message`, `agent_message`, `agent_reasoning*`, `web_search_end`, `patch_apply_end`,
// `mcp_tool_call_end`, `image_generation_end`, review-mode and compaction events, plan
// `item_completed`s, hook-prompt response items), ids `item-N` for items without a call id, and
// `thread_rolled_back`. Events the policy drops (`error`, `exec_command_*`, begin events,
// `item_completed` for other kinds, ...) change nothing, not even the line index.
//
// Spool's extension: in a thread whose own session_meta carries Spool's mark, the
// `item_completed` lines of command executions also give items, without changing anything Codex
// counts (codex-lines.ts says how; `spoolItems` holds the mark).
import { randomUUID } from "node:crypto";
import type { Json, JsonObject, RolloutLine } from "../rollout/line.js";
import type { ThreadItem, Turn } from "../protocol/v2.js";
import { asNum, asStr, isObj } from "./codex-json.js";
import { isSpoolLegacyItem, legacyLineCounts, spoolLegacyItem } from "./codex-lines.js";
import { coreItemToThreadItem, simpleItem } from "./items.js";
import { legacyPatchApplyEnd } from "./items-commands.js";
import { enteredReviewText, exitedReviewText, legacyAgentMessage, legacyUserMessage, parseHookPrompt, reasoningItem } from "./items-messages.js";
import { legacyImageGenerationEnd, legacyMcpToolCallEnd, legacyWebSearchEnd } from "./items-tools.js";
import { turnErrorFrom } from "./turn-error.js";
import { newTurn, turnView, type HistoryContext, type ItemRec, type TurnRec } from "./turn-records.js";

/** Whether the turn has items Codex's replay builds (Spool's extension items do not count). */
function hasCodexItems(t: TurnRec): boolean {
  return t.items.some((r) => !isSpoolLegacyItem(r.item));
}

/** Codex keeps an unfinished turn only if it has items, was opened explicitly or saw compaction. */
function keepTurn(t: TurnRec): boolean {
  return t.explicit || t.sawCompaction || hasCodexItems(t);
}

/** The turn's last item of Codex's replay. */
function lastCodexItem(t: TurnRec): ItemRec | undefined {
  for (let i = t.items.length - 1; i >= 0; i--) if (!isSpoolLegacyItem(t.items[i].item)) return t.items[i];
  return undefined;
}

export class LegacyReplay {
  // Fields are read and written by the reducer's snapshot/restore (snapshot.ts).
  /** finished turns that Codex keeps */
  done: TurnRec[] = [];
  /** first finished turn with each id (Codex looks turns up by id, first match wins) */
  readonly doneById = new Map<string, TurnRec>();
  /** the open turn, if any */
  cur: TurnRec | null = null;
  /** index of the next kept line: names implicit turns */
  lineIndex = 0;
  /** N of the next `item-N` id */
  nextItem = 1;
  /** Spool's mark on the thread's own session_meta (null until that line was seen) */
  spoolItems: boolean | null = null;

  constructor(private readonly ctx: HistoryContext) {}

  /** Feeds a line; lines Codex's replay would not keep change nothing. */
  feed(line: RolloutLine, ordinal: number): void {
    if (!legacyLineCounts(line)) {
      if (this.spoolItems !== true) return;
      const extra = spoolLegacyItem(line);
      if (extra) this.upsertInTurnId(extra.turnId, extra.item, ordinal);
      return;
    }
    const index = this.lineIndex++;
    this.line(line, index, ordinal);
  }

  /** Kept turns, the open one included, as v2 `Turn`s. */
  turns(): Turn[] {
    const out: Turn[] = [];
    for (const t of this.done) out.push(turnView(t, t.items));
    if (this.cur && keepTurn(this.cur)) out.push(turnView(this.cur, this.cur.items));
    return out;
  }

  turnMeta(index: number): { ordinal: number; firstUserId: string | null; finalAgentId: string | null } | undefined {
    let t = this.done[index];
    if (!t && index === this.done.length && this.cur && keepTurn(this.cur)) t = this.cur;
    if (!t) return undefined;
    return { ordinal: t.ordinal, firstUserId: null, finalAgentId: null };
  }

  /** Rebuilds the first-turn-by-id index after `done` was replaced (rollback, restore). */
  indexDone(): void {
    this.doneById.clear();
    for (const t of this.done) if (!this.doneById.has(t.id)) this.doneById.set(t.id, t);
  }

  // -------------------------------------------------------------------------------------------

  private line(line: RolloutLine, index: number, ordinal: number): void {
    const p = line.payload;
    switch (line.type) {
      case "compacted":
        this.ensureTurn(index, ordinal).sawCompaction = true;
        this.ctx.dirty(this.cur);
        return;
      case "response_item": {
        const hook = parseHookPrompt(p);
        if (!hook) return;
        const t = this.ensureTurn(index, ordinal);
        this.pushItem(t, simpleItem("hookPrompt", hook.id ?? randomUUID(), { fragments: hook.fragments }), ordinal);
        return;
      }
      case "event_msg":
        this.event(p, index, ordinal);
        return;
      default:
        return;
    }
  }

  private event(p: JsonObject, index: number, ordinal: number): void {
    switch (p.type) {
      case "user_message": {
        const c = this.cur;
        if (c && !c.explicit && !(c.sawCompaction && !hasCodexItems(c))) this.finishCurrent();
        const t = this.ensureTurn(index, ordinal);
        this.pushItem(t, legacyUserMessage(this.itemId(), p), ordinal);
        return;
      }
      case "agent_message": {
        if (!p.message) return;
        const t = this.ensureTurn(index, ordinal);
        this.pushItem(t, legacyAgentMessage(this.itemId(), p), ordinal);
        return;
      }
      case "agent_reasoning":
      case "agent_reasoning_raw_content": {
        const text = asStr(p.text);
        if (!text) return;
        const raw = p.type === "agent_reasoning_raw_content";
        const t = this.ensureTurn(index, ordinal);
        const last = lastCodexItem(t);
        if (last && last.item.type === "reasoning") {
          // consecutive reasoning events extend the same item
          const r = last.item;
          const summary = (r.summary as Json[]).slice();
          const content = (r.content as Json[]).slice();
          (raw ? content : summary).push(text);
          last.item = reasoningItem(r.id, summary, content);
          this.ctx.dirty(t);
          return;
        }
        this.pushItem(t, reasoningItem(this.itemId(), raw ? [] : [text], raw ? [text] : []), ordinal);
        return;
      }
      case "web_search_end":
        this.upsertItem(this.ensureTurn(index, ordinal), legacyWebSearchEnd(p), ordinal);
        return;
      case "mcp_tool_call_end":
        this.upsertItem(this.ensureTurn(index, ordinal), legacyMcpToolCallEnd(p), ordinal);
        return;
      case "image_generation_end":
        this.upsertItem(this.ensureTurn(index, ordinal), legacyImageGenerationEnd(p), ordinal);
        return;
      case "patch_apply_end": {
        const item = legacyPatchApplyEnd(p);
        const turnId = asStr(p.turn_id);
        if (!turnId) this.upsertItem(this.ensureTurn(index, ordinal), item, ordinal);
        else this.upsertInTurnId(turnId, item, ordinal);
        return;
      }
      case "item_completed": {
        const raw = p.item;
        const turnId = asStr(p.turn_id);
        if (!isObj(raw) || turnId === null) return;
        if (!(raw.type === "Plan" && raw.text) && raw.type !== "Sleep") return;
        const item = coreItemToThreadItem(raw, asNum(p.started_at_ms), asNum(p.completed_at_ms));
        if (item) this.upsertInTurnId(turnId, item, ordinal);
        return;
      }
      case "context_compacted":
        this.pushItem(this.ensureTurn(index, ordinal), simpleItem("contextCompaction", this.itemId()), ordinal);
        return;
      case "entered_review_mode":
        this.pushItem(this.ensureTurn(index, ordinal), simpleItem("enteredReviewMode", this.itemId(), { review: enteredReviewText(p) }), ordinal);
        return;
      case "exited_review_mode":
        this.pushItem(this.ensureTurn(index, ordinal), simpleItem("exitedReviewMode", this.itemId(), { review: exitedReviewText(p) }), ordinal);
        return;
      case "task_started":
      case "turn_started": {
        this.finishCurrent();
        const t = newTurn(this.ctx, asStr(p.turn_id) ?? "", ordinal);
        t.status = "inProgress";
        t.explicit = true;
        t.rootTurnId = asStr(p.root_turn_id);
        t.startedAt = asNum(p.started_at);
        this.cur = t;
        this.ctx.dirty(t);
        return;
      }
      case "task_complete":
      case "turn_complete":
        this.complete(p);
        return;
      case "turn_aborted": {
        const id = asStr(p.turn_id);
        let t: TurnRec | null = null;
        if (id !== null) t = this.cur && this.cur.id === id ? this.cur : this.findDone(id);
        if (!t) t = this.cur;
        if (!t) return;
        t.status = "interrupted";
        if (typeof p.started_at === "number") t.startedAt = p.started_at;
        t.completedAt = asNum(p.completed_at);
        t.durationMs = asNum(p.duration_ms);
        this.ctx.dirty(t);
        return;
      }
      case "thread_rolled_back": {
        this.finishCurrent();
        const n = Math.max(0, Math.floor(asNum(p.num_turns) ?? 0));
        if (n > 0) {
          this.done.splice(Math.max(0, this.done.length - n), n);
          this.rebuildOrdinals();
        }
        let count = 0;
        for (const t of this.done) for (const r of t.items) if (!isSpoolLegacyItem(r.item)) count++;
        this.nextItem = count + 1;
        this.ctx.dirty();
        return;
      }
      default:
        return;
    }
  }

  /** `task_complete` ends the open turn with its id, else updates the first finished turn with it, else ends the open turn. */
  private complete(p: JsonObject): void {
    const id = asStr(p.turn_id) ?? "";
    const err = isObj(p.error) ? p.error : null;
    const apply = (t: TurnRec) => {
      if (err) {
        t.status = "failed";
        t.error = turnErrorFrom(err);
      } else if (t.status === "inProgress" || t.status === "completed") t.status = "completed";
      if (typeof p.started_at === "number") t.startedAt = p.started_at;
      t.completedAt = asNum(p.completed_at);
      t.durationMs = asNum(p.duration_ms);
      this.ctx.dirty(t);
    };
    if (this.cur && this.cur.id === id) {
      apply(this.cur);
      this.finishCurrent();
      return;
    }
    const earlier = this.findDone(id);
    if (earlier) {
      apply(earlier);
      return;
    }
    if (this.cur) {
      apply(this.cur);
      this.finishCurrent();
    }
  }

  private itemId(): string {
    return `item-${this.nextItem++}`;
  }

  /** The open turn, or an implicit one named after the line that opens it. */
  private ensureTurn(index: number, ordinal: number): TurnRec {
    if (!this.cur) {
      this.cur = newTurn(this.ctx, `rollout-${index}`, ordinal);
      this.ctx.dirty();
    }
    return this.cur;
  }

  private finishCurrent(): void {
    const c = this.cur;
    if (!c) return;
    this.cur = null;
    this.ctx.dirty();
    if (keepTurn(c)) {
      this.done.push(c);
      if (!this.doneById.has(c.id)) this.doneById.set(c.id, c);
    }
  }

  private findDone(id: string): TurnRec | null {
    return this.doneById.get(id) ?? null;
  }

  private pushItem(t: TurnRec, item: ThreadItem, ordinal: number): void {
    if (t.itemIndex && !t.itemIndex.has(item.id)) t.itemIndex.set(item.id, t.items.length);
    t.items.push({ item, ordinal, turnId: t.id });
    if (!this.ctx.itemOrd.has(item.id)) this.ctx.itemOrd.set(item.id, ordinal);
    this.ctx.dirty(t);
  }

  /**
   * An item whose id the turn already has replaces that one in place, keeping its ordinal; but
   * Spool's extension items never replace Codex's, and give way to them (codex-lines.ts).
   */
  private upsertItem(t: TurnRec, item: ThreadItem, ordinal: number): void {
    if (!t.itemIndex) {
      t.itemIndex = new Map();
      t.items.forEach((r, i) => {
        if (!t.itemIndex!.has(r.item.id)) t.itemIndex!.set(r.item.id, i);
      });
    }
    const at = t.itemIndex.get(item.id);
    if (at !== undefined) {
      const extra = isSpoolLegacyItem(item);
      const wasExtra = isSpoolLegacyItem(t.items[at].item);
      if (extra === wasExtra) {
        t.items[at] = { item, ordinal: t.items[at].ordinal, turnId: t.id };
        this.ctx.dirty(t);
        return;
      }
      if (extra) return;
      // Codex's replay has no item with this id here: it appends its item
      t.items.splice(at, 1);
      t.itemIndex = null;
      this.ctx.dirty(t);
    }
    this.pushItem(t, item, ordinal);
  }

  private upsertInTurnId(turnId: string, item: ThreadItem, ordinal: number): void {
    if (this.cur && this.cur.id === turnId) return this.upsertItem(this.cur, item, ordinal);
    const t = this.findDone(turnId);
    if (t) this.upsertItem(t, item, ordinal);
  }

  /** After a rollback: ordinals only of what is left. */
  private rebuildOrdinals(): void {
    this.indexDone();
    const { turnOrd, itemOrd } = this.ctx;
    turnOrd.clear();
    itemOrd.clear();
    const add = (t: TurnRec) => {
      if (!turnOrd.has(t.id)) turnOrd.set(t.id, t.ordinal);
      for (const r of t.items) if (!itemOrd.has(r.item.id)) itemOrd.set(r.item.id, r.ordinal);
    };
    for (const t of this.done) add(t);
    if (this.cur) add(this.cur);
  }
}
