// LocalThreadStore: threads as Codex rollouts in a Codex home, written so Codex 0.169.0 reads and
// resumes them, with Spool's SQLite beside them (never Codex's *.sqlite files).
//
// Layout and format: `sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<id>.jsonl` (local time of
// creation), one `{"timestamp","type","payload"}` line per item, first line `session_meta` with
// history_mode "legacy" (see src/rollout/writer-format.ts for why not "paginated"). The file is
// created at the first append (or the first metadata update / archive of the thread).
//
// Durability and ordering (the fsync policy is detailed in writer.ts):
//  - appendItems resolves once its lines are fdatasync'ed (group commit: concurrent appends on a
//    thread share one write and one fdatasync); a new file also fsyncs its directories.
//  - Spool's SQLite is only ever written after the JSONL it describes is durable: after each
//    batch, the index row of the file is refreshed from the durable bytes (HomeIndex.refreshFile),
//    so a just-written thread lists at once; the metadata row of a new thread is inserted after
//    its file exists durably. `spool index rebuild` derives the same index rows from the JSONL.
//  - names are history: a name patch appends `thread_name_updated` to the rollout (durable), then
//    appends to `session_index.jsonl` (fsynced); clearing a name (null) appends the event with a
//    null name and rewrites session_index.jsonl without the thread's entries (temp file, fsync,
//    rename, directory fsync). Every other patched field goes to `<home>/spool/metadata.sqlite`.
//  - archive, unarchive and delete move or remove the rollout, fsyncing its directories, before
//    the SQLite rows change (thread-files.ts details each).
//
// One writer per thread across processes, with the lock in lock.ts: thread-writers.ts says which
// operations take it and for how long. Metadata-only patches need no lock: they are one SQLite
// transaction.
import { unlink } from "node:fs/promises";
import { activeRolloutPath } from "../../rollout/layout.js";
import { readRollout } from "../../rollout/reader.js";
import { appendSessionIndex } from "../../rollout/session-index.js";
import { formatRolloutItem, formatRolloutLine, sessionMetaPayload } from "../../rollout/writer-format.js";
import type { JsonObject } from "../../rollout/line.js";
import type { IndexRow } from "./index-db.js";
import { HomeIndex } from "./home-index.js";
import { listStoredThreads } from "./list-stored-threads.js";
import { acquireThreadLock, foreignWriterConflict, withThreadLock, type ThreadLock } from "./lock.js";
import { MetaStore, overlay, type MetaEntry } from "./meta-db.js";
import { errno, toStoreError } from "./store-errors.js";
import { derivedFields, patchBits, storedThread } from "./stored-thread.js";
import { archiveRollout, deleteRollout, removeFromSessionIndex, unarchiveRollout, type ThreadFiles } from "./thread-files.js";
import { ThreadWriters } from "./thread-writers.js";
import { holdsCompleteLine, type WriterStats } from "./writer.js";
import { applyPatch, initialFields, isThreadId, normalizeList, validateCreateParams, validateItems, validatePatch } from "../memory/semantics.js";
import {
  THREAD_STORE_OPERATIONS,
  ThreadStoreError,
  type CreateThreadParams,
  type ListThreadsParams,
  type RolloutItem,
  type StoredThread,
  type ThreadMetadataPatch,
  type ThreadPage,
  type ThreadStore,
} from "../types.js";

export interface LocalThreadStoreOptions {
  home: string;
  /** Provider of threads whose session_meta names none (config.toml's; `LocalThreadStore.open` reads it). */
  defaultProvider: string;
  /** An index to share (the app-server's); by default the store opens its own over the home. */
  index?: HomeIndex;
  /** fdatasync every batch (default true). Off only for tests that measure something else. */
  fsync?: boolean;
  /** Clock in ms since the epoch (tests). */
  now?: () => number;
  warn?: (msg: string) => void;
}

export class LocalThreadStore implements ThreadStore {
  readonly home: string;
  readonly index: HomeIndex;
  private readonly meta: MetaStore;
  private readonly ownsIndex: boolean;
  private readonly fsync: boolean;
  private readonly now: () => number;
  private readonly warn: (msg: string) => void;
  private readonly defaultProvider: string;
  private readonly writers: ThreadWriters;
  private closed = false;

  constructor(opts: LocalThreadStoreOptions) {
    this.home = opts.home;
    this.fsync = opts.fsync ?? true;
    this.now = opts.now ?? Date.now;
    this.warn = opts.warn ?? (() => {});
    const provider = opts.defaultProvider;
    this.defaultProvider = provider;
    this.ownsIndex = !opts.index;
    this.index = opts.index ?? new HomeIndex({ home: opts.home, defaultProvider: provider, warn: this.warn });
    this.meta = new MetaStore(this.index.db, opts.home, { warn: this.warn });
    this.writers = new ThreadWriters({
      home: this.home,
      fsync: this.fsync,
      warn: this.warn,
      index: this.index,
      meta: this.meta,
      requireRow: (id, includeArchived) => this.requireRow(id, includeArchived),
    });
    for (const op of THREAD_STORE_OPERATIONS) {
      const fn = this[op].bind(this) as (...args: unknown[]) => Promise<unknown>;
      (this as unknown as Record<string, unknown>)[op] = (...args: unknown[]) => fn(...args).catch((e: unknown) => Promise.reject(toStoreError(op, e)));
    }
  }

  /** A store over `home` whose default provider comes from its config.toml (when not given). */
  static async open(opts: Omit<LocalThreadStoreOptions, "defaultProvider"> & { defaultProvider?: string }): Promise<LocalThreadStore> {
    let defaultProvider = opts.defaultProvider;
    if (!defaultProvider) {
      // loaded on demand: the config parser is a large import for short-lived writers
      const { loadConfig, DEFAULT_PROVIDER } = await import("../../config/config.js");
      try {
        defaultProvider = loadConfig(opts.home).modelProvider;
      } catch {
        defaultProvider = DEFAULT_PROVIDER;
      }
    }
    return new LocalThreadStore({ ...opts, defaultProvider });
  }

  // ---- plumbing ----

  private live(): void {
    if (this.closed) throw new ThreadStoreError("internal", "store is closed");
  }

  private async findRow(id: string): Promise<IndexRow | null> {
    if (!isThreadId(id)) return null;
    await this.index.ensureFresh();
    let row = this.index.get(id);
    if (!row) {
      await this.index.ensureFresh(true);
      row = this.index.get(id);
    }
    return row;
  }

  private async requireRow(id: string, includeArchived: boolean): Promise<IndexRow> {
    const row = await this.findRow(id);
    if (!row || (row.archived && !includeArchived)) throw ThreadStoreError.notFound(id);
    return row;
  }

  private stored(row: IndexRow, entry: MetaEntry | null): StoredThread {
    return storedThread(row, entry, this.defaultProvider);
  }

  /** The files and rows that archive, unarchive and delete change. */
  private files(): ThreadFiles {
    return { home: this.home, fsync: this.fsync, now: this.now, index: this.index, meta: this.meta };
  }

  /** Group-commit counters of a thread's open writer (tests, benchmarks), or null when not open. */
  writerStats(threadId: string): WriterStats | null {
    const t = this.writers.get(threadId);
    return t ? { ...t.writer.stats } : null;
  }

  // ---- ThreadStore ----

  async createThread(params: CreateThreadParams): Promise<void> {
    this.live();
    validateCreateParams(params);
    const id = params.threadId;
    return this.writers.serial(id, async () => {
      if (this.writers.has(id)) throw ThreadStoreError.conflict(`thread ${id} already exists`);
      const row = await this.findRowFast(id);
      // a row whose file has no whole line is a creation killed before its first line was durable
      if (row && row.scan_lines > 0) throw ThreadStoreError.conflict(`thread ${id} already exists`);
      const lock = await acquireThreadLock(this.home, id, "create");
      if (row) await this.dropInterruptedCreation(id, row.path, lock);
      const createdAt = params.createdAt ?? new Date(this.now());
      const path = activeRolloutPath(this.home, createdAt, id);
      const header: RolloutItem = { type: "session_meta", payload: sessionMetaPayload(params, createdAt) };
      const headerLine = formatRolloutItem(header, createdAt);
      const fields = initialFields(structuredClone(params), createdAt.getTime());
      this.writers.openNew(id, path, headerLine, lock, { fields, header });
    });
  }

  /** Under the thread's lock: removes a rollout that still holds no whole line (nothing in it was acknowledged). */
  private async dropInterruptedCreation(id: string, path: string, lock: ThreadLock): Promise<void> {
    if (await holdsCompleteLine(path).catch(() => false)) {
      await lock.release();
      throw ThreadStoreError.conflict(`thread ${id} already exists`);
    }
    await unlink(path).catch(() => {});
    this.index.removeThread(id);
  }

  /** An existing row, without forcing a full rescan (create must stay cheap). */
  private async findRowFast(id: string): Promise<IndexRow | null> {
    await this.index.ensureFresh();
    return this.index.get(id);
  }

  /** Opens an existing thread for appending: takes its writer lock, repairs a torn tail. */
  async resumeThread(threadId: string, opts: { includeArchived?: boolean } = {}): Promise<void> {
    this.live();
    await this.writers.serial(threadId, () => this.writers.openForAppend(threadId, opts.includeArchived ?? false, true));
  }

  async appendItems(threadId: string, items: RolloutItem[]): Promise<void> {
    this.live();
    validateItems(threadId, items);
    if (!items.length) {
      if (!this.writers.has(threadId)) await this.requireRow(threadId, true);
      return;
    }
    const at = this.now();
    let text: string;
    try {
      text = items.map((it) => formatRolloutItem(it, at)).join("");
    } catch (e) {
      throw ThreadStoreError.invalid(`appendItems(${threadId}): items must be JSON (${(e as Error).message})`);
    }
    return this.writers.withWriter(threadId, true, (t) => t.writer.append(text));
  }

  async flushThread(threadId: string): Promise<void> {
    this.live();
    const t = this.writers.get(threadId);
    if (t) return t.writer.flush();
    await this.requireRow(threadId, true);
  }

  async shutdownThread(threadId: string): Promise<void> {
    this.live();
    await this.writers.serial(threadId, async () => {
      const t = this.writers.get(threadId);
      if (!t) return;
      const lock = await this.writers.detach(t);
      await lock.release();
    });
  }

  /** Drops the writer; a created thread that never reached the disk is forgotten. */
  async discardThread(threadId: string): Promise<void> {
    return this.shutdownThread(threadId);
  }

  /** The conflict a write would get because another live process is the thread's writer (null: none). */
  foreignWriter(threadId: string): Promise<ThreadStoreError | null> {
    return foreignWriterConflict(this.home, threadId);
  }

  async updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch, opts: { includeArchived?: boolean } = {}): Promise<StoredThread> {
    this.live();
    validatePatch(threadId, patch);
    const includeArchived = opts.includeArchived ?? false;
    const open = this.writers.get(threadId);
    if (open?.pending) await open.writer.materialize();
    if (patch.name !== undefined) await this.setName(threadId, patch.name, includeArchived);
    const row = await this.requireRow(threadId, includeArchived);
    const bits = patchBits(patch);
    const write = () =>
      this.meta.update(threadId, (cur) => {
        if (!bits) return null;
        const derived = derivedFields(row, this.defaultProvider);
        const next = applyPatch(overlay(derived, cur), patch);
        return { fields: next, bits: (cur?.bits ?? 0) | bits };
      });
    // a thread another process writes is that process's to patch: take its lock for this write
    // unless our own writer holds it (a conflict names the holder)
    const entry = !bits || this.writers.get(threadId) ? write() : await withThreadLock(this.home, threadId, "metadata", write);
    return this.stored(row, entry ?? this.meta.get(threadId));
  }

  private async setName(id: string, name: string | null, includeArchived: boolean): Promise<void> {
    await this.writers.withWriter(id, includeArchived, async (t) => {
      const at = this.now();
      const event: JsonObject = { type: "thread_name_updated", thread_id: id, thread_name: name };
      await t.writer.append(formatRolloutLine("event_msg", event, at));
      if (name !== null) await appendSessionIndex(this.home, id, name, new Date(at));
      else await removeFromSessionIndex(this.home, id);
      await this.index.refreshFile(t.writer.path, { end: t.writer.durableSize });
    });
  }

  async readThread(threadId: string, opts: { includeArchived?: boolean; includeHistory?: boolean } = {}): Promise<StoredThread> {
    this.live();
    const t = this.writers.get(threadId);
    let out: StoredThread;
    if (t?.pending) {
      out = { threadId, rolloutPath: t.writer.path, name: null, ...structuredClone(t.pending.fields) };
    } else {
      const row = await this.requireRow(threadId, opts.includeArchived ?? false);
      out = this.stored(row, this.meta.get(threadId));
    }
    if (opts.includeHistory) out.history = await this.loadHistory(threadId, opts);
    return out;
  }

  async loadHistory(threadId: string, opts: { includeArchived?: boolean } = {}): Promise<RolloutItem[]> {
    this.live();
    const t = this.writers.get(threadId);
    if (t?.pending) return [structuredClone(t.pending.header)];
    if (t) await t.writer.flush();
    const row = await this.requireRow(threadId, opts.includeArchived ?? false);
    const path = t && !t.closing ? t.writer.path : row.path;
    const out: RolloutItem[] = [];
    try {
      for await (const { line } of readRollout(path)) out.push({ type: line.type, payload: line.payload });
    } catch (e) {
      if (errno(e) === "ENOENT") throw ThreadStoreError.notFound(threadId);
      throw e;
    }
    return out;
  }

  async listThreads(params: ListThreadsParams): Promise<ThreadPage> {
    this.live();
    const q = normalizeList(params);
    await this.index.ensureFresh();
    return listStoredThreads(this.index.db, this.meta, q, this.defaultProvider);
  }

  async archiveThread(threadId: string): Promise<void> {
    this.live();
    await this.writers.serial(threadId, async () => {
      const t = this.writers.get(threadId);
      if (t?.pending) await t.writer.materialize();
      const row = await this.findRow(threadId);
      if (!row) throw ThreadStoreError.notFound(threadId);
      if (row.archived) throw ThreadStoreError.invalid(`thread ${threadId} is already archived`);
      const { lock } = await this.writers.exclusive(threadId);
      try {
        await archiveRollout(this.files(), row);
      } finally {
        await lock.release();
      }
    });
  }

  async unarchiveThread(threadId: string): Promise<StoredThread> {
    this.live();
    return this.writers.serial(threadId, async () => {
      const row = await this.findRow(threadId);
      if (!row) throw ThreadStoreError.notFound(threadId);
      if (!row.archived) throw ThreadStoreError.invalid(`thread ${threadId} is not archived`);
      const { lock } = await this.writers.exclusive(threadId);
      try {
        await unarchiveRollout(this.files(), row);
      } finally {
        await lock.release();
      }
      const now = this.index.get(threadId);
      if (!now) throw ThreadStoreError.notFound(threadId);
      return this.stored(now, this.meta.get(threadId));
    });
  }

  async deleteThread(threadId: string): Promise<void> {
    this.live();
    await this.writers.serial(threadId, async () => {
      const t = this.writers.get(threadId);
      if (t?.pending) {
        // never reached the disk: nothing to remove but the reservation
        await (await this.writers.detach(t)).release();
        return;
      }
      const row = await this.findRow(threadId);
      if (!row) throw ThreadStoreError.notFound(threadId);
      const { lock } = await this.writers.exclusive(threadId);
      try {
        await deleteRollout(this.files(), row);
      } finally {
        await lock.release();
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.writers.all()) {
      try {
        await (await this.writers.detach(t)).release();
      } catch (e) {
        this.warn(`closing ${t.id}: ${(e as Error).message}`);
      }
    }
    if (this.ownsIndex) this.index.close();
  }
}
