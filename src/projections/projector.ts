// The projector: keeps the projection tables of every thread of a home current by tailing each
// rollout file from the byte offset its checkpoint names (Codex-written threads as well as
// Spool's). Each batch of complete lines is reduced and written in one SQLite transaction that
// also moves the checkpoint, after checking that the checkpoint is still the one the batch
// started from (another process may project the same home), so the tables are never ahead of or
// behind their checkpoint, whatever is killed when.
//
// A fork's history starts with its parent's bytes [0, history_base.end_byte_offset) (recursively,
// as src/history/load.ts reads it): those are the first "segments" of the thread's stream, and
// the checkpoint's `segment` says which one the byte offset is in. A last line without its
// newline may still be being written and is left for a later sync. A file whose first line
// changed, or that shrank below the checkpoint, is projected again from scratch.
import { EventEmitter } from "node:events";
import { open, stat } from "node:fs/promises";
import { mkdirSync, watch, type FSWatcher } from "node:fs";
import { basename, join } from "node:path";
import type Database from "better-sqlite3";
import type { JsonObject } from "../rollout/line.js";
import { ARCHIVED_DIR, listRolloutFiles, parseRolloutFileName, SESSIONS_DIR } from "../rollout/layout.js";
import type { HistoryMode } from "../history/reducer.js";
import { ProjectionCore, initialState, type CoreState, type ProjectionChange } from "./core.js";
import { openProjections } from "./db.js";
import { ProjectionTables, ThreadTables, type CheckpointRow, type EventRow } from "./tables.js";
import { followEvents, type FollowOptions } from "./outbox.js";
import { listItemsJson, listTurnsJson, type ProjectionPagingOptions } from "./paging.js";
import { feedRaw, historyBase, NL, readHead, type Head } from "./rollout-reader.js";
import { MAX_LINE_BYTES, findNewline, reportOversizedLine } from "../rollout/line-limit.js";
import type { ListItemsParams, ListTurnsParams } from "../history/paging.js";

const MAX_FORK_DEPTH = 64;

export interface ProjectorOptions {
  home: string;
  /** Keep the projections in memory only. */
  memory?: boolean;
  /** Use this database instead of opening `<home>/spool/projections.sqlite`. */
  db?: Database.Database;
  /** Rollout path of a thread (fork parents); default: a listing of the home. */
  resolvePath?: (threadId: string) => Promise<string | null>;
  /** Bytes of rollout per transaction (default 4 MiB). */
  batchBytes?: number;
  warn?: (msg: string) => void;
}

export interface ThreadSyncResult {
  /** complete lines read */
  lines: number;
  bytes: number;
  batches: number;
  /** the thread was projected again from scratch (new or replaced file) */
  reset: boolean;
}

export interface HomeSyncStats {
  threads: number;
  lines: number;
  bytes: number;
  removed: number;
}

interface Segment {
  path: string;
  /** exclusive end (fork bases); null: the thread's own, growing file */
  end: number | null;
}

/** What the checkpoint's `state` column holds. */
interface StoredState {
  core: CoreState;
  /** fork bases (parent thread id, end offset), in stream order */
  bases: { threadId: string; end: number }[];
}

class CheckpointMoved extends Error {}

export class Projector extends EventEmitter<{ events: [threadId: string, lastSeq: number] }> {
  readonly db: Database.Database;
  readonly tables: ProjectionTables;
  private readonly ownsDb: boolean;
  private readonly chains = new Map<string, Promise<unknown>>();
  private listing: Map<string, string> | null = null;
  private closed = false;

  constructor(private readonly opts: ProjectorOptions) {
    super();
    this.setMaxListeners(0);
    if (opts.db) {
      this.db = opts.db;
      this.ownsDb = false;
    } else {
      const { db, warning } = openProjections(opts.home, { memory: opts.memory });
      if (warning) opts.warn?.(warning);
      this.db = db;
      this.ownsDb = true;
    }
    this.tables = new ProjectionTables(this.db);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    if (this.ownsDb) this.db.close();
  }

  private unwatch: (() => void) | null = null;

  /**
   * Keeps every thread of the home current without being asked: watches sessions/ and
   * archived_sessions/ and syncs a rollout shortly after it changes (whoever writes it, Codex
   * included), which also wakes the followers of its outbox. Returns a function that stops it.
   */
  watchHome(opts: { debounceMs?: number } = {}): () => void {
    if (this.unwatch) return this.unwatch;
    const delay = opts.debounceMs ?? 20;
    const timers = new Map<string, NodeJS.Timeout>();
    const watchers: FSWatcher[] = [];
    const changed = (dir: string) => (_event: string, name: string | Buffer | null) => {
      if (!name) return;
      const rel = String(name);
      const parsed = parseRolloutFileName(basename(rel));
      if (!parsed) return;
      const file = join(dir, rel);
      clearTimeout(timers.get(file));
      timers.set(
        file,
        setTimeout(() => {
          timers.delete(file);
          if (this.closed) return;
          this.syncThread(parsed.threadId, file).catch((e) => this.opts.warn?.(`projections of ${parsed.threadId}: ${(e as Error).message}`));
        }, delay),
      );
    };
    try {
      for (const [dir, recursive] of [
        [join(this.opts.home, SESSIONS_DIR), true],
        [join(this.opts.home, ARCHIVED_DIR), false],
      ] as const) {
        mkdirSync(dir, { recursive: true });
        const w = watch(dir, { recursive }, changed(dir));
        w.on("error", () => w.close());
        watchers.push(w);
      }
    } catch (e) {
      this.opts.warn?.(`not watching ${this.opts.home} for changes: ${(e as Error).message}`);
    }
    this.unwatch = () => {
      for (const w of watchers) w.close();
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      this.unwatch = null;
    };
    return this.unwatch;
  }

  /** Brings one thread's projections up to date with its rollout (one sync per thread at a time). */
  syncThread(threadId: string, path: string): Promise<ThreadSyncResult> {
    const prev = this.chains.get(threadId) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(() => this.doSync(threadId, path));
    this.chains.set(threadId, run);
    void run.finally(() => {
      if (this.chains.get(threadId) === run) this.chains.delete(threadId);
    }).catch(() => {});
    return run;
  }

  /** Syncs every rollout of the home and drops the projections of threads whose files are gone. */
  async syncHome(): Promise<HomeSyncStats> {
    const files = await listRolloutFiles(this.opts.home);
    // an id may exist both active and archived after an interrupted move: the active file wins
    files.sort((a, b) => Number(b.archived) - Number(a.archived));
    const byId = new Map<string, string>();
    for (const f of files) byId.set(f.name.threadId, f.path);
    this.listing = byId;
    const stats: HomeSyncStats = { threads: 0, lines: 0, bytes: 0, removed: 0 };
    for (const id of [...byId.keys()].sort()) {
      const r = await this.syncThread(id, byId.get(id)!);
      stats.threads++;
      stats.lines += r.lines;
      stats.bytes += r.bytes;
    }
    const known = this.db.prepare("SELECT thread_id FROM checkpoints").all() as { thread_id: string }[];
    for (const { thread_id } of known) {
      if (byId.has(thread_id)) continue;
      this.dropThread(thread_id);
      stats.removed++;
    }
    return stats;
  }

  /** Forgets a thread's projections (its rollout was deleted). */
  dropThread(threadId: string): void {
    this.db.transaction(() => this.tables.dropThread(threadId))();
  }

  /** The thread's history mode as projected (null: nothing projected yet). */
  historyMode(threadId: string): HistoryMode | null {
    const cp = this.tables.checkpoint(threadId);
    return cp ? (cp.history_mode as HistoryMode) : null;
  }

  /** Outbox events with seq > afterSeq, oldest first. */
  readEvents(threadId: string, afterSeq: number, limit = 256): EventRow[] {
    return this.tables.readEvents(threadId, afterSeq, Math.max(1, Math.min(limit, 10_000)));
  }

  /** Stored events after `afterSeq`, then live ones as they are committed: each once, in order. */
  follow(threadId: string, afterSeq: number, opts: FollowOptions = {}): AsyncGenerator<EventRow> {
    return followEvents(this, threadId, afterSeq, opts);
  }

  /** `thread/turns/list` from the projections, as JSON text. */
  listTurnsJson(threadId: string, params: ListTurnsParams, opts: ProjectionPagingOptions = {}): string {
    return listTurnsJson(this.tables, threadId, this.historyMode(threadId) ?? "legacy", params, opts);
  }

  /** `thread/items/list` from the projections, as JSON text. */
  listItemsJson(threadId: string, params: ListItemsParams, opts: ProjectionPagingOptions = {}): string {
    return listItemsJson(this.tables, threadId, this.historyMode(threadId) ?? "legacy", params, opts);
  }

  // ---------------------------------------------------------------------------------------------

  private async resolve(threadId: string): Promise<string | null> {
    if (this.opts.resolvePath) return this.opts.resolvePath(threadId);
    let p = this.listing?.get(threadId);
    if (p === undefined) {
      const files = await listRolloutFiles(this.opts.home);
      files.sort((a, b) => Number(b.archived) - Number(a.archived));
      this.listing = new Map(files.map((f) => [f.name.threadId, f.path]));
      p = this.listing.get(threadId);
    }
    return p ?? null;
  }

  /** Fork bases of a thread, outermost parent first (as load.ts feeds them). */
  private async bases(threadId: string, meta: JsonObject | null): Promise<{ threadId: string; end: number }[]> {
    const out: { threadId: string; end: number }[] = [];
    const seen = new Set([threadId]);
    let base = historyBase(meta);
    while (base && !seen.has(base.threadId) && out.length < MAX_FORK_DEPTH) {
      const path = await this.resolve(base.threadId);
      if (!path) break;
      seen.add(base.threadId);
      out.unshift(base);
      const head = await readHead(path);
      base = historyBase(head?.meta ?? null);
    }
    return out;
  }

  private async doSync(threadId: string, path: string): Promise<ThreadSyncResult> {
    const result: ThreadSyncResult = { lines: 0, bytes: 0, batches: 0, reset: false };
    const head = await readHead(path);
    if (!head) return result;
    const mode: HistoryMode = head.meta?.history_mode === "paginated" ? "paginated" : "legacy";
    for (let attempt = 0; ; attempt++) {
      try {
        await this.project(threadId, path, head, mode, result);
        return result;
      } catch (e) {
        // another process moved the checkpoint meanwhile: start again from the stored one
        if (!(e instanceof CheckpointMoved) || attempt >= 8) throw e;
      }
    }
  }

  private async project(threadId: string, path: string, head: Head, mode: HistoryMode, result: ThreadSyncResult): Promise<void> {
    const st = await stat(path).catch(() => null);
    if (!st) return;
    let cp = this.tables.checkpoint(threadId);
    let stored: StoredState | null = cp ? (JSON.parse(cp.state) as StoredState) : null;
    if (cp && stored && (cp.head !== head.hash || (cp.segment === stored.bases.length && st.size < cp.byte_offset) || stored.core.v !== 1)) {
      // a different or truncated file: project it again
      const expected = cp;
      this.db
        .transaction(() => {
          this.checkUnchanged(threadId, expected);
          this.tables.dropThread(threadId);
        })
        .immediate();
      cp = null;
      stored = null;
      result.reset = true;
    }
    if (!cp) result.reset = true;
    const bases = stored ? stored.bases : await this.bases(threadId, head.meta);
    // fork bases are resolved only while the checkpoint is still in them
    const segments: (Segment & { threadId?: string })[] = bases.map((b) => ({ path: "?", end: b.end, threadId: b.threadId }));
    segments.push({ path, end: null });

    let state: StoredState = stored ?? { core: initialState(threadId, mode), bases };
    let pos = cp ? { segment: cp.segment, offset: cp.byte_offset, line: cp.line_index } : { segment: 0, offset: 0, line: 0 };
    let expected: CheckpointRow | null = cp;
    const batchBytes = this.opts.batchBytes ?? 4 << 20;
    let buf = Buffer.allocUnsafe(Math.max(4 << 10, batchBytes));

    for (;;) {
      const seg = segments[pos.segment];
      const own = pos.segment === segments.length - 1;
      if (!own && seg.path === "?") seg.path = (await this.resolve(seg.threadId!)) ?? "";
      if (!own && (seg.path === "" || pos.offset >= seg.end!)) {
        // past a fork base (or a parent that cannot be found: skipped, like the loader does)
        pos = { segment: pos.segment + 1, offset: 0, line: pos.line };
        continue;
      }
      const fh = await open(seg.path, "r");
      let chunk: Buffer;
      let endsSegment = false;
      let atEof = false;
      let oversized = 0;
      try {
        for (;;) {
          const want = own ? buf.length : Math.min(buf.length, seg.end! - pos.offset);
          const { bytesRead } = await fh.read(buf, 0, want, pos.offset);
          chunk = buf.subarray(0, bytesRead);
          atEof = bytesRead < want;
          // a fork base ends at its end offset (or its file's end) even without a newline there
          endsSegment = !own && (atEof || pos.offset + bytesRead >= seg.end!);
          if (endsSegment || atEof || chunk.lastIndexOf(NL) >= 0) break;
          if (buf.length >= MAX_LINE_BYTES) {
            // a line too long to decode: skip it without holding it (it counts as one line)
            const nl = await findNewline(fh, pos.offset + bytesRead, own ? Infinity : seg.end!);
            if (nl >= 0) oversized = nl + 1 - pos.offset;
            break;
          }
          // one line longer than the buffer: grow
          buf = Buffer.allocUnsafe(buf.length * 2);
        }
      } finally {
        await fh.close();
      }
      if (oversized > 0) {
        reportOversizedLine(seg.path, pos.offset, oversized);
        const next = this.applyBatch(threadId, path, head.hash, mode, state, expected, pos, Buffer.alloc(0), false, segments.length, oversized);
        result.lines += next.lines;
        result.bytes += oversized;
        state = next.state;
        expected = next.checkpoint;
        pos = { segment: next.checkpoint.segment, offset: next.checkpoint.byte_offset, line: next.checkpoint.line_index };
        buf = Buffer.allocUnsafe(Math.max(4 << 10, batchBytes));
        continue;
      }
      const usable = endsSegment ? chunk.length : chunk.lastIndexOf(NL) + 1;
      if (usable === 0 && !endsSegment) return; // nothing complete yet
      const next = this.applyBatch(threadId, path, head.hash, mode, state, expected, pos, chunk.subarray(0, usable), endsSegment, segments.length);
      result.lines += next.lines;
      result.bytes += usable;
      result.batches++;
      state = next.state;
      expected = next.checkpoint;
      pos = { segment: next.checkpoint.segment, offset: next.checkpoint.byte_offset, line: next.checkpoint.line_index };
      if (next.lastEventSeq !== null) this.emit("events", threadId, next.lastEventSeq);
      if (own && atEof) return;
    }
  }

  private checkUnchanged(threadId: string, expected: CheckpointRow | null): void {
    const now = this.tables.checkpoint(threadId);
    const same =
      now === null
        ? expected === null
        : expected !== null && now.head === expected.head && now.segment === expected.segment && now.byte_offset === expected.byte_offset && now.line_index === expected.line_index;
    if (!same) throw new CheckpointMoved();
  }

  /** Reduces one batch of complete lines and writes rows and checkpoint in one transaction. */
  private applyBatch(
    threadId: string,
    path: string,
    headHash: string,
    mode: HistoryMode,
    state: StoredState,
    expected: CheckpointRow | null,
    pos: { segment: number; offset: number; line: number },
    bytes: Buffer,
    endsSegment: boolean,
    segmentCount: number,
    /** a line of this many bytes skipped unread (`bytes` is then empty) */
    skipped = 0,
  ): { state: StoredState; checkpoint: CheckpointRow; lines: number; lastEventSeq: number | null } {
    let lines = 0;
    let lastEventSeq: number | null = null;
    let out!: { state: StoredState; checkpoint: CheckpointRow };
    this.db.transaction(() => {
      this.checkUnchanged(threadId, expected);
      const listener = (c: ProjectionChange) => {
        if (c.kind === "event") lastEventSeq = c.event.seq;
      };
      // the core mutates the state it is given: hand it a copy so a rolled back batch leaves ours intact
      const core = new ProjectionCore(new ThreadTables(this.tables, threadId), JSON.parse(JSON.stringify(state.core)) as CoreState, listener);
      let index = pos.line;
      let start = 0;
      const n = bytes.length;
      while (start < n) {
        let nl = bytes.indexOf(NL, start);
        if (nl < 0) nl = n; // only at the end of a fork base
        if (nl > start) {
          feedRaw(core, mode, bytes, start, nl, index++);
          lines++;
        }
        start = nl + 1;
      }
      if (skipped > 0) {
        index++;
        lines++;
      }
      const segment = endsSegment && pos.segment < segmentCount - 1 ? pos.segment + 1 : pos.segment;
      const offset = segment === pos.segment ? pos.offset + n + skipped : 0;
      const next: StoredState = { core: core.state(), bases: state.bases };
      const checkpoint: CheckpointRow = {
        thread_id: threadId,
        path,
        head: headHash,
        history_mode: mode,
        segment,
        byte_offset: offset,
        line_index: index,
        state: JSON.stringify(next),
      };
      this.tables.s.putCheckpoint.run(checkpoint);
      out = { state: next, checkpoint };
    }).immediate();
    return { ...out, lines, lastEventSeq };
  }
}
