// Folds a rollout file (or its new tail) into thread metadata, reading only lines that matter.
import { scanLines } from "../../rollout/reader.js";
import { parseRolloutLine } from "../../rollout/line.js";
import { emptyMetadata, mayAffectMetadata, reduceMetadata, type ThreadMetadata } from "../../metadata/derive.js";

export interface ScanResult {
  meta: ThreadMetadata;
  /** Bytes folded so far: always the end of the last complete (newline-terminated) line. */
  offset: number;
  lines: number;
  malformed: number;
}

/** Folds `path` from `from.offset` (or the start) up to `end` (default: the end of the file). */
export async function scanRolloutMetadata(path: string, from?: { meta: ThreadMetadata; offset: number; lines: number }, end?: number): Promise<ScanResult> {
  const meta = from ? from.meta : emptyMetadata();
  let offset = from?.offset ?? 0;
  let lines = from?.lines ?? 0;
  let malformed = 0;
  for await (const raw of scanLines(path, { start: offset, end, startIndex: lines })) {
    // an unterminated last line may still be being written: fold it on a later scan
    if (!raw.terminated) break;
    offset = raw.next;
    lines++;
    if (raw.oversized) {
      malformed++;
      continue;
    }
    if (!mayAffectMetadata(raw.text)) continue;
    const r = parseRolloutLine(raw.text);
    if (r.kind === "line") reduceMetadata(meta, r.line);
    else if (r.kind === "malformed") malformed++;
  }
  return { meta, offset, lines, malformed };
}
