// The thread-history reducer: rollout lines in, app-server v2 `Turn[]` out, one line at a time.
//
// Codex 0.169.0 answers history from two different code paths, chosen by the thread's history mode
// (`session_meta.history_mode`), and this reducer reproduces both:
//
//  - "paginated" threads (rollouts with `ordinal`s): a projection of turn rows and item rows
//    (paginated-rules.ts, over the in-memory rows of paginated-projection.ts).
//  - "legacy" threads: a replay of the rollout's persisted items through Codex's classic reducer,
//    with implicit turns (legacy-rules.ts, over the in-memory turns of legacy-replay.ts).
//
// Both are kept, because a fork's stream can switch modes when its own `session_meta` shows up
// (and a snapshot carries both). Which lines each reads is in codex-lines.ts.
//
// A legacy thread Spool wrote (its own session_meta carries Spool's mark, `spool_items`) also
// shows its command executions, which Codex's legacy replay drops (codex-lines.ts, legacy-replay.ts).
//
// `turns()` materializes lazily and reuses unchanged turn objects, so calling it after every
// `feed` costs O(turns) shallow work, never a deep copy. Items are replaced, never mutated.
import type { JsonObject, RolloutLine } from "../rollout/line.js";
import type { ThreadItem, Turn } from "../protocol/v2.js";
import { asStr } from "./codex-json.js";
import { spoolItemsMarked } from "./codex-lines.js";
import { LegacyReplay } from "./legacy-replay.js";
import { PaginatedProjection } from "./paginated-projection.js";
import { readSnapshot, restoreSnapshot, writeSnapshot } from "./snapshot.js";
import type { HistoryContext, HistoryMode } from "./turn-records.js";

export type { HistoryMode } from "./turn-records.js";

export interface ReducerOptions {
  /** The thread whose history this is: `session_meta` lines of other threads (fork parents) are ignored. */
  threadId?: string;
  /** Force the history mode instead of reading it from the thread's `session_meta`. */
  historyMode?: HistoryMode;
}

export class ThreadHistoryReducer {
  private threadId: string | null;
  private mode: HistoryMode;
  private modeKnown: boolean;
  private sawMeta = false;

  private cache: Turn[] | null = null;
  private readonly ctx: HistoryContext = {
    turnOrd: new Map(),
    itemOrd: new Map(),
    dirty: (t) => {
      if (t) t.view = null;
      this.cache = null;
    },
  };
  private readonly legacy = new LegacyReplay(this.ctx);
  private readonly paginated = new PaginatedProjection(this.ctx);

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
      if (line.type === "event_msg") this.paginated.event(line.payload, ordinal);
      return;
    }
    this.legacy.feed(line, ordinal);
  }

  /**
   * For fast loaders that skip parsing lines they know cannot change turns: account for `n` such
   * lines that Codex's legacy replay nevertheless keeps (they advance implicit-turn indexes).
   */
  countSkipped(n = 1): void {
    if (this.mode === "legacy") this.legacy.lineIndex += n;
  }

  /**
   * Whether the legacy replay also reads Spool's extension lines (the thread's own session_meta,
   * seen so far, carries Spool's mark): fast loaders must not skip those (prefilter.ts).
   */
  showsSpoolItems(): boolean {
    return this.mode === "legacy" && this.legacy.spoolItems === true;
  }

  /** Materialized turns (itemsView "full"). Unchanged turns are the same objects as last time. */
  turns(): Turn[] {
    this.cache ??= this.mode === "paginated" ? this.paginated.turns() : this.legacy.turns();
    return this.cache;
  }

  /** For paging: the ordinal of the line that created each turn / each item (first appearance). */
  turnOrdinal(turnId: string): number | undefined {
    return this.ctx.turnOrd.get(turnId);
  }
  itemOrdinal(itemId: string): number | undefined {
    return this.ctx.itemOrd.get(itemId);
  }

  /** Paginated: every item row in creation order (including items whose turn has no row). */
  itemEntries(): readonly { turnId: string; item: ThreadItem; ordinal: number }[] {
    return this.paginated.allItems;
  }

  /** Paginated: per turn (same order as `turns()`), its ordinal and summary picks. */
  turnMeta(index: number): { ordinal: number; firstUserId: string | null; finalAgentId: string | null } | undefined {
    return this.mode === "paginated" ? this.paginated.turnMeta(index) : this.legacy.turnMeta(index);
  }

  private onSessionMeta(p: JsonObject): void {
    const id = asStr(p.id);
    if (this.threadId === null && id) this.threadId = id;
    const own = id === null || id === this.threadId;
    // Spool's mark counts on the thread's own first session_meta only (not on a fork parent's)
    if (own && this.legacy.spoolItems === null) this.legacy.spoolItems = spoolItemsMarked(p);
    if (this.modeKnown) return;
    // A fork's stream starts with its parent's lines: until the thread's own session_meta shows
    // up, go by the first one seen (forks keep their parent's history mode).
    if (own || !this.sawMeta) this.mode = p.history_mode === "paginated" ? "paginated" : "legacy";
    this.sawMeta = true;
    if (own) this.modeKnown = true;
  }

  // ---------------------------------------------------------------- checkpoints (snapshot.ts)

  /** Serializable state to resume reducing later from a checkpoint. */
  snapshot(): unknown {
    const head = { threadId: this.threadId, mode: this.mode, modeKnown: this.modeKnown, sawMeta: this.sawMeta };
    return writeSnapshot(head, this.ctx, this.legacy, this.paginated);
  }

  static restore(state: unknown): ThreadHistoryReducer {
    const s = readSnapshot(state);
    const r = new ThreadHistoryReducer({ threadId: s.threadId ?? undefined, historyMode: s.mode });
    r.modeKnown = s.modeKnown;
    r.sawMeta = s.sawMeta === true;
    restoreSnapshot(s, r.ctx, r.legacy, r.paginated);
    return r;
  }
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
