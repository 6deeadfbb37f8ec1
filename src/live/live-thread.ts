// LiveThread: the one writer of a loaded thread. Every append runs, in order:
//   1. the rollout persistence policy (src/rollout/policy.ts) over the raw items;
//   2. the installed history observers (projections), given the persisted and the raw items;
//      their results are returned to the caller and, once the append is durable, handed to
//      `appended` listeners (src/projections/live.ts keeps a home's durable projections current);
//   3. store.appendItems with the persisted items;
//   4. only once that succeeded, the derived metadata patch (src/metadata/sync.ts) through
//      store.updateThreadMetadata, the store's only metadata write.
// So history is always durable before the metadata that describes it. Mutations are serialized:
// one append (or metadata edit, flush, shutdown) finishes before the next starts.
import { EventEmitter } from "node:events";
import { persistedItems } from "../rollout/policy.js";
import { ThreadMetadataSync, type MetadataSyncOptions, type PendingMetadataPatch } from "../metadata/sync.js";
import {
  ThreadStoreError,
  type CreateThreadParams,
  type RolloutItem,
  type StoredThread,
  type ThreadMetadataPatch,
  type ThreadStore,
} from "../store/types.js";

/** A projection of history (thread items, turn summaries, lifecycle outbox…). */
export interface HistoryObserver {
  /**
   * Called once per append, before the store write. `persisted` is what the policy keeps,
   * `raw` everything the caller appended (observers may use events the policy drops).
   * Returns mutations to persist alongside the append.
   */
  observeAppend(persisted: RolloutItem[], raw: RolloutItem[]): unknown[];
}

/**
 * Writer-lifecycle operations a store may offer on top of ThreadStore (Codex's resume_thread,
 * shutdown_thread, discard_thread). A store that holds a cross-process writer lock takes it in
 * createThread/resumeThread and throws ThreadStoreError("conflict") when another process has it.
 */

export interface LiveThreadOptions extends MetadataSyncOptions {
  observers?: HistoryObserver[];
}

export interface CreateLiveThreadOptions extends LiveThreadOptions {
  gitInfo?: ThreadMetadataPatch["gitInfo"];
}

export interface ResumeLiveThreadOptions extends LiveThreadOptions {
  /** Already-loaded history (skips store.loadHistory). */
  history?: RolloutItem[];
  includeArchived?: boolean;
  /** The cwd future turns run in. */
  cwd?: string | null;
}

export interface AppendResult {
  /** The items that went to the store (after the persistence policy). */
  persisted: RolloutItem[];
  /** What the observers returned, in observer order. */
  mutations: unknown[];
  /** The metadata patch applied after the append, if one was due. */
  metadataPatch: ThreadMetadataPatch | null;
}

/** The history is durable, but the metadata patch that followed it failed (it stays pending and is retried). */
export class MetadataUpdateError extends Error {
  readonly appended = true;
  constructor(
    readonly threadId: string,
    override readonly cause: unknown,
  ) {
    super(`thread ${threadId}: history appended, metadata update failed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/**
 * A store's writer-lock conflict, as a clear error: kept as is when the store's message already
 * names the thread (the local store says who holds the lock and since when), else with context.
 */
export function ownershipConflict(threadId: string, cause: unknown): unknown {
  if (!(cause instanceof ThreadStoreError) || cause.kind !== "conflict" || cause.message.includes(threadId)) return cause;
  const err = ThreadStoreError.conflict(`thread ${threadId} is already open for writing elsewhere (another process owns it): ${cause.message}`);
  (err as { cause?: unknown }).cause = cause;
  return err;
}

export interface LiveThreadEvents {
  turnStarted: [turnId: string | null];
  turnEnded: [turnId: string | null];
  shutdown: [];
  /**
   * The store accepted an append (its items are durable): the persisted items and what the
   * observers returned for them, for whoever persists projections (src/projections/live.ts).
   * Emitted before the metadata patch; listeners must not throw.
   */
  appended: [persisted: RolloutItem[], mutations: unknown[]];
}

function turnIdOf(item: RolloutItem): string | null {
  const id = item.payload.turn_id;
  return typeof id === "string" ? id : null;
}

export class LiveThread extends EventEmitter<LiveThreadEvents> {
  readonly threadId: string;
  private readonly store: ThreadStore;
  private readonly sync: ThreadMetadataSync;
  private observers: HistoryObserver[];
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private runningTurn: { id: string | null } | null = null;

  private constructor(store: ThreadStore, threadId: string, sync: ThreadMetadataSync, opts: LiveThreadOptions) {
    super();
    this.store = store;
    this.threadId = threadId;
    this.sync = sync;
    this.observers = [...(opts.observers ?? [])];
  }

  /** Creates the thread in the store; its creation metadata waits for the first user item. */
  static async create(store: ThreadStore, params: CreateThreadParams, opts: CreateLiveThreadOptions = {}): Promise<LiveThread> {
    const sync = ThreadMetadataSync.forCreate(params, opts);
    // a conflict here means the id is taken (the store's own message says how)
    await store.createThread(params);
    return new LiveThread(store, params.threadId, sync, opts);
  }

  /** Reopens a stored thread for writing and replays its history through the metadata sync (no updatedAt). */
  static async resume(store: ThreadStore, threadId: string, opts: ResumeLiveThreadOptions = {}): Promise<LiveThread> {
    try {
      await store.resumeThread(threadId, { includeArchived: opts.includeArchived });
    } catch (e) {
      throw ownershipConflict(threadId, e);
    }
    let history = opts.history;
    if (!history) {
      try {
        history = await store.loadHistory(threadId, { includeArchived: opts.includeArchived });
      } catch (e) {
        await store.discardThread(threadId).catch(() => {});
        throw e;
      }
    }
    const sync = ThreadMetadataSync.forResume(threadId, history, opts);
    // a turn left open in the history belongs to a writer that is gone: it is not running here
    return new LiveThread(store, threadId, sync, opts);
  }

  /** Installs more observers (they see appends from now on). */
  addObservers(...observers: HistoryObserver[]): void {
    this.observers.push(...observers);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether a turn has started and neither completed nor been aborted. */
  get turnRunning(): boolean {
    return this.runningTurn !== null;
  }

  get runningTurnId(): string | null {
    return this.runningTurn?.id ?? null;
  }

  /** Appends raw items: policy → observers → store → metadata patch. */
  appendItems(raw: RolloutItem[]): Promise<AppendResult> {
    return this.serial(async () => {
      const persisted = persistedItems(raw);
      const mutations: unknown[] = [];
      for (const o of this.observers) mutations.push(...o.observeAppend(persisted, raw));
      if (persisted.length === 0) {
        this.trackTurns(raw);
        return { persisted, mutations, metadataPatch: null };
      }
      await this.store.appendItems(this.threadId, persisted);
      this.trackTurns(raw);
      this.emit("appended", persisted, mutations);
      const update = this.sync.observeAppendedItems(persisted);
      if (update) await this.applyUpdate(update);
      return { persisted, mutations, metadataPatch: update?.patch ?? null };
    });
  }

  /** An explicit metadata edit (name, …): the pending derived patch goes first, so the edit wins. */
  updateMetadata(patch: ThreadMetadataPatch): Promise<StoredThread> {
    return this.serial(async () => {
      await this.flushPending();
      return this.store.updateThreadMetadata(this.threadId, patch, { includeArchived: true });
    });
  }

  /** Waits until appended history is durable, then writes a due metadata patch. */
  flush(): Promise<void> {
    return this.serial(async () => {
      await this.store.flushThread(this.threadId);
      await this.flushPending();
    });
  }

  /** Flushes and closes the writer; later mutations fail. Idempotent. */
  shutdown(): Promise<void> {
    if (this.closed) return this.tail.then(() => {});
    const done = this.serial(async () => {
      try {
        await this.flushPending();
        await this.store.flushThread(this.threadId);
      } finally {
        this.closed = true;
        await this.store.shutdownThread(this.threadId);
        this.emit("shutdown");
      }
    });
    return done;
  }

  readThread(opts?: { includeHistory?: boolean }): Promise<StoredThread> {
    return this.store.readThread(this.threadId, { includeArchived: true, ...opts });
  }

  loadHistory(): Promise<RolloutItem[]> {
    return this.store.loadHistory(this.threadId, { includeArchived: true });
  }

  private async flushPending(): Promise<void> {
    const update = this.sync.takePendingForExistingHistory();
    if (update) await this.applyUpdate(update);
  }

  private async applyUpdate(update: PendingMetadataPatch): Promise<void> {
    try {
      await this.store.updateThreadMetadata(this.threadId, update.patch, { includeArchived: true });
    } catch (e) {
      throw new MetadataUpdateError(this.threadId, e);
    }
    this.sync.markApplied(update);
  }

  private trackTurns(items: readonly RolloutItem[]): void {
    for (const item of items) {
      if (item.type !== "event_msg") continue;
      const kind = item.payload.type;
      if (kind === "task_started" || kind === "turn_started") {
        this.runningTurn = { id: turnIdOf(item) };
        this.emit("turnStarted", this.runningTurn.id);
      } else if (kind === "task_complete" || kind === "turn_complete" || kind === "turn_aborted") {
        if (!this.runningTurn) continue;
        const id = this.runningTurn.id;
        this.runningTurn = null;
        this.emit("turnEnded", id);
      }
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.closed) throw new ThreadStoreError("not_found", `thread not loaded: ${this.threadId}`);
      return fn();
    });
    this.tail = run.catch(() => {});
    return run;
  }
}
