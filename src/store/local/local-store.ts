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
//  - archive renames the file into `archived_sessions/` and unarchive back into its date
//    directory (touching its mtime, which is Codex's updatedAt); both fsync the two directories
//    before the SQLite rows change. delete removes the rollout (directory fsynced), then the index
//    and metadata rows; session_index.jsonl entries of deleted threads are left in place (they
//    name no file, so every reader ignores them, and rewriting the shared file races Codex).
//
// One writer per thread across processes: createThread and resumeThread take the lock in lock.ts
// and keep it until shutdownThread/discardThread/archive/delete/close. An append or a name on a
// cold thread (not created or resumed here) takes it for that write only; archive, unarchive and
// delete take it for the move. Another holder (another process, or another store object in this
// process) makes all of these fail with "conflict". Metadata-only patches need no lock: they are
// one SQLite transaction.
import { basename, dirname, join } from "node:path";
import { open, readFile, rename, unlink, utimes } from "node:fs/promises";
import { activeRolloutPath, archivedRolloutPath, SESSION_INDEX_FILE, unarchivedRolloutPath } from "../../rollout/layout.js";
import { readRollout } from "../../rollout/reader.js";
import { appendSessionIndex } from "../../rollout/session-index.js";
import { formatRolloutItem, formatRolloutLine, sessionMetaPayload } from "../../rollout/writer-format.js";
import type { JsonObject } from "../../rollout/line.js";
import { metaFromRow, type IndexRow } from "./index-db.js";
import { HomeIndex } from "./home-index.js";
import { acquireThreadLock, type ThreadLock } from "./lock.js";
import { ALL_BITS, FIELD_BITS, META_SCHEMA, MetaStore, overlay, type MetaEntry } from "./meta-db.js";
import { fsyncDir, mkdirDurable, RolloutWriter, type CommitInfo, type WriterStats } from "./writer.js";
import {
  applyPatch,
  initialFields,
  isThreadId,
  listCursor,
  normalizeList,
  validateCreateParams,
  validateItems,
  validatePatch,
  type ThreadFields,
} from "../memory/semantics.js";
import {
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

interface OpenThread {
  id: string;
  writer: RolloutWriter;
  lock: ThreadLock;
  /** Metadata of a created thread whose file does not exist yet. */
  pending: { fields: ThreadFields; header: RolloutItem } | null;
  /** Set (synchronously) when a structural operation takes the writer away. */
  closing: boolean;
  /** Opened by createThread/resumeThread: kept (with its lock) until shutdown. Otherwise the
   * writer was opened for one cold append or name and is given back when its users are done. */
  explicit: boolean;
  users: number;
}

const PATCH_BITS: Record<string, number> = { ...FIELD_BITS, advanceRecencyAtMs: FIELD_BITS.recencyAtMs };

function patchBits(patch: ThreadMetadataPatch): number {
  let bits = 0;
  for (const [k, v] of Object.entries(patch)) if (v !== undefined && k !== "name") bits |= PATCH_BITS[k] ?? 0;
  return bits;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** Every failure leaves the store as a ThreadStoreError; I/O and SQLite failures are "internal". */
function toStoreError(op: string, e: unknown): ThreadStoreError {
  if (e instanceof ThreadStoreError) return e;
  const err = new ThreadStoreError("internal", `${op} failed: ${(e as Error)?.message ?? String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

const OPERATIONS = [
  "createThread",
  "resumeThread",
  "appendItems",
  "flushThread",
  "shutdownThread",
  "discardThread",
  "updateThreadMetadata",
  "readThread",
  "loadHistory",
  "listThreads",
  "archiveThread",
  "unarchiveThread",
  "deleteThread",
] as const;

export class LocalThreadStore implements ThreadStore {
  readonly home: string;
  readonly index: HomeIndex;
  private readonly meta: MetaStore;
  private readonly ownsIndex: boolean;
  private readonly fsync: boolean;
  private readonly now: () => number;
  private readonly warn: (msg: string) => void;
  private readonly defaultProvider: string;
  private readonly threads = new Map<string, OpenThread>();
  private readonly chains = new Map<string, Promise<unknown>>();
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
    this.meta = new MetaStore(this.index.db, opts.home);
    for (const op of OPERATIONS) {
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

  /** Runs `fn` after every earlier structural operation on the thread (a per-thread mutex). */
  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.chains.set(id, tail);
    void tail.then(() => {
      if (this.chains.get(id) === tail) this.chains.delete(id);
    });
    return run;
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

  /** What the rollout says (the index's derived metadata), as store fields. */
  private derived(row: IndexRow): ThreadFields {
    const m = metaFromRow(row);
    const git = m.gitSha !== null || m.gitBranch !== null || m.gitOriginUrl !== null ? { sha: m.gitSha, branch: m.gitBranch, originUrl: m.gitOriginUrl } : null;
    return {
      sessionId: m.sessionId || row.id,
      forkedFromId: m.forkedFromId,
      parentThreadId: m.parentThreadId,
      preview: m.preview,
      firstUserMessage: m.hasUserEvent ? m.preview : null,
      modelProvider: m.modelProvider ?? this.defaultProvider,
      model: m.model,
      reasoningEffort: m.reasoningEffort,
      createdAtMs: m.createdAtMs,
      updatedAtMs: row.updated_at_ms,
      recencyAtMs: row.recency_at_ms ?? row.updated_at_ms,
      archivedAtMs: row.archived ? row.file_mtime_ms : null,
      cwd: m.cwd,
      cliVersion: m.cliVersion,
      originator: m.originator,
      source: m.source,
      threadSource: m.threadSource,
      agentNickname: m.agentNickname,
      agentRole: m.agentRole,
      gitInfo: git,
      historyMode: m.historyMode,
      tokensUsed: m.tokensUsed,
    };
  }

  private stored(row: IndexRow, entry: MetaEntry | null): StoredThread {
    const fields = overlay(this.derived(row), entry);
    // the file's place is the truth about archiving; the row only remembers when
    fields.archivedAtMs = row.archived ? (entry && entry.bits & FIELD_BITS.archivedAtMs && entry.fields.archivedAtMs !== null ? entry.fields.archivedAtMs : row.file_mtime_ms) : null;
    return { threadId: row.id, rolloutPath: row.path, name: row.name, ...fields };
  }

  private async afterCommit(id: string, c: CommitInfo): Promise<void> {
    if (c.created) {
      const t = this.threads.get(id);
      if (t?.pending) {
        this.meta.put(id, t.pending.fields, ALL_BITS);
        t.pending = null;
      }
    }
    await this.index.refreshFile(c.path, { end: c.size });
  }

  private writerFor(id: string, path: string): { path: string; fsync: boolean; afterCommit: (c: CommitInfo) => Promise<void>; warn: (m: string) => void } {
    return { path, fsync: this.fsync, afterCommit: (c) => this.afterCommit(id, c), warn: this.warn };
  }

  /** The open writer of a thread, opening (and locking) an existing rollout if needed. Call under serial(). */
  private async openForAppend(id: string, includeArchived: boolean, explicit: boolean): Promise<OpenThread> {
    const cur = this.threads.get(id);
    if (cur) {
      if (explicit) cur.explicit = true;
      return cur;
    }
    const row = await this.requireRow(id, includeArchived);
    const lock = await acquireThreadLock(this.home, id, "append");
    try {
      const writer = await RolloutWriter.openExisting(this.writerFor(id, row.path)).catch(async (e) => {
        if (errno(e) !== "ENOENT") throw e;
        // the index was stale (the file moved or went away): look again
        await this.index.ensureFresh(true);
        const again = this.index.get(id);
        if (!again || (again.archived && !includeArchived)) throw ThreadStoreError.notFound(id);
        return RolloutWriter.openExisting(this.writerFor(id, again.path));
      });
      if (writer.stats.tornBytes > 0) {
        this.warn(`${writer.path}: truncated ${writer.stats.tornBytes} bytes of an unterminated last line`);
        await this.index.refreshFile(writer.path, { end: writer.durableSize });
      }
      const t: OpenThread = { id, writer, lock, pending: null, closing: false, explicit, users: 0 };
      this.threads.set(id, t);
      return t;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  /** Takes the writer away from appends (they reopen after), closes it; returns its lock. */
  private async detach(t: OpenThread): Promise<ThreadLock> {
    t.closing = true;
    this.threads.delete(t.id);
    await t.writer.close();
    return t.lock;
  }

  /** For a structural change: our open writer (closed) and its lock, or a lock taken for the change. */
  private async exclusive(id: string): Promise<{ lock: ThreadLock; wasOpen: boolean }> {
    const t = this.threads.get(id);
    if (t) {
      if (t.pending) await t.writer.materialize();
      return { lock: await this.detach(t), wasOpen: true };
    }
    return { lock: await acquireThreadLock(this.home, id, "archive/delete"), wasOpen: false };
  }

  /** Group-commit counters of a thread's open writer (tests, benchmarks), or null when not open. */
  writerStats(threadId: string): WriterStats | null {
    const t = this.threads.get(threadId);
    return t ? { ...t.writer.stats } : null;
  }

  // ---- ThreadStore ----

  async createThread(params: CreateThreadParams): Promise<void> {
    this.live();
    validateCreateParams(params);
    const id = params.threadId;
    return this.serial(id, async () => {
      if (this.threads.has(id) || (await this.findRowFast(id))) throw ThreadStoreError.conflict(`thread ${id} already exists`);
      const lock = await acquireThreadLock(this.home, id, "create");
      const createdAt = params.createdAt ?? new Date(this.now());
      const path = activeRolloutPath(this.home, createdAt, id);
      const header: RolloutItem = { type: "session_meta", payload: sessionMetaPayload(params, createdAt) };
      const writer = RolloutWriter.forNewFile({ ...this.writerFor(id, path), header: formatRolloutItem(header, createdAt) });
      const fields = initialFields(structuredClone(params), createdAt.getTime());
      this.threads.set(id, { id, writer, lock, pending: { fields, header }, closing: false, explicit: true, users: 0 });
    });
  }

  /** An existing row, without forcing a full rescan (create must stay cheap). */
  private async findRowFast(id: string): Promise<IndexRow | null> {
    await this.index.ensureFresh();
    return this.index.get(id);
  }

  /** Opens an existing thread for appending: takes its writer lock, repairs a torn tail. */
  async resumeThread(threadId: string, opts: { includeArchived?: boolean } = {}): Promise<void> {
    this.live();
    await this.serial(threadId, () => this.openForAppend(threadId, opts.includeArchived ?? false, true));
  }

  async appendItems(threadId: string, items: RolloutItem[]): Promise<void> {
    this.live();
    validateItems(threadId, items);
    if (!items.length) {
      if (!this.threads.has(threadId)) await this.requireRow(threadId, true);
      return;
    }
    const at = this.now();
    let text: string;
    try {
      text = items.map((it) => formatRolloutItem(it, at)).join("");
    } catch (e) {
      throw ThreadStoreError.invalid(`appendItems(${threadId}): items must be JSON (${(e as Error).message})`);
    }
    return this.withWriter(threadId, true, (t) => t.writer.append(text));
  }

  /**
   * Runs `fn` with the thread's writer, opening it (a cold thread: lock taken) if needed. `fn`
   * must enqueue its append synchronously: the closing check and the enqueue are one step, so an
   * archive/shutdown cannot slip between them. A writer opened here for a cold thread is closed
   * and its lock released once no call uses it any more (createThread/resumeThread keep theirs).
   */
  private async withWriter<T>(id: string, includeArchived: boolean, fn: (t: OpenThread) => Promise<T>): Promise<T> {
    for (;;) {
      const t = this.threads.get(id) ?? (await this.serial(id, () => this.openForAppend(id, includeArchived, false)));
      if (t.closing) continue;
      t.users++;
      try {
        return await fn(t);
      } finally {
        t.users--;
        if (!t.explicit && t.users === 0) {
          await this.serial(id, async () => {
            if (this.threads.get(id) === t && !t.explicit && t.users === 0) await (await this.detach(t)).release();
          });
        }
      }
    }
  }

  async flushThread(threadId: string): Promise<void> {
    this.live();
    const t = this.threads.get(threadId);
    if (t) return t.writer.flush();
    await this.requireRow(threadId, true);
  }

  async shutdownThread(threadId: string): Promise<void> {
    this.live();
    await this.serial(threadId, async () => {
      const t = this.threads.get(threadId);
      if (!t) return;
      const lock = await this.detach(t);
      await lock.release();
    });
  }

  /** Drops the writer; a created thread that never reached the disk is forgotten. */
  async discardThread(threadId: string): Promise<void> {
    return this.shutdownThread(threadId);
  }

  async updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch, opts: { includeArchived?: boolean } = {}): Promise<StoredThread> {
    this.live();
    validatePatch(threadId, patch);
    const includeArchived = opts.includeArchived ?? false;
    const open = this.threads.get(threadId);
    if (open?.pending) await open.writer.materialize();
    if (patch.name !== undefined) await this.setName(threadId, patch.name, includeArchived);
    const row = await this.requireRow(threadId, includeArchived);
    const bits = patchBits(patch);
    const entry = this.meta.update(threadId, (cur) => {
      if (!bits) return null;
      const derived = this.derived(row);
      const next = applyPatch(overlay(derived, cur), patch);
      return { fields: next, bits: (cur?.bits ?? 0) | bits };
    });
    return this.stored(row, entry ?? this.meta.get(threadId));
  }

  private async setName(id: string, name: string | null, includeArchived: boolean): Promise<void> {
    await this.withWriter(id, includeArchived, async (t) => {
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
    const t = this.threads.get(threadId);
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
    const t = this.threads.get(threadId);
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
    const eff = (bit: number, mcol: string, tcol: string) => `(CASE WHEN (m.set_bits & ${bit}) != 0 THEN m.${mcol} ELSE ${tcol} END)`;
    const sortCol = {
      created_at: eff(FIELD_BITS.createdAtMs, "created_at_ms", "t.created_at_ms"),
      updated_at: eff(FIELD_BITS.updatedAtMs, "updated_at_ms", "t.updated_at_ms"),
      recency_at: eff(FIELD_BITS.recencyAtMs, "recency_at_ms", "coalesce(t.recency_at_ms, t.updated_at_ms)"),
    }[q.sortKey];
    const where = ["t.archived = ?"];
    const args: unknown[] = [q.archived ? 1 : 0];
    const inList = (expr: string, vals: string[]) => {
      where.push(vals.length ? `${expr} IN (${vals.map(() => "?").join(",")})` : "0");
      args.push(...vals);
    };
    if (q.kinds) inList("t.source_kind", q.kinds);
    if (q.providers) inList(eff(FIELD_BITS.modelProvider, "model_provider", "t.model_provider"), q.providers);
    if (q.cwds) inList(eff(FIELD_BITS.cwd, "cwd", "t.cwd"), q.cwds);
    if (q.searchTerm) {
      where.push(`(instr(${eff(FIELD_BITS.preview, "preview", "t.preview")}, ?) > 0 OR instr(coalesce(t.name, ''), ?) > 0)`);
      args.push(q.searchTerm, q.searchTerm);
    }
    const cmp = q.desc ? "<" : ">";
    if (q.after) {
      if (q.after.id) {
        where.push(`(${sortCol} ${cmp} ? OR (${sortCol} = ? AND t.id ${cmp} ?))`);
        args.push(q.after.ms, q.after.ms, q.after.id);
      } else {
        where.push(`${sortCol} ${cmp} ?`);
        args.push(q.after.ms);
      }
    }
    const dir = q.desc ? "DESC" : "ASC";
    const sql = `SELECT t.id, t.path, t.archived, t.file_mtime_ms, t.updated_at_ms, t.recency_at_ms, t.name, t.state, ${sortCol} AS sort_ms, m.id AS meta_id FROM threads t LEFT JOIN ${META_SCHEMA}.thread_meta m ON m.id = t.id
      WHERE ${where.join(" AND ")} ORDER BY sort_ms ${dir}, t.id ${dir} LIMIT ?`;
    const rows = this.index.db.prepare(sql).all(...args, q.pageSize + 1) as Array<IndexRow & { sort_ms: number; meta_id: string | null }>;
    const page = rows.slice(0, q.pageSize);
    const items = page.map((r) => this.stored(r, r.meta_id ? this.meta.get(r.id) : null));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > q.pageSize && last ? listCursor(last.sort_ms, last.id) : null };
  }

  async archiveThread(threadId: string): Promise<void> {
    this.live();
    await this.serial(threadId, async () => {
      const t = this.threads.get(threadId);
      if (t?.pending) await t.writer.materialize();
      const row = await this.findRow(threadId);
      if (!row) throw ThreadStoreError.notFound(threadId);
      if (row.archived) throw ThreadStoreError.invalid(`thread ${threadId} is already archived`);
      const { lock } = await this.exclusive(threadId);
      try {
        const src = row.path;
        const dst = archivedRolloutPath(this.home, basename(src));
        await this.move(src, dst);
        const at = this.now();
        this.meta.update(threadId, (cur) => (cur ? { fields: { ...cur.fields, archivedAtMs: at }, bits: cur.bits | FIELD_BITS.archivedAtMs } : null));
        await this.index.refreshFile(dst, { previousPath: src });
      } finally {
        await lock.release();
      }
    });
  }

  async unarchiveThread(threadId: string): Promise<StoredThread> {
    this.live();
    return this.serial(threadId, async () => {
      const row = await this.findRow(threadId);
      if (!row) throw ThreadStoreError.notFound(threadId);
      if (!row.archived) throw ThreadStoreError.invalid(`thread ${threadId} is not archived`);
      const { lock } = await this.exclusive(threadId);
      try {
        const src = row.path;
        const dst = unarchivedRolloutPath(this.home, basename(src));
        if (!dst) throw new ThreadStoreError("internal", `cannot tell the date directory of ${src}`);
        await this.move(src, dst);
        const at = this.now();
        // Codex's updatedAt is the file's mtime: unarchiving touches it
        await utimes(dst, at / 1000, at / 1000);
        this.meta.update(threadId, (cur) => {
          if (!cur) return null;
          const fields = { ...cur.fields, archivedAtMs: null };
          if (cur.bits & FIELD_BITS.updatedAtMs) fields.updatedAtMs = at;
          return { fields, bits: cur.bits };
        });
        await this.index.refreshFile(dst, { previousPath: src });
      } finally {
        await lock.release();
      }
      const now = this.index.get(threadId);
      if (!now) throw ThreadStoreError.notFound(threadId);
      return this.stored(now, this.meta.get(threadId));
    });
  }

  /** rename(2) with both directories fsynced (and any directory created for the target). */
  private async move(src: string, dst: string): Promise<void> {
    const dirs = await mkdirDurable(dirname(dst));
    try {
      await rename(src, dst);
    } catch (e) {
      if (errno(e) === "ENOENT") throw ThreadStoreError.notFound(basename(src));
      throw e;
    }
    if (this.fsync) {
      await fsyncDir(dirname(dst));
      await fsyncDir(dirname(src));
      for (const d of dirs) if (d !== dirname(dst)) await fsyncDir(d);
    }
  }

  async deleteThread(threadId: string): Promise<void> {
    this.live();
    await this.serial(threadId, async () => {
      const t = this.threads.get(threadId);
      if (t?.pending) {
        // never reached the disk: nothing to remove but the reservation
        await (await this.detach(t)).release();
        return;
      }
      const row = await this.findRow(threadId);
      if (!row) throw ThreadStoreError.notFound(threadId);
      const { lock } = await this.exclusive(threadId);
      try {
        try {
          await unlink(row.path);
        } catch (e) {
          if (errno(e) !== "ENOENT") throw e;
        }
        if (this.fsync) await fsyncDir(dirname(row.path));
        this.meta.delete(threadId);
        this.index.removeThread(threadId);
      } finally {
        await lock.release();
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [...this.threads.values()]) {
      try {
        await (await this.detach(t)).release();
      } catch (e) {
        this.warn(`closing ${t.id}: ${(e as Error).message}`);
      }
    }
    if (this.ownsIndex) this.index.close();
  }
}

/** Rewrites session_index.jsonl without a thread's entries (temp file, fsync, rename, dir fsync). */
async function removeFromSessionIndex(home: string, id: string): Promise<void> {
  const file = join(home, SESSION_INDEX_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if (errno(e) === "ENOENT") return;
    throw e;
  }
  const kept = text.split("\n").filter((l) => {
    if (!l.trim()) return false;
    try {
      return (JSON.parse(l) as { id?: unknown }).id !== id;
    } catch {
      return true;
    }
  });
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(kept.length ? kept.join("\n") + "\n" : "");
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(home);
}
