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
//
// The rules themselves are legacy-rules.ts (shared with the projection reducer's legacy mode);
// this file is their in-memory store of turn records.
import { randomUUID } from "node:crypto";
import type { Json, RolloutLine } from "../rollout/line.js";
import type { ThreadItem, Turn } from "../protocol/v2.js";
import { isSpoolLegacyItem } from "./codex-lines.js";
import { feedLegacyLine, type LegacyTurnStore } from "./legacy-rules.js";
import type { PendingIds } from "./spool-ids.js";
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

export class LegacyReplay implements LegacyTurnStore<TurnRec> {
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
  /** a marked thread's `item_completed` lines waiting for their items (spool-ids.ts) */
  pendingIds: PendingIds = {};

  constructor(private readonly ctx: HistoryContext) {}

  /** Feeds a line; lines Codex's replay would not keep change nothing. */
  feed(line: RolloutLine, ordinal: number): void {
    feedLegacyLine(this, line, ordinal);
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

  // --- LegacyTurnStore ------------------------------------------------------------------------

  takeLineIndex(): number {
    return this.lineIndex++;
  }

  nextItemId(): string {
    return `item-${this.nextItem++}`;
  }

  /** Codex gives a hook prompt without an id a random one on every read. */
  hookPromptId(): string {
    return randomUUID();
  }

  turnId(t: TurnRec): string {
    return t.id;
  }

  current(): TurnRec | null {
    return this.cur;
  }

  ensureCurrent(index: number, ordinal: number): TurnRec {
    if (!this.cur) {
      this.cur = newTurn(this.ctx, `rollout-${index}`, ordinal);
      this.ctx.dirty();
    }
    return this.cur;
  }

  openExplicit(turnId: string, ordinal: number, rootTurnId: string | null, startedAt: number | null): void {
    const t = newTurn(this.ctx, turnId, ordinal);
    t.status = "inProgress";
    t.explicit = true;
    t.rootTurnId = rootTurnId;
    t.startedAt = startedAt;
    this.cur = t;
    this.ctx.dirty(t);
  }

  finishCurrent(): void {
    const c = this.cur;
    if (!c) return;
    this.cur = null;
    this.ctx.dirty();
    if (keepTurn(c)) {
      this.done.push(c);
      if (!this.doneById.has(c.id)) this.doneById.set(c.id, c);
    }
  }

  findDone(id: string): TurnRec | null {
    return this.doneById.get(id) ?? null;
  }

  explicit(t: TurnRec): boolean {
    return t.explicit;
  }

  sawCompaction(t: TurnRec): boolean {
    return t.sawCompaction;
  }

  hasCodexItems(t: TurnRec): boolean {
    return hasCodexItems(t);
  }

  markCompaction(t: TurnRec): void {
    t.sawCompaction = true;
    this.ctx.dirty(t);
  }

  changeTurn(t: TurnRec, _ordinal: number, _reason: Json | undefined, change: () => void): void {
    change();
    this.ctx.dirty(t);
  }

  rollback(n: number): void {
    if (n > 0) {
      this.done.splice(Math.max(0, this.done.length - n), n);
      this.rebuildOrdinals();
    }
    let count = 0;
    for (const t of this.done) for (const r of t.items) if (!isSpoolLegacyItem(r.item)) count++;
    this.nextItem = count + 1;
    this.ctx.dirty();
  }

  lastReasoning(t: TurnRec): ThreadItem | null {
    const last = lastCodexItem(t);
    return last && last.item.type === "reasoning" ? last.item : null;
  }

  replaceLastReasoning(t: TurnRec, item: ThreadItem): void {
    lastCodexItem(t)!.item = item;
    this.ctx.dirty(t);
  }

  pushItem(t: TurnRec, item: ThreadItem, ordinal: number): void {
    if (t.itemIndex && !t.itemIndex.has(item.id)) t.itemIndex.set(item.id, t.items.length);
    t.items.push({ item, ordinal, turnId: t.id });
    if (!this.ctx.itemOrd.has(item.id)) this.ctx.itemOrd.set(item.id, ordinal);
    this.ctx.dirty(t);
  }

  upsertItem(t: TurnRec, item: ThreadItem, ordinal: number): void {
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
