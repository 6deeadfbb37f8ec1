// Loads a thread's whole history into a reducer: the rollout file, preceded for forks by the
// parent's rollout bytes [0, history_base.end_byte_offset) (recursively: a parent can be a fork).
// Lines are triaged on their first bytes and only the ones that can change turns are decoded and
// parsed, so a 50 MB rollout costs one pass of newline scanning plus a few thousand small parses.
import { open, type FileHandle } from "node:fs/promises";
import { parseRolloutLine, type JsonObject } from "../rollout/line.js";
import { ThreadHistoryReducer, type HistoryMode } from "./reducer.js";
import { Triage, triage } from "./prefilter.js";
import { MAX_LINE_BYTES, findNewline, reportOversizedLine } from "../rollout/line-limit.js";

const CHUNK = 8 << 20;
const HEAD_BYTES = 320;
const MAX_FORK_DEPTH = 64;
const NL = 10;

interface Ctx {
  reducer: ThreadHistoryReducer;
  mode: HistoryMode;
  /** running line index of the logical history (the ordinal of lines that carry none) */
  index: number;
}

/** The first line's session_meta payload, if the file starts with one. */
async function readHeadMeta(fh: FileHandle): Promise<JsonObject | null> {
  let size = 64 << 10;
  for (;;) {
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await fh.read(buf, 0, size, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(NL);
    if (nl < 0 && bytesRead === size && size < 64 << 20) {
      size *= 4;
      continue;
    }
    const text = buf.toString("utf8", 0, nl < 0 ? bytesRead : nl);
    const r = parseRolloutLine(text);
    return r.kind === "line" && r.line.type === "session_meta" ? r.line.payload : null;
  }
}

/** Reads a thread's whole history (resolving fork history_base recursively via resolvePath(threadId) → rollout path or null) and returns the reducer. */
export async function loadThreadHistory(path: string, resolvePath: (threadId: string) => Promise<string | null>): Promise<ThreadHistoryReducer> {
  const fh = await open(path, "r");
  let meta: JsonObject | null;
  try {
    meta = await readHeadMeta(fh);
  } finally {
    await fh.close();
  }
  const mode: HistoryMode = meta?.history_mode === "paginated" ? "paginated" : "legacy";
  const threadId = typeof meta?.id === "string" ? meta.id : undefined;
  const reducer = new ThreadHistoryReducer({ threadId, historyMode: mode });
  const ctx: Ctx = { reducer, mode, index: 0 };
  await feedWithBase(ctx, path, meta, undefined, resolvePath, new Set(threadId ? [threadId] : []), 0);
  return reducer;
}

async function feedWithBase(
  ctx: Ctx,
  path: string,
  meta: JsonObject | null,
  end: number | undefined,
  resolvePath: (threadId: string) => Promise<string | null>,
  seen: Set<string>,
  depth: number,
): Promise<void> {
  const base = meta && typeof meta.history_base === "object" && meta.history_base !== null && !Array.isArray(meta.history_base) ? (meta.history_base as JsonObject) : null;
  const parentId = base && typeof base.thread_id === "string" ? base.thread_id : null;
  const parentEnd = base && typeof base.end_byte_offset === "number" ? base.end_byte_offset : null;
  if (parentId && parentEnd !== null && parentEnd > 0 && !seen.has(parentId) && depth < MAX_FORK_DEPTH) {
    const parentPath = await resolvePath(parentId);
    if (parentPath) {
      seen.add(parentId);
      const fh = await open(parentPath, "r");
      let parentMeta: JsonObject | null;
      try {
        parentMeta = await readHeadMeta(fh);
      } finally {
        await fh.close();
      }
      await feedWithBase(ctx, parentPath, parentMeta, parentEnd, resolvePath, seen, depth + 1);
    }
  }
  await feedFile(ctx, path, end);
}

/** Feeds the lines of `path` within bytes [0, end). */
async function feedFile(ctx: Ctx, path: string, end?: number): Promise<void> {
  const fh = await open(path, "r");
  try {
    const limit = end ?? Infinity;
    let buf = Buffer.allocUnsafe(CHUNK);
    let filled = 0; // bytes of buf holding unconsumed data
    let pos = 0; // file offset of buf[filled]
    let eof = false;
    while (!eof) {
      if (filled >= MAX_LINE_BYTES) {
        // a line too long to decode: skip it without holding it (it counts as one line)
        const lineStart = pos - filled;
        const nl = await findNewline(fh, pos, limit);
        pos = nl < 0 ? Math.min(limit, (await fh.stat()).size) : nl + 1;
        reportOversizedLine(path, lineStart, pos - lineStart);
        ctx.index++;
        filled = 0;
        buf = Buffer.allocUnsafe(CHUNK);
        if (nl < 0) break;
        continue;
      }
      if (filled === buf.length) {
        // a single line longer than the buffer: grow
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const want = Math.min(buf.length - filled, limit - pos);
      let bytesRead = 0;
      if (want > 0) ({ bytesRead } = await fh.read(buf, filled, want, pos));
      if (bytesRead === 0) eof = true;
      pos += bytesRead;
      const avail = filled + bytesRead;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(NL, start);
        if (nl < 0 || nl >= avail) break;
        if (nl > start) feedRaw(ctx, buf, start, nl);
        start = nl + 1;
      }
      if (eof) {
        if (start < avail) feedRaw(ctx, buf, start, avail);
        break;
      }
      buf.copy(buf, 0, start, avail);
      filled = avail - start;
    }
  } finally {
    await fh.close();
  }
}

function feedRaw(ctx: Ctx, buf: Buffer, start: number, end: number): void {
  const index = ctx.index++;
  const head = buf.toString("latin1", start, Math.min(end, start + HEAD_BYTES));
  let line: Buffer | null = null;
  const find = (s: string) => (line ??= buf.subarray(start, end)).indexOf(s);
  const at = (i: number, s: string) => i >= 0 && start + i + s.length <= end && buf.toString("latin1", start + i, start + i + s.length) === s;
  const t = triage(head, ctx.mode, find, at, ctx.reducer.showsSpoolItems());
  if (t === Triage.Skip) return;
  if (t === Triage.Count) {
    ctx.reducer.countSkipped(1);
    return;
  }
  const r = parseRolloutLine(buf.toString("utf8", start, end));
  if (r.kind !== "line") return;
  const ord = typeof r.line.ordinal === "number" ? r.line.ordinal : index;
  ctx.reducer.feed(r.line, ord);
}
