// The longest rollout line Spool decodes. V8 cannot hold a string over 0x1fffffe8 UTF-16 units
// (about 512 MiB), so a longer line would throw while decoding and, at start, stop the server for
// the whole home. Readers skip a longer line without holding it (its bytes stay in the file),
// count it like a malformed line and report it once per file.
import type { FileHandle } from "node:fs/promises";
import { log } from "../util/log.js";

/** 256 MiB: far above any real rollout line, well below V8's string limit. */
export const MAX_LINE_BYTES = 256 << 20;

const NL = 10;

/**
 * Offset of the first "\n" at or after `from` (below `end`), reading in chunks so nothing of the
 * line is kept; -1 when the file (or range) ends first.
 */
export async function findNewline(fh: FileHandle, from: number, end = Infinity): Promise<number> {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let pos = from; pos < end; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) return -1;
    const nl = buf.subarray(0, bytesRead).indexOf(NL);
    if (nl >= 0) return pos + nl;
    pos += bytesRead;
  }
  return -1;
}

/** Logs a skipped oversized line (the user learns which file and where; nothing is lost). */
export function reportOversizedLine(path: string, offset: number, bytes: number): void {
  log.warn({ path, offset, bytes, limit: MAX_LINE_BYTES }, `rollout line too long (${bytes} bytes at offset ${offset} of ${path}): skipped (oversized line, limit ${MAX_LINE_BYTES} bytes)`);
}
