// The three history observers LiveThread runs on every append (src/live/live-thread.ts), over
// one shared projection reducer (core.ts), so they agree with each other and with the durable
// projections the projector writes from the rollout:
//
//   ThreadItemProjection    item upserts and tombstones, with stable item ordinals and `isOpen`
//   TurnSummaryProjection   turn status, timing, error, rollout ordinal, summary items
//   LifecycleProjection     turn.started / turn.completed / turn.cancelled / turn.failed /
//                           thread.rolled_back, numbered like the outbox (see lifecycle.ts for which
//                           events are deliberately not lifecycle events)
//
// Mutations use Codex's `ThreadHistoryMutation` envelope `{type, schema_version: 1, payload}`.
// The reducer's lookups of finished turns and items go to its own tables: an in-memory SQLite
// database by default, seeded from the thread's history when it is resumed.
//
// Observers read the *persisted* items only (not the raw append): the projections must be what a
// rebuild from the JSONL gives, and events the persistence policy drops never reach the JSONL.
import type Database from "better-sqlite3";
import type { RolloutItem } from "../store/types.js";
import type { JsonObject, RolloutLine } from "../rollout/line.js";
import { SPOOL_ITEMS_FIELD, SPOOL_ITEMS_VERSION } from "../rollout/writer-format.js";
import type { HistoryObserver } from "../live/live-thread.js";
import type { HistoryMode } from "../history/reducer.js";
import { ProjectionCore, initialState, type CoreState, type ProjectionChange } from "./core.js";
import { openMemoryProjections } from "./db.js";
import { ProjectionTables, ThreadTables, type EventRow, type ItemRow, type TurnRow } from "./tables.js";

export interface ThreadItemMutationPayload {
  turnId: string;
  /** legacy threads: the owning turn's ordinal (turn ids can repeat there) */
  turnOrdinal: number | null;
  itemKey: string;
  itemOrdinal: number;
  rolloutOrdinal: number;
  mutationKind: "upsert" | "tombstone";
  isOpen: boolean;
  materializedThreadItem: unknown;
}

export interface TurnSummaryMutationPayload {
  turnId: string;
  turnOrdinal: number;
  mutationKind: "upsert" | "tombstone";
  mutation: {
    status: string;
    error: unknown;
    rootTurnId: string | null;
    rolloutOrdinal: number;
    startedAt: number | null;
    completedAt: number | null;
    durationMs: number | null;
    /** item ordinals of the summary view: first user message, final agent message */
    firstUserItemOrdinal: number | null;
    finalAgentItemOrdinal: number | null;
  };
}

export interface LifecycleMutationPayload {
  seq: number;
  eventType: string;
  turnId: string | null;
  rolloutOrdinal: number;
  payload: unknown;
}

export type ThreadHistoryMutation =
  | { type: "thread_item"; schema_version: 1; payload: ThreadItemMutationPayload }
  | { type: "turn_summary"; schema_version: 1; payload: TurnSummaryMutationPayload }
  | { type: "lifecycle"; schema_version: 1; payload: LifecycleMutationPayload };

export function itemMutation(op: "upsert" | "tombstone", r: ItemRow): ThreadHistoryMutation {
  return {
    type: "thread_item",
    schema_version: 1,
    payload: {
      turnId: r.turnId,
      turnOrdinal: r.turnSeq,
      itemKey: r.itemId,
      itemOrdinal: r.seq,
      rolloutOrdinal: r.rolloutOrdinal,
      mutationKind: op,
      isOpen: op === "upsert" && r.isOpen,
      materializedThreadItem: op === "upsert" ? JSON.parse(r.json) : null,
    },
  };
}

export function turnMutation(op: "upsert" | "tombstone", t: TurnRow): ThreadHistoryMutation {
  return {
    type: "turn_summary",
    schema_version: 1,
    payload: {
      turnId: t.turnId,
      turnOrdinal: t.seq,
      mutationKind: op,
      mutation: {
        status: t.status,
        error: t.error,
        rootTurnId: t.rootTurnId,
        rolloutOrdinal: t.rolloutOrdinal,
        startedAt: t.startedAt,
        completedAt: t.completedAt,
        durationMs: t.durationMs,
        firstUserItemOrdinal: t.firstUserSeq,
        finalAgentItemOrdinal: t.finalAgentSeq,
      },
    },
  };
}

export function lifecycleMutation(e: EventRow): ThreadHistoryMutation {
  return { type: "lifecycle", schema_version: 1, payload: { seq: e.seq, eventType: e.type, turnId: e.turnId, rolloutOrdinal: e.rolloutOrdinal, payload: e.payload } };
}

export interface ProjectionSessionOptions {
  threadId: string;
  historyMode?: HistoryMode;
  /** The thread's stored history (session_meta first), to resume: replayed into the tables. */
  history?: RolloutItem[];
  /** Tables to work in (default: a private in-memory database). */
  db?: Database.Database;
}

interface AppendMutations {
  items: ThreadHistoryMutation[];
  turns: ThreadHistoryMutation[];
  lifecycle: ThreadHistoryMutation[];
}

/**
 * One thread's projection reducer as a set of observers. Each append is reduced once, by the
 * first observer that sees it; the three observers each return their share.
 */
export class ProjectionSession {
  readonly threadId: string;
  readonly db: Database.Database;
  readonly items: ThreadItemProjection;
  readonly turns: TurnSummaryProjection;
  readonly lifecycle: LifecycleProjection;
  private readonly core: ProjectionCore;
  private index = 0;
  private last: { input: readonly RolloutItem[]; out: AppendMutations } | null = null;
  private collecting: ProjectionChange[] | null = null;

  constructor(opts: ProjectionSessionOptions) {
    this.threadId = opts.threadId;
    this.db = opts.db ?? openMemoryProjections();
    const tables = new ThreadTables(new ProjectionTables(this.db), opts.threadId);
    const fromMeta = opts.history?.[0]?.type === "session_meta" && opts.history[0].payload.history_mode === "paginated" ? "paginated" : "legacy";
    const mode: HistoryMode = opts.historyMode ?? (opts.history ? fromMeta : "legacy");
    this.core = new ProjectionCore(tables, initialState(opts.threadId, mode), (c) => this.collecting?.push(c));
    this.items = new ThreadItemProjection(this);
    this.turns = new TurnSummaryProjection(this);
    this.lifecycle = new LifecycleProjection(this);
    // the rollout's first line is the session_meta the store writes (it counts in legacy line
    // indexes; a legacy one carries Spool's mark, see src/rollout/writer-format.ts)
    const meta: JsonObject = { id: opts.threadId, history_mode: mode };
    if (mode === "legacy") meta[SPOOL_ITEMS_FIELD] = SPOOL_ITEMS_VERSION;
    const seed = opts.history ?? [{ type: "session_meta", payload: meta }];
    this.db.transaction(() => this.feed(seed))();
  }

  get historyMode(): HistoryMode {
    return this.core.mode;
  }

  /** The reducer's resume state (what a checkpoint would hold). */
  state(): CoreState {
    return this.core.state();
  }

  /** The three observers, for LiveThread. */
  observers(): HistoryObserver[] {
    return [this.items, this.turns, this.lifecycle];
  }

  /** Reduces appended (persisted) items: every mutation, in order of change. */
  observe(persisted: readonly RolloutItem[]): ThreadHistoryMutation[] {
    const m = this.reduce(persisted);
    return [...m.items, ...m.turns, ...m.lifecycle];
  }

  /** @internal the observers' shared entry: each append reduced once. */
  reduce(persisted: readonly RolloutItem[]): AppendMutations {
    if (this.last && this.last.input === persisted) return this.last.out;
    const changes: ProjectionChange[] = [];
    this.collecting = changes;
    try {
      this.db.transaction(() => this.feed(persisted))();
    } finally {
      this.collecting = null;
    }
    const out = summarize(changes);
    this.last = { input: persisted, out };
    return out;
  }

  private feed(items: readonly RolloutItem[]): void {
    for (const it of items) {
      const line = { timestamp: "", type: it.type, payload: it.payload } as RolloutLine;
      const ordinal = this.index++;
      this.core.feed(line, ordinal);
    }
  }
}

/** Coalesces an append's changes: the last state of each item and turn, events in order. */
function summarize(changes: ProjectionChange[]): AppendMutations {
  const items = new Map<number, ThreadHistoryMutation>();
  const turns = new Map<number, ThreadHistoryMutation>();
  const lifecycle: ThreadHistoryMutation[] = [];
  for (const c of changes) {
    if (c.kind === "item") {
      items.delete(c.row.seq);
      items.set(c.row.seq, itemMutation(c.op, c.row));
    } else if (c.kind === "turn") {
      turns.delete(c.row.seq);
      turns.set(c.row.seq, turnMutation(c.op, { ...c.row }));
    } else lifecycle.push(lifecycleMutation(c.event));
  }
  return { items: [...items.values()], turns: [...turns.values()], lifecycle };
}

/** Item upserts and tombstones (Codex's ThreadItemProjectionObserver). */
export class ThreadItemProjection implements HistoryObserver {
  constructor(private readonly session: ProjectionSession) {}
  observeAppend(persisted: RolloutItem[]): unknown[] {
    return this.session.reduce(persisted).items;
  }
}

/** Turn summaries: status, timing, error, first user and final agent items (Codex's TurnSummaryProjectionObserver). */
export class TurnSummaryProjection implements HistoryObserver {
  constructor(private readonly session: ProjectionSession) {}
  observeAppend(persisted: RolloutItem[]): unknown[] {
    return this.session.reduce(persisted).turns;
  }
}

/** The lifecycle outbox: turn.started/completed/cancelled/failed, thread.rolled_back (Codex's LifecycleProjectionObserver). */
export class LifecycleProjection implements HistoryObserver {
  constructor(private readonly session: ProjectionSession) {}
  observeAppend(persisted: RolloutItem[]): unknown[] {
    return this.session.reduce(persisted).lifecycle;
  }
}
