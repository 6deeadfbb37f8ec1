// The open threads of a LocalThreadStore: at most one RolloutWriter per thread with the writer
// lock that goes with it, and the per-thread order of structural operations.
//
// One writer per thread across processes: createThread and resumeThread take the lock in lock.ts
// and keep it until shutdownThread/discardThread/archive/delete/close. An append or a name on a
// cold thread (not created or resumed here) takes it for that write only; archive, unarchive and
// delete take it for the move. Another holder (another process, or another store object in this
// process) makes all of these fail with "conflict". Metadata-only patches need no lock: they are
// one SQLite transaction.
//
// After each durable batch of a writer, the index row of its file is refreshed from the durable
// bytes, and the metadata row of a new thread is inserted once its file exists (afterCommit).
import type { ThreadFields } from "../memory/semantics.js";
import { ThreadStoreError, type RolloutItem } from "../types.js";
import type { HomeIndex } from "./home-index.js";
import type { IndexRow } from "./index-db.js";
import { acquireThreadLock, type ThreadLock } from "./lock.js";
import { ALL_BITS, type MetaStore } from "./meta-db.js";
import { errno } from "./store-errors.js";
import { RolloutWriter, type CommitInfo } from "./writer.js";
import { KeyedQueue } from "../../util/keyed-queue.js";

export interface OpenThread {
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

export interface ThreadWritersOptions {
  home: string;
  fsync: boolean;
  warn: (msg: string) => void;
  index: HomeIndex;
  meta: MetaStore;
  /** The thread's index row; notFound when it has none (or is archived and `includeArchived` is false). */
  requireRow: (id: string, includeArchived: boolean) => Promise<IndexRow>;
}

export class ThreadWriters {
  private readonly threads = new Map<string, OpenThread>();
  private readonly queue = new KeyedQueue();

  constructor(private readonly opts: ThreadWritersOptions) {}

  get(id: string): OpenThread | undefined {
    return this.threads.get(id);
  }

  has(id: string): boolean {
    return this.threads.has(id);
  }

  /** The open threads, as a list (detaching one while iterating is fine). */
  all(): OpenThread[] {
    return [...this.threads.values()];
  }

  /** Runs `fn` after every earlier structural operation on the thread (a per-thread mutex). */
  serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(id, fn);
  }

  private async afterCommit(id: string, c: CommitInfo): Promise<void> {
    if (c.created) {
      const t = this.threads.get(id);
      if (t?.pending) {
        this.opts.meta.put(id, t.pending.fields, ALL_BITS);
        t.pending = null;
      }
    }
    await this.opts.index.refreshFile(c.path, { end: c.size });
  }

  private writerFor(id: string, path: string): { path: string; fsync: boolean; afterCommit: (c: CommitInfo) => Promise<void>; warn: (m: string) => void } {
    return { path, fsync: this.opts.fsync, afterCommit: (c) => this.afterCommit(id, c), warn: this.opts.warn };
  }

  /** The writer of a created thread (held with `lock` until shutdown); its file is created, with `header` first, at the first append. */
  openNew(id: string, path: string, header: string, lock: ThreadLock, pending: NonNullable<OpenThread["pending"]>): void {
    const writer = RolloutWriter.forNewFile({ ...this.writerFor(id, path), header });
    this.threads.set(id, { id, writer, lock, pending, closing: false, explicit: true, users: 0 });
  }

  /** The open writer of a thread, opening (and locking) an existing rollout if needed. Call under serial(). */
  async openForAppend(id: string, includeArchived: boolean, explicit: boolean): Promise<OpenThread> {
    const cur = this.threads.get(id);
    if (cur) {
      if (explicit) cur.explicit = true;
      return cur;
    }
    const { index, warn } = this.opts;
    const row = await this.opts.requireRow(id, includeArchived);
    const lock = await acquireThreadLock(this.opts.home, id, "append");
    try {
      const writer = await RolloutWriter.openExisting(this.writerFor(id, row.path)).catch(async (e) => {
        if (e instanceof ThreadStoreError && e.kind === "not_found") {
          index.removeThread(id); // the interrupted creation's empty file is gone
          throw e;
        }
        if (errno(e) !== "ENOENT") throw e;
        // the index was stale (the file moved or went away): look again
        await index.ensureFresh(true);
        const again = index.get(id);
        if (!again || (again.archived && !includeArchived)) throw ThreadStoreError.notFound(id);
        return RolloutWriter.openExisting(this.writerFor(id, again.path));
      });
      if (writer.stats.tornBytes > 0) {
        warn(`${writer.path}: truncated ${writer.stats.tornBytes} bytes of an unterminated last line`);
        await index.refreshFile(writer.path, { end: writer.durableSize });
      }
      const t: OpenThread = { id, writer, lock, pending: null, closing: false, explicit, users: 0 };
      this.threads.set(id, t);
      return t;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  /**
   * Runs `fn` with the thread's writer, opening it (a cold thread: lock taken) if needed. `fn`
   * must enqueue its append synchronously: the closing check and the enqueue are one step, so an
   * archive/shutdown cannot slip between them. A writer opened here for a cold thread is closed
   * and its lock released once no call uses it any more (createThread/resumeThread keep theirs).
   */
  async withWriter<T>(id: string, includeArchived: boolean, fn: (t: OpenThread) => Promise<T>): Promise<T> {
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

  /** Takes the writer away from appends (they reopen after), closes it; returns its lock. */
  async detach(t: OpenThread): Promise<ThreadLock> {
    t.closing = true;
    this.threads.delete(t.id);
    await t.writer.close();
    return t.lock;
  }

  /** For a structural change: our open writer (closed) and its lock, or a lock taken for the change. */
  async exclusive(id: string): Promise<{ lock: ThreadLock; wasOpen: boolean }> {
    const t = this.threads.get(id);
    if (t) {
      if (t.pending) await t.writer.materialize();
      return { lock: await this.detach(t), wasOpen: true };
    }
    return { lock: await acquireThreadLock(this.opts.home, id, "archive/delete"), wasOpen: false };
  }
}
