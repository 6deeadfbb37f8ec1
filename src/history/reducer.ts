// The thread-history reducer: rollout lines in, app-server v2 `Turn[]` out, one line at a time.
//
// Codex 0.169.0 answers history from two different code paths, chosen by the thread's history mode
// (`session_meta.history_mode`), and this reducer reproduces both:
//
//  - "paginated" threads (rollouts with `ordinal`s): Codex keeps a projection of turn rows and
//    item rows. Only `task_started`/`task_complete` (aliases `turn_started`/`turn_complete`),
//    `turn_aborted` and `item_completed` (every item kind) shape it. A turn row is created once
//    per turn id and is frozen once it reaches a terminal status; items are keyed by item id,
//    keep the position and lifecycle times of their first appearance, and belong to the turn id
//    their event names (even one with no turn row).
//  - "legacy" threads: Codex replays the rollout's *persisted* items (lines its rollout policy
//    keeps and can parse) through its classic reducer: explicit turns from turn events, implicit
//    turns around user messages with ids `rollout-<index of the line that opened them>`, items
//    from the legacy event kinds (`user_message`, `agent_message`, `agent_reasoning*`,
//    `web_search_end`, `patch_apply_end`, `mcp_tool_call_end`, `image_generation_end`,
//    review-mode and compaction events, plan `item_completed`s, hook-prompt response items),
//    ids `item-N` for items without a call id, and `thread_rolled_back`.
//    Events the policy drops (`error`, `exec_command_*`, begin events, `item_completed` for
//    other kinds, ...) change nothing, not even the line index.
//
// `turns()` materializes lazily and reuses unchanged turn objects, so calling it after every
// `feed` costs O(turns) shallow work, never a deep copy. Items are replaced, never mutated.
import { randomUUID } from "node:crypto";
import type { Json, JsonObject, RolloutLine } from "../rollout/line.js";
import type { ThreadItem, Turn, TurnError, TurnStatus } from "../protocol/v2.js";
import {
  coreItemToThreadItem,
  enteredReviewText,
  exitedReviewText,
  legacyAgentMessage,
  legacyImageGenerationEnd,
  legacyMcpToolCallEnd,
  legacyPatchApplyEnd,
  legacyUserMessage,
  legacyWebSearchEnd,
  memoryCitationReadable,
  parseHookPrompt,
  reasoningItem,
  simpleItem,
  turnErrorFrom,
} from "./items.js";

export type HistoryMode = "legacy" | "paginated";

export interface ReducerOptions {
  /** The thread whose history this is: `session_meta` lines of other threads (fork parents) are ignored. */
  threadId?: string;
  /** Force the history mode instead of reading it from the thread's `session_meta`. */
  historyMode?: HistoryMode;
}

interface ItemRec {
  item: ThreadItem;
  ordinal: number;
  turnId: string;
}

interface TurnRec {
  id: string;
  rootTurnId: string | null;
  status: TurnStatus;
  error: TurnError | null;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
  ordinal: number;
  /** legacy: opened by a turn_started event (kept even when empty) */
  explicit: boolean;
  /** legacy: saw a `compacted` line (kept even when empty) */
  sawCompaction: boolean;
  /** legacy: the turn's own items (paginated turns read their bucket instead) */
  items: ItemRec[];
  itemIndex: Map<string, number> | null;
  /** paginated: the agent message the summary view shows, fixed when the turn completes */
  finalAgentId: string | null;
  view: Turn | null;
}

interface Bucket {
  items: ItemRec[];
}

const TERMINAL_EVENTS = new Set(["task_complete", "turn_complete"]);
const START_EVENTS = new Set(["task_started", "turn_started"]);

/** Response item kinds Codex's rollout policy persists (they count towards legacy line indexes). */
export const PERSISTED_RESPONSE_ITEMS = new Set([
  "message",
  "agent_message",
  "reasoning",
  "local_shell_call",
  "function_call",
  "function_call_output",
  "custom_tool_call",
  "custom_tool_call_output",
  "tool_search_call",
  "tool_search_output",
  "web_search_call",
  "image_generation_call",
  "compaction",
  "context_compaction",
  "additional_tools",
]);

/** Event kinds the legacy replay reads or keeps (everything else is dropped before reducing). */
export const LEGACY_EVENTS = new Set([
  "user_message",
  "agent_message",
  "agent_reasoning",
  "agent_reasoning_raw_content",
  "token_count",
  "task_started",
  "turn_started",
  "task_complete",
  "turn_complete",
  "turn_aborted",
  "thread_rolled_back",
  "context_compacted",
  "entered_review_mode",
  "exited_review_mode",
  "web_search_end",
  "mcp_tool_call_end",
  "patch_apply_end",
  "image_generation_end",
  "thread_goal_updated",
  "item_completed",
]);

/** Event kinds the paginated projection reads. */
export const PAGINATED_EVENTS = new Set(["task_started", "turn_started", "task_complete", "turn_complete", "turn_aborted", "item_completed"]);

const isObj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string | null => (typeof v === "string" ? v : null);
const num = (v: Json | undefined): number | null => (typeof v === "number" ? v : null);

/**
 * Would Codex's legacy replay keep this line (its rollout policy persists the kind, and the line
 * parses)? Kept lines advance the index that names implicit turns.
 */
export function legacyLineCounts(line: RolloutLine): boolean {
  const p = line.payload;
  switch (line.type) {
    case "session_meta":
    case "compacted":
    case "world_state":
    case "inter_agent_communication":
    case "inter_agent_communication_metadata":
    case "rollout_reference":
      return true;
    case "token_usage_record":
      return typeof p.response_id === "string";
    case "turn_context": {
      if (typeof p.cwd !== "string") return false;
      const sp = p.sandbox_policy;
      return sp === undefined || (isObj(sp) && typeof sp.type === "string");
    }
    case "response_item":
      return typeof p.type === "string" && PERSISTED_RESPONSE_ITEMS.has(p.type);
    case "event_msg":
      return legacyEventCounts(p);
    default:
      return false;
  }
}

function legacyEventCounts(p: JsonObject): boolean {
  const t = p.type;
  if (typeof t !== "string" || !LEGACY_EVENTS.has(t)) return false;
  switch (t) {
    case "user_message":
      return typeof p.message === "string";
    case "agent_message":
      return typeof p.message === "string" && memoryCitationReadable(p.memory_citation);
    case "agent_reasoning":
    case "agent_reasoning_raw_content":
      return typeof p.text === "string";
    case "task_started":
    case "turn_started":
    case "task_complete":
    case "turn_complete":
      return typeof p.turn_id === "string";
    case "thread_rolled_back":
      return typeof p.num_turns === "number";
    case "turn_aborted":
      return p.reason !== undefined;
    case "entered_review_mode":
      return isObj(p.target);
    case "web_search_end":
    case "image_generation_end":
      return typeof p.call_id === "string";
    case "patch_apply_end":
      return typeof p.call_id === "string" && isObj(p.changes);
    case "mcp_tool_call_end":
      return typeof p.call_id === "string" && isObj(p.invocation) && isObj(p.result);
    case "thread_goal_updated":
      return isObj(p.goal);
    case "item_completed": {
      const it = p.item;
      if (!isObj(it) || typeof it.id !== "string") return false;
      if (it.type === "Plan") return typeof it.text === "string";
      return it.type === "Sleep" && typeof it.durationMs === "number";
    }
    default:
      return true;
  }
}

export class ThreadHistoryReducer {
  private threadId: string | null;
  private mode: HistoryMode;
  private modeKnown: boolean;
  private sawMeta = false;

  // legacy state
  private done: TurnRec[] = [];
  /** first finished turn with each id (Codex looks turns up by id, first match wins) */
  private doneById = new Map<string, TurnRec>();
  private cur: TurnRec | null = null;
  private lineIndex = 0;
  private nextItem = 1;

  // paginated state
  private rows: TurnRec[] = [];
  private rowById = new Map<string, TurnRec>();
  private current: TurnRec | null = null;
  private buckets = new Map<string, Bucket>();
  private allItems: ItemRec[] = [];
  private itemById = new Map<string, ItemRec>();

  // ordinals of first appearance, for paging
  private turnOrd = new Map<string, number>();
  private itemOrd = new Map<string, number>();

  private cache: Turn[] | null = null;

  constructor(opts: ReducerOptions = {}) {
    this.threadId = opts.threadId ?? null;
    this.mode = opts.historyMode ?? "legacy";
    this.modeKnown = opts.historyMode !== undefined;
  }

  /** "legacy" or "paginated" (from the thread's session_meta unless forced). */
  historyMode(): HistoryMode {
    return this.mode;
  }

  /** Feed one line; `ordinal` is line.ordinal when present, else the running line index of the logical history. */
  feed(line: RolloutLine, ordinal: number): void {
    if (line.type === "session_meta") this.onSessionMeta(line.payload);
    if (this.mode === "paginated") {
      if (line.type === "event_msg") this.paginatedEvent(line.payload, ordinal);
      return;
    }
    if (!legacyLineCounts(line)) return;
    const index = this.lineIndex++;
    this.legacyLine(line, index, ordinal);
  }

  /**
   * For fast loaders that skip parsing lines they know cannot change turns: account for `n` such
   * lines that Codex's legacy replay nevertheless keeps (they advance implicit-turn indexes).
   */
  countSkipped(n = 1): void {
    if (this.mode === "legacy") this.lineIndex += n;
  }

  /** Materialized turns (itemsView "full"). Unchanged turns are the same objects as last time. */
  turns(): Turn[] {
    if (this.cache) return this.cache;
    const out: Turn[] = [];
    if (this.mode === "paginated") {
      for (const t of this.rows) out.push(this.view(t));
    } else {
      for (const t of this.done) out.push(this.view(t));
      if (this.cur && keepTurn(this.cur)) out.push(this.view(this.cur));
    }
    this.cache = out;
    return out;
  }

  /** For paging: the ordinal of the line that created each turn / each item (first appearance). */
  turnOrdinal(turnId: string): number | undefined {
    return this.turnOrd.get(turnId);
  }
  itemOrdinal(itemId: string): number | undefined {
    return this.itemOrd.get(itemId);
  }

  /** Paginated: every item row in creation order (including items whose turn has no row). */
  itemEntries(): readonly { turnId: string; item: ThreadItem; ordinal: number }[] {
    return this.allItems;
  }

  /** Paginated: per turn (same order as `turns()`), its ordinal and summary picks. */
  turnMeta(index: number): { ordinal: number; firstUserId: string | null; finalAgentId: string | null } | undefined {
    const list = this.mode === "paginated" ? this.rows : this.done;
    let t = list[index];
    if (!t && this.mode === "legacy" && index === this.done.length && this.cur && keepTurn(this.cur)) t = this.cur;
    if (!t) return undefined;
    if (this.mode === "paginated") {
      const b = this.buckets.get(t.id);
      const first = b?.items.find((r) => r.item.type === "userMessage");
      return { ordinal: t.ordinal, firstUserId: first ? first.item.id : null, finalAgentId: t.finalAgentId };
    }
    return { ordinal: t.ordinal, firstUserId: null, finalAgentId: null };
  }

  // -------------------------------------------------------------------------------------------

  private onSessionMeta(p: JsonObject): void {
    const id = str(p.id);
    if (this.threadId === null && id) this.threadId = id;
    if (this.modeKnown) return;
    // A fork's stream starts with its parent's lines: until the thread's own session_meta shows
    // up, go by the first one seen (forks keep their parent's history mode).
    const own = id === null || id === this.threadId;
    if (own || !this.sawMeta) this.mode = p.history_mode === "paginated" ? "paginated" : "legacy";
    this.sawMeta = true;
    if (own) this.modeKnown = true;
  }

  private dirty(t: TurnRec | null | undefined): void {
    if (t) t.view = null;
    this.cache = null;
  }

  private view(t: TurnRec): Turn {
    if (t.view) return t.view;
    const recs = this.mode === "paginated" ? this.buckets.get(t.id)?.items ?? [] : t.items;
    const v: Turn = {
      id: t.id,
      rootTurnId: t.rootTurnId,
      items: recs.map((r) => r.item),
      itemsView: "full",
      status: t.status,
      error: t.error,
      startedAt: t.startedAt,
      completedAt: t.completedAt,
      durationMs: t.durationMs,
    };
    t.view = v;
    return v;
  }

  private newTurn(id: string, ordinal: number): TurnRec {
    if (!this.turnOrd.has(id)) this.turnOrd.set(id, ordinal);
    return {
      id,
      rootTurnId: null,
      status: "completed",
      error: null,
      startedAt: null,
      completedAt: null,
      durationMs: null,
      ordinal,
      explicit: false,
      sawCompaction: false,
      items: [],
      itemIndex: null,
      finalAgentId: null,
      view: null,
    };
  }

  // ---------------------------------------------------------------- paginated projection

  private paginatedEvent(p: JsonObject, ordinal: number): void {
    const type = p.type;
    if (typeof type !== "string") return;
    if (START_EVENTS.has(type)) {
      const id = str(p.turn_id);
      if (id === null || this.rowById.has(id)) return;
      const t = this.newTurn(id, ordinal);
      t.status = "inProgress";
      t.rootTurnId = str(p.root_turn_id);
      t.startedAt = num(p.started_at);
      this.rows.push(t);
      this.rowById.set(id, t);
      this.current = t;
      this.dirty(t);
    } else if (TERMINAL_EVENTS.has(type)) {
      const id = str(p.turn_id);
      if (id === null) return;
      const t = this.rowById.get(id) ?? this.createRow(id, ordinal);
      if (t.status !== "inProgress") return;
      const err = isObj(p.error) ? p.error : null;
      t.status = err ? "failed" : "completed";
      t.error = err ? turnErrorFrom(err) : null;
      t.startedAt = num(p.started_at);
      t.completedAt = num(p.completed_at);
      t.durationMs = num(p.duration_ms);
      t.finalAgentId = this.pickFinalAgent(t.id);
      if (this.current === t) this.current = null;
      this.dirty(t);
    } else if (type === "turn_aborted") {
      const id = str(p.turn_id);
      const t = id !== null ? this.rowById.get(id) ?? this.createRow(id, ordinal) : this.current;
      if (!t || t.status !== "inProgress") return;
      t.status = "interrupted";
      // an abort that names its turn rewrites the row's times; one that does not keeps startedAt
      if (id !== null) t.startedAt = num(p.started_at);
      t.completedAt = num(p.completed_at);
      t.durationMs = num(p.duration_ms);
      if (this.current === t) this.current = null;
      this.dirty(t);
    } else if (type === "item_completed") {
      const raw = p.item;
      const turnId = str(p.turn_id);
      if (!isObj(raw) || turnId === null) return;
      const item = coreItemToThreadItem(raw, num(p.started_at_ms), num(p.completed_at_ms));
      if (!item) return;
      const prev = this.itemById.get(item.id);
      if (prev) {
        // the row keeps its place and first lifecycle times; only the payload changes
        item.startedAtMs = prev.item.startedAtMs ?? null;
        item.completedAtMs = prev.item.completedAtMs ?? null;
        prev.item = item;
        this.dirty(this.rowById.get(prev.turnId));
        return;
      }
      const rec: ItemRec = { item, ordinal, turnId };
      this.itemById.set(item.id, rec);
      if (!this.itemOrd.has(item.id)) this.itemOrd.set(item.id, ordinal);
      this.allItems.push(rec);
      let b = this.buckets.get(turnId);
      if (!b) this.buckets.set(turnId, (b = { items: [] }));
      b.items.push(rec);
      this.dirty(this.rowById.get(turnId));
    }
  }

  private createRow(id: string, ordinal: number): TurnRec {
    const t = this.newTurn(id, ordinal);
    t.status = "inProgress";
    this.rows.push(t);
    this.rowById.set(id, t);
    return t;
  }

  /** The summary's agent message: the last final answer, else the last message without a phase. */
  private pickFinalAgent(turnId: string): string | null {
    const items = this.buckets.get(turnId)?.items;
    if (!items) return null;
    let plain: string | null = null;
    for (let i = items.length - 1; i >= 0; i--) {
      const it = items[i].item;
      if (it.type !== "agentMessage") continue;
      if (it.phase === "final_answer") return it.id;
      if (plain === null && (it.phase === null || it.phase === undefined)) plain = it.id;
    }
    return plain;
  }

  // ---------------------------------------------------------------- legacy replay

  private legacyLine(line: RolloutLine, index: number, ordinal: number): void {
    const p = line.payload;
    switch (line.type) {
      case "compacted":
        this.ensureTurn(index, ordinal).sawCompaction = true;
        this.dirty(this.cur);
        return;
      case "response_item": {
        const hook = parseHookPrompt(p);
        if (!hook) return;
        const t = this.ensureTurn(index, ordinal);
        this.pushItem(t, simpleItem("hookPrompt", hook.id ?? randomUUID(), { fragments: hook.fragments }), ordinal);
        return;
      }
      case "event_msg":
        this.legacyEvent(p, index, ordinal);
        return;
      default:
        return;
    }
  }

  private legacyEvent(p: JsonObject, index: number, ordinal: number): void {
    switch (p.type) {
      case "user_message": {
        const c = this.cur;
        if (c && !c.explicit && !(c.sawCompaction && c.items.length === 0)) this.finishCurrent();
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
        const text = str(p.text);
        if (!text) return;
        const raw = p.type === "agent_reasoning_raw_content";
        const t = this.ensureTurn(index, ordinal);
        const last = t.items[t.items.length - 1];
        if (last && last.item.type === "reasoning") {
          const r = last.item;
          const summary = (r.summary as Json[]).slice();
          const content = (r.content as Json[]).slice();
          (raw ? content : summary).push(text);
          last.item = reasoningItem(r.id, summary, content);
          this.dirty(t);
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
        const turnId = str(p.turn_id);
        if (!turnId) this.upsertItem(this.ensureTurn(index, ordinal), item, ordinal);
        else this.upsertInTurnId(turnId, item, ordinal);
        return;
      }
      case "item_completed": {
        const raw = p.item;
        const turnId = str(p.turn_id);
        if (!isObj(raw) || turnId === null) return;
        if (!(raw.type === "Plan" && raw.text) && raw.type !== "Sleep") return;
        const item = coreItemToThreadItem(raw, num(p.started_at_ms), num(p.completed_at_ms));
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
        const t = this.newTurn(str(p.turn_id) ?? "", ordinal);
        t.status = "inProgress";
        t.explicit = true;
        t.rootTurnId = str(p.root_turn_id);
        t.startedAt = num(p.started_at);
        this.cur = t;
        this.dirty(t);
        return;
      }
      case "task_complete":
      case "turn_complete": {
        const id = str(p.turn_id) ?? "";
        const err = isObj(p.error) ? p.error : null;
        const apply = (t: TurnRec) => {
          if (err) {
            t.status = "failed";
            t.error = turnErrorFrom(err);
          } else if (t.status === "inProgress" || t.status === "completed") t.status = "completed";
          if (typeof p.started_at === "number") t.startedAt = p.started_at;
          t.completedAt = num(p.completed_at);
          t.durationMs = num(p.duration_ms);
          this.dirty(t);
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
        return;
      }
      case "turn_aborted": {
        const id = str(p.turn_id);
        let t: TurnRec | null = null;
        if (id !== null) t = this.cur && this.cur.id === id ? this.cur : this.findDone(id);
        if (!t) t = this.cur;
        if (!t) return;
        t.status = "interrupted";
        if (typeof p.started_at === "number") t.startedAt = p.started_at;
        t.completedAt = num(p.completed_at);
        t.durationMs = num(p.duration_ms);
        this.dirty(t);
        return;
      }
      case "thread_rolled_back": {
        this.finishCurrent();
        const n = Math.max(0, Math.floor(num(p.num_turns) ?? 0));
        if (n > 0) {
          this.done.splice(Math.max(0, this.done.length - n), n);
          this.rebuildLegacyOrdinals();
        }
        let count = 0;
        for (const t of this.done) count += t.items.length;
        this.nextItem = count + 1;
        this.cache = null;
        return;
      }
      default:
        return;
    }
  }

  private itemId(): string {
    return `item-${this.nextItem++}`;
  }

  private ensureTurn(index: number, ordinal: number): TurnRec {
    if (!this.cur) {
      this.cur = this.newTurn(`rollout-${index}`, ordinal);
      this.cache = null;
    }
    return this.cur;
  }

  private finishCurrent(): void {
    const c = this.cur;
    if (!c) return;
    this.cur = null;
    this.cache = null;
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
    if (!this.itemOrd.has(item.id)) this.itemOrd.set(item.id, ordinal);
    this.dirty(t);
  }

  private upsertItem(t: TurnRec, item: ThreadItem, ordinal: number): void {
    if (!t.itemIndex) {
      t.itemIndex = new Map();
      t.items.forEach((r, i) => {
        if (!t.itemIndex!.has(r.item.id)) t.itemIndex!.set(r.item.id, i);
      });
    }
    const at = t.itemIndex.get(item.id);
    if (at !== undefined) {
      t.items[at] = { item, ordinal: t.items[at].ordinal, turnId: t.id };
      this.dirty(t);
      return;
    }
    this.pushItem(t, item, ordinal);
  }

  private upsertInTurnId(turnId: string, item: ThreadItem, ordinal: number): void {
    if (this.cur && this.cur.id === turnId) return this.upsertItem(this.cur, item, ordinal);
    const t = this.findDone(turnId);
    if (t) this.upsertItem(t, item, ordinal);
  }

  private rebuildLegacyOrdinals(): void {
    this.doneById.clear();
    for (const t of this.done) if (!this.doneById.has(t.id)) this.doneById.set(t.id, t);
    this.turnOrd.clear();
    this.itemOrd.clear();
    const add = (t: TurnRec) => {
      if (!this.turnOrd.has(t.id)) this.turnOrd.set(t.id, t.ordinal);
      for (const r of t.items) if (!this.itemOrd.has(r.item.id)) this.itemOrd.set(r.item.id, r.ordinal);
    };
    for (const t of this.done) add(t);
    if (this.cur) add(this.cur);
  }

  // ---------------------------------------------------------------- checkpoints

  /** Serializable state to resume reducing later from a checkpoint. */
  snapshot(): unknown {
    const turn = (t: TurnRec) => ({
      id: t.id,
      rootTurnId: t.rootTurnId,
      status: t.status,
      error: t.error,
      startedAt: t.startedAt,
      completedAt: t.completedAt,
      durationMs: t.durationMs,
      ordinal: t.ordinal,
      explicit: t.explicit,
      sawCompaction: t.sawCompaction,
      items: t.items.map((r) => [r.ordinal, r.item]),
      finalAgentId: t.finalAgentId,
    });
    const state = {
      v: 1,
      threadId: this.threadId,
      mode: this.mode,
      modeKnown: this.modeKnown,
      sawMeta: this.sawMeta,
      lineIndex: this.lineIndex,
      nextItem: this.nextItem,
      done: this.done.map(turn),
      cur: this.cur ? turn(this.cur) : null,
      rows: this.rows.map(turn),
      current: this.current ? this.current.id : null,
      items: this.allItems.map((r) => [r.ordinal, r.turnId, r.item]),
      turnOrd: [...this.turnOrd],
      itemOrd: [...this.itemOrd],
    };
    return JSON.parse(JSON.stringify(state));
  }

  static restore(state: unknown): ThreadHistoryReducer {
    const s = JSON.parse(JSON.stringify(state)) as SnapshotV1;
    if (!s || s.v !== 1) throw new Error("unsupported thread history snapshot");
    const r = new ThreadHistoryReducer({ threadId: s.threadId ?? undefined, historyMode: s.mode });
    r.modeKnown = s.modeKnown;
    r.sawMeta = s.sawMeta === true;
    r.lineIndex = s.lineIndex;
    r.nextItem = s.nextItem;
    const turn = (o: SnapTurn): TurnRec => ({
      id: o.id,
      rootTurnId: o.rootTurnId,
      status: o.status,
      error: o.error,
      startedAt: o.startedAt,
      completedAt: o.completedAt,
      durationMs: o.durationMs,
      ordinal: o.ordinal,
      explicit: o.explicit,
      sawCompaction: o.sawCompaction,
      items: o.items.map(([ordinal, item]) => ({ item, ordinal, turnId: o.id })),
      itemIndex: null,
      finalAgentId: o.finalAgentId,
      view: null,
    });
    r.done = s.done.map(turn);
    for (const t of r.done) if (!r.doneById.has(t.id)) r.doneById.set(t.id, t);
    r.cur = s.cur ? turn(s.cur) : null;
    r.rows = s.rows.map(turn);
    for (const t of r.rows) r.rowById.set(t.id, t);
    r.current = s.current !== null ? r.rowById.get(s.current) ?? null : null;
    for (const [ordinal, turnId, item] of s.items) {
      const rec: ItemRec = { item, ordinal, turnId };
      r.allItems.push(rec);
      r.itemById.set(item.id, rec);
      let b = r.buckets.get(turnId);
      if (!b) r.buckets.set(turnId, (b = { items: [] }));
      b.items.push(rec);
    }
    r.turnOrd = new Map(s.turnOrd);
    r.itemOrd = new Map(s.itemOrd);
    return r;
  }
}

interface SnapTurn {
  id: string;
  rootTurnId: string | null;
  status: TurnStatus;
  error: TurnError | null;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
  ordinal: number;
  explicit: boolean;
  sawCompaction: boolean;
  items: [number, ThreadItem][];
  finalAgentId: string | null;
}

interface SnapshotV1 {
  v: 1;
  threadId: string | null;
  mode: HistoryMode;
  modeKnown: boolean;
  sawMeta?: boolean;
  lineIndex: number;
  nextItem: number;
  done: SnapTurn[];
  cur: SnapTurn | null;
  rows: SnapTurn[];
  current: string | null;
  items: [number, string, ThreadItem][];
  turnOrd: [string, number][];
  itemOrd: [string, number][];
}

/** Codex keeps an unfinished turn only if it has items, was opened explicitly or saw compaction. */
function keepTurn(t: TurnRec): boolean {
  return t.items.length > 0 || t.explicit || t.sawCompaction;
}

/**
 * What the server does before answering for a thread that is not running: a turn still marked
 * in progress is reported as interrupted. Returns new turn objects only where something changed.
 */
export function interruptStaleTurns(turns: Turn[]): Turn[] {
  let out: Turn[] | null = null;
  for (let i = 0; i < turns.length; i++) {
    if (turns[i].status !== "inProgress") continue;
    out ??= turns.slice();
    out[i] = { ...turns[i], status: "interrupted" };
  }
  return out ?? turns;
}
