// Folds a rollout file (or its new tail) into thread metadata, reading only lines that matter.
//
// This is the cold index build's inner loop (a heavy home holds gigabytes of rollouts), so it works
// on bytes: it finds line ends in the read buffer, looks at each line's first bytes to decide
// whether the line can change the metadata folded so far (derive.ts), and only then decodes and
// parses it. Lines it skips are never copied or decoded, however long they are. The same fold
// runs over async reads (one file on the write path) and sync reads (the scan workers).
import { closeSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { parseRolloutLine } from "../../rollout/line.js";
import { MAX_LINE_BYTES } from "../../rollout/line-limit.js";
import { emptyMetadata, mayChangeMetadata, METADATA_HEAD_BYTES, reduceMetadata, type ThreadMetadata } from "../../metadata/derive.js";

export interface ScanResult {
  meta: ThreadMetadata;
  /** Bytes folded so far: always the end of the last complete (newline-terminated) line. */
  offset: number;
  lines: number;
  malformed: number;
}

/** Where a fold resumes: the metadata folded up to `offset` (after `lines` lines). */
export interface ScanFrom {
  meta: ThreadMetadata;
  offset: number;
  lines: number;
}

const NL = 10;
const CHUNK = 256 * 1024;

/** The fold over consecutive chunks of a file, from `r.offset` on. */
class MetadataFold {
  readonly r: ScanResult;
  // the line being read: its head (to decide), and its bytes when it is to be parsed
  private head = "";
  private decided: boolean | null = null;
  private parts: Buffer[] = [];
  private partsBytes = 0;

  constructor(from?: ScanFrom) {
    this.r = { meta: from ? from.meta : emptyMetadata(), offset: from?.offset ?? 0, lines: from?.lines ?? 0, malformed: 0 };
  }

  /** Feeds `buf[0, n)`, the bytes of the file at `chunkStart`. */
  feed(buf: Buffer, n: number, chunkStart: number): void {
    let start = 0;
    while (start < n) {
      const nl = buf.indexOf(NL, start);
      const stop = nl < 0 || nl >= n ? n : nl;
      if (this.decided === null) {
        this.head += buf.toString("latin1", start, Math.min(stop, start + METADATA_HEAD_BYTES - this.head.length));
        if (this.head.length >= METADATA_HEAD_BYTES || stop < n) this.decided = mayChangeMetadata(this.head, this.r.meta);
      }
      if (this.decided !== false && stop > start) {
        // a line too long for a JS string is skipped (counted malformed), never decoded
        this.partsBytes += stop - start;
        if (this.partsBytes > MAX_LINE_BYTES) this.parts = [];
        else this.parts.push(Buffer.from(buf.subarray(start, stop)));
      }
      if (stop === n) return; // the line goes on in the next chunk
      this.r.offset = chunkStart + stop + 1;
      // empty lines are not lines (the reader skips them too)
      if (this.head.length > 0) {
        this.r.lines++;
        if (this.partsBytes > MAX_LINE_BYTES) this.r.malformed++;
        else if (this.decided) this.fold();
      }
      this.head = "";
      this.decided = null;
      this.parts = [];
      this.partsBytes = 0;
      start = stop + 1;
    }
  }

  private fold(): void {
    const text = (this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts)).toString("utf8");
    const p = parseRolloutLine(text);
    if (p.kind === "line") reduceMetadata(this.r.meta, p.line);
    else if (p.kind === "malformed") this.r.malformed++;
  }
}

// an unterminated last line may still be being written: both drivers leave it for a later scan

/** Folds `path` from `from.offset` (or the start) up to `end` (default: the end of the file). */
export async function scanRolloutMetadata(path: string, from?: ScanFrom, end?: number): Promise<ScanResult> {
  const fold = new MetadataFold(from);
  const fh = await open(path, "r");
  try {
    const limit = end ?? Infinity;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let pos = fold.r.offset; pos < limit; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, limit - pos), pos);
      if (bytesRead === 0) break;
      fold.feed(buf, bytesRead, pos);
      pos += bytesRead;
    }
    return fold.r;
  } finally {
    await fh.close();
  }
}

/** The same with synchronous reads (for the scan workers, where blocking costs nothing). */
export function scanRolloutMetadataSync(path: string, from?: ScanFrom, end?: number, buf = Buffer.allocUnsafe(CHUNK)): ScanResult {
  const fold = new MetadataFold(from);
  const fd = openSync(path, "r");
  try {
    const limit = end ?? Infinity;
    for (let pos = fold.r.offset; pos < limit; ) {
      const bytesRead = readSync(fd, buf, 0, Math.min(buf.length, limit - pos), pos);
      if (bytesRead === 0) break;
      fold.feed(buf, bytesRead, pos);
      pos += bytesRead;
    }
    return fold.r;
  } finally {
    closeSync(fd);
  }
}
