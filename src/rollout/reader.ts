// Streaming rollout reader: reads a file in chunks and yields one line at a time with its byte
// offsets, so a 500 MB rollout never sits in memory and a reader can resume from an offset.
import { open } from "node:fs/promises";
import { parseRolloutLine, type RolloutLine } from "./line.js";
import { MAX_LINE_BYTES, findNewline, reportOversizedLine } from "./line-limit.js";

export interface RawLine {
  text: string;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's newline (where the next line starts). */
  next: number;
  /** Zero-based line index counted from `startIndex`. */
  index: number;
  /** False for a last line with no newline (maybe truncated by a crash). */
  terminated: boolean;
  /** Longer than MAX_LINE_BYTES: skipped unread (`text` is empty), reported in the log. */
  oversized?: boolean;
}

export interface ScanOptions {
  start?: number;
  end?: number;
  startIndex?: number;
  chunkSize?: number;
}

const NL = 10;

export async function* scanLines(path: string, opts: ScanOptions = {}): AsyncGenerator<RawLine> {
  const fh = await open(path, "r");
  try {
    const chunkSize = opts.chunkSize ?? 256 * 1024;
    let pos = opts.start ?? 0;
    const end = opts.end ?? Infinity;
    let index = opts.startIndex ?? 0;
    // the start of a line that spans reads: copies of its pieces, joined once when it ends
    let carry: Buffer[] = [];
    let carryLen = 0;
    let carryStart = pos;
    const buf = Buffer.allocUnsafe(chunkSize);
    while (pos < end) {
      const want = Math.min(buf.length, end - pos);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      const data = buf.subarray(0, bytesRead);
      const dataStart = pos;
      pos += bytesRead;
      let lineStart = 0;
      for (;;) {
        const nl = data.indexOf(NL, lineStart);
        if (nl < 0) break;
        if (carryLen > 0) {
          const text = Buffer.concat([...carry, data.subarray(0, nl)]).toString("utf8");
          yield { text, offset: carryStart, next: dataStart + nl + 1, index: index++, terminated: true };
          carry = [];
          carryLen = 0;
        } else if (nl > lineStart) {
          yield { text: data.toString("utf8", lineStart, nl), offset: dataStart + lineStart, next: dataStart + nl + 1, index: index++, terminated: true };
        }
        lineStart = nl + 1;
      }
      if (lineStart < data.length) {
        if (carryLen === 0) carryStart = dataStart + lineStart;
        carry.push(Buffer.from(data.subarray(lineStart)));
        carryLen += data.length - lineStart;
        if (carryLen > MAX_LINE_BYTES) {
          // too long to decode: find its end without holding it, and skip it
          const nl = await findNewline(fh, pos, end);
          const next = nl < 0 ? Math.min(end, (await fh.stat()).size) : nl + 1;
          reportOversizedLine(path, carryStart, next - carryStart);
          yield { text: "", offset: carryStart, next, index: index++, terminated: nl >= 0, oversized: true };
          carry = [];
          carryLen = 0;
          pos = next;
        }
      }
    }
    if (carryLen > 0) {
      yield { text: Buffer.concat(carry).toString("utf8"), offset: carryStart, next: carryStart + carryLen, index: index++, terminated: false };
    }
  } finally {
    await fh.close();
  }
}

export interface ReadStats {
  lines: number;
  /** Lines over MAX_LINE_BYTES, skipped (also counted as malformed). */
  oversized: number;
  unknown: number;
  malformed: number;
  truncatedTail: boolean;
}

export interface ParsedLine {
  line: RolloutLine;
  raw: RawLine;
}

/**
 * Yields parsed rollout lines; skips (and counts) unknown types and malformed lines. A bad last
 * line without a newline is a torn write and is reported as `truncatedTail`.
 */
export async function* readRollout(path: string, stats: ReadStats = newStats(), opts: ScanOptions = {}): AsyncGenerator<ParsedLine> {
  for await (const raw of scanLines(path, opts)) {
    stats.lines++;
    if (raw.oversized) {
      stats.oversized++;
      stats.malformed++;
      continue;
    }
    const r = parseRolloutLine(raw.text);
    if (r.kind === "line") yield { line: r.line, raw };
    else if (r.kind === "unknown") stats.unknown++;
    else if (!raw.terminated) stats.truncatedTail = true;
    else stats.malformed++;
  }
}

export const newStats = (): ReadStats => ({ lines: 0, oversized: 0, unknown: 0, malformed: 0, truncatedTail: false });
