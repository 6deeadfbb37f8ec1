// ThreadManager: which threads are loaded, and who writes them. A loaded thread has exactly one
// owner, its LiveThread, and every mutation goes through it; a cold thread is mutated straight
// through the store. Connections subscribe to loaded threads; a thread with no subscriber and no
// running turn unloads after an idle delay (default 30 min) and emits `closed`.
//
// One writer per thread: inside a process, two managers over the same store object cannot own
// the same thread; across processes the store's writer lock (createThread/resumeThread) refuses
// a second writer with ThreadStoreError("conflict"), reported with a message saying so.
import { EventEmitter } from "node:events";
import { persistedItems } from "../rollout/policy.js";
import {
  ThreadStoreError,
  type CreateThreadParams,
  type RolloutItem,
  type StoredThread,
  type ThreadMetadataPatch,
  type ThreadStore,
} from "../store/types.js";
import {
  LiveThread,
  type CreateLiveThreadOptions,
  type HistoryObserver,
  type ResumeLiveThreadOptions,
} from "./live-thread.js";
import type { MetadataSyncOptions } from "../metadata/sync.js";

export const DEFAULT_IDLE_UNLOAD_MS = 30 * 60 * 1000;

export type CloseReason = "idle" | "unloaded" | "archived" | "deleted" | "shutdown";

export interface ThreadManagerEvents {
  loaded: [threadId: string];
  closed: [threadId: string, reason: CloseReason];
}

export interface ThreadManagerOptions extends MetadataSyncOptions {
  /** Unload a thread this long after it has no subscriber and no running turn. Default 30 min. */
  idleUnloadMs?: number;
  /** Observers installed on every thread this manager loads (a fresh set per thread). */
  observers?: (threadId: string) => HistoryObserver[];
}

/** Thread ids owned by some manager, per store object: a second in-process owner is a conflict. */
const owners = new WeakMap<object, Map<string, ThreadManager>>();

interface Loaded {
  live: LiveThread;
  subscribers: Set<string>;
  idleTimer: NodeJS.Timeout | null;
}

export class ThreadManager extends EventEmitter<ThreadManagerEvents> {
  readonly store: ThreadStore;
  private readonly idleUnloadMs: number;
  private readonly opts: ThreadManagerOptions;
  private readonly loaded = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<LiveThread>>();
  private readonly coldWrites = new Map<string, Promise<void>>();

  constructor(store: ThreadStore, opts: ThreadManagerOptions = {}) {
    super();
    this.store = store;
    this.opts = opts;
    this.idleUnloadMs = opts.idleUnloadMs ?? DEFAULT_IDLE_UNLOAD_MS;
  }

  // ---- loading ----

  /** Creates a thread and loads it (this manager becomes its writer). */
  async create(params: CreateThreadParams, opts: CreateLiveThreadOptions = {}): Promise<LiveThread> {
    const id = params.threadId;
    if (this.loaded.has(id) || this.loading.has(id)) throw ThreadStoreError.conflict(`thread ${id} is already loaded`);
    return this.track(id, () => LiveThread.create(this.store, params, this.liveOpts(id, opts)));
  }

  /** Loads a stored thread for writing, or returns its LiveThread if it is loaded already. */
  async resume(threadId: string, opts: ResumeLiveThreadOptions = {}): Promise<LiveThread> {
    const loaded = this.loaded.get(threadId);
    if (loaded) return loaded.live;
    const pending = this.loading.get(threadId);
    if (pending) return pending;
    return this.track(threadId, () => LiveThread.resume(this.store, threadId, this.liveOpts(threadId, opts)));
  }

  /** Same as resume: the loaded LiveThread, loading it if needed. */
  load(threadId: string, opts: ResumeLiveThreadOptions = {}): Promise<LiveThread> {
    return this.resume(threadId, opts);
  }

  get(threadId: string): LiveThread | undefined {
    return this.loaded.get(threadId)?.live;
  }

  isLoaded(threadId: string): boolean {
    return this.loaded.has(threadId);
  }

  loadedThreadIds(): string[] {
    return [...this.loaded.keys()];
  }

  /** Shuts the thread's writer down and forgets it. False when it was not loaded. */
  async unload(threadId: string, reason: CloseReason = "unloaded"): Promise<boolean> {
    const entry = this.loaded.get(threadId);
    if (!entry) return false;
    this.loaded.delete(threadId);
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    try {
      await entry.live.shutdown();
    } finally {
      this.releaseOwnership(threadId);
      this.emit("closed", threadId, reason);
    }
    return true;
  }

  /** Unloads every thread. */
  async shutdown(): Promise<void> {
    const results = await Promise.allSettled([...this.loaded.keys()].map((id) => this.unload(id, "shutdown")));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  // ---- mutations: loaded threads through their LiveThread, cold ones through the store ----

  /**
   * Loaded: policy, observers, append, metadata (LiveThread). Cold: the persisted items straight
   * to the store (no derived metadata), and the writer the store opened for them (with its lock)
   * is given back at once. A cold thread owned by another manager of this process is a conflict.
   */
  async appendItems(threadId: string, items: RolloutItem[]): Promise<void> {
    await this.loading.get(threadId)?.catch(() => {});
    const live = this.get(threadId);
    if (live) {
      await live.appendItems(items);
      return;
    }
    const persisted = persistedItems(items);
    if (persisted.length === 0) return;
    await this.coldWrite(threadId, () => this.store.appendItems(threadId, persisted));
  }

  updateMetadata(threadId: string, patch: ThreadMetadataPatch): Promise<StoredThread> {
    const live = this.get(threadId);
    if (live) return live.updateMetadata(patch);
    return this.store.updateThreadMetadata(threadId, patch, { includeArchived: true });
  }

  /** Sets (or, with null, clears) the thread's name, loaded or not. */
  setName(threadId: string, name: string | null): Promise<StoredThread> {
    return this.updateMetadata(threadId, { name });
  }

  /** Reads through the store; a loaded thread is flushed first so the read sees its appends. */
  async read(threadId: string, opts: { includeArchived?: boolean; includeHistory?: boolean } = {}): Promise<StoredThread> {
    await this.get(threadId)?.flush();
    return this.store.readThread(threadId, opts);
  }

  /** Archives the thread; a loaded one is unloaded first. */
  async archive(threadId: string): Promise<void> {
    await this.unload(threadId, "archived");
    await this.store.archiveThread(threadId);
  }

  unarchive(threadId: string): Promise<StoredThread> {
    return this.store.unarchiveThread(threadId);
  }

  /** Deletes the thread; a loaded one is unloaded first. */
  async delete(threadId: string): Promise<void> {
    await this.unload(threadId, "deleted");
    await this.store.deleteThread(threadId);
  }

  // ---- subscribers and idle unload ----

  /** Subscribes a connection to a loaded thread (cancels a pending idle unload). */
  subscribe(threadId: string, connId: string): void {
    const entry = this.loaded.get(threadId);
    if (!entry) throw ThreadStoreError.invalid(`thread not loaded: ${threadId}`);
    entry.subscribers.add(connId);
    this.clearIdle(entry);
  }

  /** Unsubscribes; the last one leaving starts the idle countdown. False when it was not subscribed. */
  unsubscribe(threadId: string, connId: string): boolean {
    const entry = this.loaded.get(threadId);
    if (!entry || !entry.subscribers.delete(connId)) return false;
    this.scheduleIdle(threadId);
    return true;
  }

  /** Drops a connection from every thread (connection closed). */
  unsubscribeAll(connId: string): void {
    for (const id of [...this.loaded.keys()]) this.unsubscribe(id, connId);
  }

  subscribers(threadId: string): string[] {
    return [...(this.loaded.get(threadId)?.subscribers ?? [])];
  }

  // ---- internals ----

  private liveOpts<T extends CreateLiveThreadOptions | ResumeLiveThreadOptions>(threadId: string, opts: T): T {
    const observers = [...(this.opts.observers?.(threadId) ?? []), ...(opts.observers ?? [])];
    return { touchIntervalMs: this.opts.touchIntervalMs, now: this.opts.now, ...opts, observers };
  }

  /** One cold write at a time per thread; a load waits for them (see track). */
  private coldWrite(threadId: string, write: () => Promise<void>): Promise<void> {
    this.claimOwnership(threadId);
    const run = (this.coldWrites.get(threadId) ?? Promise.resolve()).then(async () => {
      try {
        await write();
      } finally {
        // the store opened (and locked) the thread for this write only
        await this.store.shutdownThread(threadId).catch(() => {});
      }
    });
    const tail: Promise<void> = run
      .catch(() => {})
      .then(() => {
        if (this.coldWrites.get(threadId) !== tail) return;
        this.coldWrites.delete(threadId);
        if (!this.loaded.has(threadId) && !this.loading.has(threadId)) this.releaseOwnership(threadId);
      });
    this.coldWrites.set(threadId, tail);
    return run;
  }

  private async track(threadId: string, open: () => Promise<LiveThread>): Promise<LiveThread> {
    this.claimOwnership(threadId);
    const p = (async () => {
      try {
        await this.coldWrites.get(threadId);
        const live = await open();
        const entry: Loaded = { live, subscribers: new Set(), idleTimer: null };
        this.loaded.set(threadId, entry);
        live.on("turnStarted", () => this.clearIdle(entry));
        live.on("turnEnded", () => this.scheduleIdle(threadId));
        this.emit("loaded", threadId);
        this.scheduleIdle(threadId);
        return live;
      } catch (e) {
        this.releaseOwnership(threadId);
        throw e;
      } finally {
        this.loading.delete(threadId);
      }
    })();
    this.loading.set(threadId, p);
    return p;
  }

  private claimOwnership(threadId: string): void {
    let map = owners.get(this.store);
    if (!map) owners.set(this.store, (map = new Map()));
    const owner = map.get(threadId);
    if (owner && owner !== this) {
      throw ThreadStoreError.conflict(`thread ${threadId} is already open for writing by another thread manager in this process`);
    }
    map.set(threadId, this);
  }

  private releaseOwnership(threadId: string): void {
    const map = owners.get(this.store);
    if (map?.get(threadId) === this) map.delete(threadId);
  }

  private clearIdle(entry: Loaded): void {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
  }

  private scheduleIdle(threadId: string): void {
    const entry = this.loaded.get(threadId);
    if (!entry) return;
    this.clearIdle(entry);
    if (entry.subscribers.size > 0 || entry.live.turnRunning) return;
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = null;
      if (this.loaded.get(threadId) !== entry || entry.subscribers.size > 0 || entry.live.turnRunning) return;
      this.unload(threadId, "idle").catch(() => {});
    }, this.idleUnloadMs);
    entry.idleTimer.unref?.();
  }
}
