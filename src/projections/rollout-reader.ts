// How the projector reads rollout bytes, as src/history/load.ts reads them: a file's head (the
// hash that identifies the file, and its session_meta), the fork base that session_meta names, and
// one raw line triaged, parsed and fed to the projection reducer.
import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { parseRolloutLine, type JsonObject } from "../rollout/line.js";
import { Triage, triage } from "../history/prefilter.js";
import type { HistoryMode } from "../history/reducer.js";
import type { ProjectionCore } from "./core.js";

export const NL = 10;
const HEAD_BYTES = 320;

export interface Head {
  /** sha1 of the first line */
  hash: string;
  meta: JsonObject | null;
}

/** The file's first complete line, or null while there is none. */
export async function readHead(path: string): Promise<Head | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch {
    return null;
  }
  try {
    let size = 64 << 10;
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      const nl = buf.subarray(0, bytesRead).indexOf(NL);
      if (nl < 0) {
        if (bytesRead === size && size < 256 << 20) {
          size *= 4;
          continue;
        }
        return null;
      }
      const line = buf.subarray(0, nl);
      const r = parseRolloutLine(line.toString("utf8"));
      const meta = r.kind === "line" && r.line.type === "session_meta" ? r.line.payload : null;
      return { hash: createHash("sha1").update(line).digest("hex"), meta };
    }
  } finally {
    await fh.close();
  }
}

export function historyBase(meta: JsonObject | null): { threadId: string; end: number } | null {
  const b = meta?.history_base;
  if (!b || typeof b !== "object" || Array.isArray(b)) return null;
  const id = (b as JsonObject).thread_id;
  const end = (b as JsonObject).end_byte_offset;
  return typeof id === "string" && typeof end === "number" && end > 0 ? { threadId: id, end } : null;
}

/** Triage, parse and feed one raw line (as src/history/load.ts does). */
export function feedRaw(core: ProjectionCore, mode: HistoryMode, buf: Buffer, start: number, end: number, index: number): void {
  const head = buf.toString("latin1", start, Math.min(end, start + HEAD_BYTES));
  let line: Buffer | null = null;
  const find = (s: string) => (line ??= buf.subarray(start, end)).indexOf(s);
  const at = (i: number, s: string) => i >= 0 && start + i + s.length <= end && buf.toString("latin1", start + i, start + i + s.length) === s;
  const t = triage(head, mode, find, at, core.showsSpoolItems);
  if (t !== Triage.Parse) {
    // model and cwd for the checkpoint come from turn contexts, which history skips
    if (head.includes('"type":"turn_context"')) {
      const r = parseRolloutLine(buf.toString("utf8", start, end));
      if (r.kind === "line" && r.line.type === "turn_context") core.context(r.line.payload);
    }
    if (t === Triage.Count) core.countSkipped(1);
    return;
  }
  const r = parseRolloutLine(buf.toString("utf8", start, end));
  if (r.kind !== "line") return;
  core.feed(r.line, typeof r.line.ordinal === "number" ? r.line.ordinal : index);
}
