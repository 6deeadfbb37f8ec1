// RolloutWriter: the one appender of a rollout file, with group commit.
//
// Durability (fsync) policy:
//  - Appends are queued. A batch is every line queued when the previous batch finished (plus all
//    appends made in the same event-loop turn), written with one write(2) (O_APPEND) and made
//    durable with one fdatasync(2) (it covers the file size, which is all an append changes).
//    Each append's promise resolves only after its batch's fdatasync, and after the index
//    callback (`afterCommit`) that must never run ahead of the durable bytes.
//  - A new file is created with O_EXCL at its first batch (lazily, with the session_meta line
//    first). After that batch's fdatasync, the file's directory is fsynced, and every directory
//    created for it (sessions/YYYY/MM/DD) together with its parent, so the new name is durable
//    too. Renames (archive/unarchive) fsync both directories (see local-store.ts).
//  - With `fsync: false` (tests, benchmarks of the format alone) no sync is issued at all.
//
// Torn tails: a crash can leave a partial last line (a batch is acknowledged only after it is
// complete and synced, so such a line was never acknowledged). When an existing file is opened
// for appending, an unterminated tail that is not whole JSON is truncated back to the last "\n"
// and the truncation is synced before anything new is written; a whole JSON line that only lacks
// its "\n" (another writer's complete line) is kept and terminated instead. Truncating (rather than starting with "\n") keeps every
// line of the file parseable for Codex and for Spool; the bytes cut were never acknowledged.
//
// A failed write is rolled back by truncating to the size before the batch and the batch is
// rejected; if that truncate or an fdatasync fails, the writer is poisoned (the file's state is
// unknown after a failed fsync) and every later append fails until the thread is reopened.
import { constants } from "node:fs";
import { mkdir, open, unlink, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { ThreadStoreError } from "../types.js";
import { MAX_LINE_BYTES } from "../../rollout/line-limit.js";

const NL = 10;
const MAX_BATCH_BYTES = 16 << 20;

export interface CommitInfo {
  path: string;
  /** File size after the batch: every byte below it is durable. */
  size: number;
  /** This batch created the file. */
  created: boolean;
  bytes: number;
  appends: number;
}

export interface RolloutWriterOptions {
  path: string;
  fsync: boolean;
  /** The first line of a file this writer creates (session_meta); set for a thread not yet on disk. */
  header?: string;
  /** Runs after each durable batch, before its appends resolve (index refresh). Errors go to `warn`. */
  afterCommit?: (info: CommitInfo) => Promise<void>;
  warn?: (msg: string) => void;
}

interface Entry {
  bytes: Buffer | null;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface WriterStats {
  batches: number;
  appends: number;
  bytes: number;
  /** Bytes cut from an unterminated tail when the file was opened. */
  tornBytes: number;
}

/** fsync a directory so a created or renamed entry in it is durable (no-op where unsupported). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "EBADF") throw e;
  } finally {
    await fh?.close();
  }
}

/** Creates `dir` (and parents) and returns the directories whose entries changed (to fsync). */
export async function mkdirDurable(dir: string): Promise<string[]> {
  const first = await mkdir(dir, { recursive: true });
  if (!first) return [];
  const out = [dirname(first)];
  for (let d = dir; d.length >= first.length; d = dirname(d)) {
    out.push(d);
    if (d === first) break;
  }
  return out;
}

/** Whether the file has at least one newline-terminated line. */
export async function holdsCompleteLine(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.allocUnsafe(64 << 10);
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return false;
      if (buf.subarray(0, bytesRead).includes(NL)) return true;
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Ends the file on a line boundary before appending. A last line without "\n" that parses as JSON
 * is complete (a writer that stopped before its newline, or an editor): it gets its newline. Any
 * other unterminated tail is torn and is cut back to just after the last "\n". Returns bytes cut.
 */
export async function truncateTornTail(fh: FileHandle, size: number, fsync: boolean): Promise<number> {
  if (size === 0) return 0;
  const one = Buffer.alloc(1);
  await fh.read(one, 0, 1, size - 1);
  if (one[0] === NL) return 0;
  const chunk = Buffer.allocUnsafe(64 << 10);
  let end = size;
  let keep = 0;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await fh.read(chunk, 0, end - start, start);
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(NL);
    if (nl >= 0) {
      keep = start + nl + 1;
      break;
    }
    end = start;
  }
  if (await isCompleteJson(fh, keep, size)) {
    await fh.write("\n", null);
    if (fsync) await fh.datasync();
    return -1;
  }
  await fh.truncate(keep);
  if (fsync) await fh.datasync();
  return size - keep;
}

/** Whether bytes [start, end) are one whole JSON value (too long to decode counts as not). */
async function isCompleteJson(fh: FileHandle, start: number, end: number): Promise<boolean> {
  if (end - start > MAX_LINE_BYTES) return false;
  const buf = Buffer.allocUnsafe(end - start);
  const { bytesRead } = await fh.read(buf, 0, buf.length, start);
  try {
    JSON.parse(buf.toString("utf8", 0, bytesRead));
    return true;
  } catch {
    return false;
  }
}

export class RolloutWriter {
  readonly path: string;
  private fh: FileHandle | null = null;
  private size = 0;
  private header: string | null;
  /** Directories created for a new file (fsynced with its first batch). */
  private newDirs: string[] = [];
  private queue: Entry[] = [];
  private running = false;
  private scheduled = false;
  private failed: Error | null = null;
  private closed = false;
  private idle: Array<() => void> = [];
  readonly stats: WriterStats = { batches: 0, appends: 0, bytes: 0, tornBytes: 0 };

  private constructor(private readonly opts: RolloutWriterOptions) {
    this.path = opts.path;
    this.header = opts.header ?? null;
  }

  /** A writer for a thread whose file does not exist yet: created with `header` at the first append. */
  static forNewFile(opts: RolloutWriterOptions & { header: string }): RolloutWriter {
    return new RolloutWriter(opts);
  }

  /** Opens an existing rollout for appending, truncating a torn tail first. */
  static async openExisting(opts: RolloutWriterOptions): Promise<RolloutWriter> {
    const w = new RolloutWriter({ ...opts, header: undefined });
    const fh = await open(opts.path, constants.O_RDWR | constants.O_APPEND);
    try {
      const { size } = await fh.stat();
      const cut = await truncateTornTail(fh, size, opts.fsync);
      // -1: a complete last line got its newline
      w.stats.tornBytes = Math.max(0, cut);
      w.size = cut < 0 ? size + 1 : size - cut;
      // nothing left (not even session_meta): the creation was interrupted before its first line
      // was durable, so the thread never existed; appending would leave a file without a header
      if (w.size === 0) {
        await unlink(opts.path);
        throw new ThreadStoreError("not_found", `${opts.path} holds no history: its creation was interrupted (the empty file was removed)`);
      }
    } catch (e) {
      await fh.close();
      throw e;
    }
    w.fh = fh;
    return w;
  }

  /** Whether the file exists (false until the first batch of a new thread). */
  get materialized(): boolean {
    return this.header === null;
  }

  get durableSize(): number {
    return this.size;
  }

  /** Queues serialized lines (each ending in "\n"); resolves once they are durable. */
  append(text: string): Promise<void> {
    return this.enqueue(Buffer.from(text, "utf8"));
  }

  /** Creates the file (with its header) if it does not exist yet; resolves once that is durable. */
  materialize(): Promise<void> {
    return this.header === null ? this.flush() : this.enqueue(Buffer.alloc(0));
  }

  /** Resolves once everything appended before it is durable (no I/O if nothing is pending). */
  flush(): Promise<void> {
    if (!this.running && !this.scheduled && !this.queue.length) return this.failed ? Promise.reject(this.failed) : Promise.resolve();
    return this.enqueue(null);
  }

  private enqueue(bytes: Buffer | null): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new ThreadStoreError("internal", `rollout writer for ${this.path} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      if (!this.running && !this.scheduled) {
        this.scheduled = true;
        // appends made in this event-loop turn join the first batch
        setImmediate(() => {
          this.scheduled = false;
          void this.drain();
        });
      }
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length) {
        let total = 0;
        let n = 0;
        while (n < this.queue.length && (n === 0 || total + (this.queue[n].bytes?.length ?? 0) <= MAX_BATCH_BYTES)) total += this.queue[n++].bytes?.length ?? 0;
        const batch = this.queue.splice(0, n);
        if (this.failed) {
          for (const e of batch) e.reject(this.failed);
          continue;
        }
        try {
          await this.commit(batch, total);
          for (const e of batch) e.resolve();
        } catch (err) {
          for (const e of batch) e.reject(err as Error);
        }
      }
    } finally {
      this.running = false;
      const waiters = this.idle.splice(0);
      for (const w of waiters) w();
    }
  }

  private async commit(batch: Entry[], total: number): Promise<void> {
    // a flush barrier (null) never creates the file; an empty append (materialize) does
    if (total === 0 && (this.header === null || batch.every((e) => e.bytes === null))) return;
    const parts: Buffer[] = [];
    let created = false;
    let dirs: string[] = [];
    if (this.header !== null) {
      if (!this.fh) {
        this.newDirs = await mkdirDurable(dirname(this.path));
        const create = () => open(this.path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, 0o644);
        this.fh = await create().catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== "EEXIST") throw e;
          // a creation killed before its first line was complete leaves a file with no whole line;
          // it holds nothing acknowledged, and we hold the thread's lock: replace it
          if (!(await holdsCompleteLine(this.path))) {
            await unlink(this.path);
            return create();
          }
          throw ThreadStoreError.conflict(`cannot create ${this.path}: the file already exists`);
        });
      }
      dirs = this.newDirs;
      parts.push(Buffer.from(this.header, "utf8"));
      created = true;
    }
    for (const e of batch) if (e.bytes) parts.push(e.bytes);
    const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const fh = this.fh!;
    const before = this.size;
    try {
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await fh.write(buf, off, buf.length - off, null);
        if (bytesWritten <= 0) throw new Error("write made no progress");
        off += bytesWritten;
      }
    } catch (e) {
      // roll back a partial batch so the file never keeps bytes nobody was told about
      try {
        await fh.truncate(before);
      } catch (t) {
        this.poison(`write failed (${(e as Error).message}) and truncate failed (${(t as Error).message})`);
      }
      throw new ThreadStoreError("internal", `append to ${this.path} failed: ${(e as Error).message}`);
    }
    if (this.opts.fsync) {
      try {
        await fh.datasync();
        if (created) {
          await fsyncDir(dirname(this.path));
          for (const d of dirs) if (d !== dirname(this.path)) await fsyncDir(d);
        }
      } catch (e) {
        this.poison(`fsync failed: ${(e as Error).message}`);
        throw this.failed!;
      }
    }
    if (created) this.header = null;
    this.size = before + buf.length;
    this.stats.batches++;
    this.stats.appends += batch.length;
    this.stats.bytes += buf.length;
    if (this.opts.afterCommit) {
      try {
        await this.opts.afterCommit({ path: this.path, size: this.size, created, bytes: buf.length, appends: batch.length });
      } catch (e) {
        this.opts.warn?.(`index update after append to ${this.path} failed: ${(e as Error).message}`);
      }
    }
  }

  private poison(why: string): void {
    this.failed = new ThreadStoreError("internal", `rollout writer for ${this.path} failed: ${why}; reopen the thread`);
  }

  /** Waits for queued appends, then closes the file. Later appends fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => {});
    while (this.running || this.scheduled) await new Promise<void>((r) => this.idle.push(r));
    this.closed = true;
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}
