// apply_patch, Codex's file-editing format, applied in-process. The model invokes it through
// exec_command as a heredoc (`apply_patch <<'EOF' … EOF`, optionally after `cd <dir> &&`):
//
//   *** Begin Patch
//   *** Add File: <path>          then "+"-prefixed lines: the new file
//   *** Delete File: <path>
//   *** Update File: <path>
//   *** Move to: <path>           (optional, right after Update File)
//   @@ [context line]             one or more chunks: " " context, "-" removed, "+" added lines,
//   *** End of File               optionally anchoring the chunk at the end of the file
//   *** End Patch
//
// The whole patch is parsed and checked against the files first (every update must find its
// lines: exactly, then ignoring trailing whitespace, then surrounding whitespace, then with
// typographic punctuation folded to ASCII), then written. The result lists the files like Codex
// ("Success. Updated the following files:\nA a.txt\nM b.txt\nD c.txt\n") and describes each
// change as a core FileChange (add/delete with content, update with a unified diff and move path).
import fs from "node:fs/promises";
import path from "node:path";
import type { JsonObject } from "../../rollout/line.js";
import { applyWritesHere, type FileWrite } from "../../sandbox/file-writes.js";
import { splitLines, unifiedDiff } from "./unified-diff.js";

export interface UpdateChunk {
  /** The `@@ <line>` anchor, if any. */
  context: string | null;
  oldLines: string[];
  newLines: string[];
  isEndOfFile: boolean;
}

export type Hunk =
  | { kind: "add"; path: string; contents: string }
  | { kind: "delete"; path: string }
  | { kind: "update"; path: string; movePath: string | null; chunks: UpdateChunk[] };

export class PatchError extends Error {}

const BEGIN = "*** Begin Patch";
const END = "*** End Patch";
const ADD = "*** Add File: ";
const DELETE = "*** Delete File: ";
const UPDATE = "*** Update File: ";
const MOVE = "*** Move to: ";
const EOF_MARK = "*** End of File";

/** Parses a patch (also accepts one still wrapped in its `<<'EOF'`…`EOF` heredoc lines). */
export function parsePatch(text: string): Hunk[] {
  let lines = text.trim().split(/\r?\n/);
  const heredoc = /^<<\s*(['"]?)(\w+)\1$/.exec(lines[0]?.trim() ?? "");
  if (heredoc && lines.length >= 4 && lines[lines.length - 1].trim() === heredoc[2]) lines = lines.slice(1, -1);
  if ((lines[0] ?? "").trim() !== BEGIN) throw new PatchError(`The first line of the patch must be '${BEGIN}'`);
  if (lines.length < 2 || lines[lines.length - 1].trim() !== END) throw new PatchError(`The last line of the patch must be '${END}'`);
  const body = lines.slice(1, -1);
  const hunks: Hunk[] = [];
  let i = 0;
  while (i < body.length) {
    const line = body[i].trim();
    if (line === "") {
      i++;
      continue;
    }
    if (line.startsWith(ADD)) {
      const p = line.slice(ADD.length).trim();
      let contents = "";
      i++;
      while (i < body.length && body[i].startsWith("+")) contents += body[i++].slice(1) + "\n";
      hunks.push({ kind: "add", path: p, contents });
    } else if (line.startsWith(DELETE)) {
      hunks.push({ kind: "delete", path: line.slice(DELETE.length).trim() });
      i++;
    } else if (line.startsWith(UPDATE)) {
      const p = line.slice(UPDATE.length).trim();
      i++;
      let movePath: string | null = null;
      if (i < body.length && body[i].trim().startsWith(MOVE)) movePath = body[i++].trim().slice(MOVE.length).trim();
      const chunks: UpdateChunk[] = [];
      while (i < body.length) {
        const l = body[i];
        const t = l.trim();
        if (t.startsWith("*** ") && t !== EOF_MARK) break;
        if (t === "" && chunks.length > 0 && (i + 1 >= body.length || body[i + 1].trim().startsWith("*** "))) {
          i++;
          continue;
        }
        let chunk: UpdateChunk;
        if (l.startsWith("@@")) {
          if (l.trim() !== "@@" && !l.startsWith("@@ ")) throw new PatchError(`Unexpected line found in update hunk: '${l}'`);
          const ctx = l.trim() === "@@" ? null : l.slice(3);
          chunk = { context: ctx, oldLines: [], newLines: [], isEndOfFile: false };
          i++;
        } else if (chunks.length === 0) {
          chunk = { context: null, oldLines: [], newLines: [], isEndOfFile: false };
        } else {
          throw new PatchError(`Unexpected line found in update hunk: '${l}'. Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)`);
        }
        let n = 0;
        while (i < body.length) {
          const c = body[i];
          if (c.trim() === EOF_MARK) {
            chunk.isEndOfFile = true;
            i++;
            break;
          }
          if (c.startsWith("@@") || c.startsWith("*** ")) break;
          if (c === "") {
            chunk.oldLines.push("");
            chunk.newLines.push("");
          } else if (c[0] === " ") {
            chunk.oldLines.push(c.slice(1));
            chunk.newLines.push(c.slice(1));
          } else if (c[0] === "-") chunk.oldLines.push(c.slice(1));
          else if (c[0] === "+") chunk.newLines.push(c.slice(1));
          else if (n === 0) throw new PatchError(`Unexpected line found in update hunk: '${c}'. Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)`);
          else break;
          n++;
          i++;
        }
        if (n === 0 && !chunk.isEndOfFile) throw new PatchError(`Update hunk does not contain any lines`);
        chunks.push(chunk);
      }
      if (chunks.length === 0) throw new PatchError(`Update file hunk for path '${p}' is empty`);
      hunks.push({ kind: "update", path: p, movePath, chunks });
    } else {
      throw new PatchError(`'${line}' is not a valid hunk header. Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'`);
    }
  }
  return hunks;
}

/** Recognizes `[cd <dir> &&] apply_patch <<'EOF'\n…\nEOF` (or applypatch, any heredoc word). */
export function parseApplyPatchInvocation(cmd: string): { patch: string; cd: string | null } | null {
  const m = /^\s*(?:cd\s+("[^"]*"|'[^']*'|[^\s&;|]+)\s*&&\s*)?(?:apply_patch|applypatch)\s+<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2[ \t]*\r?\n([\s\S]*?)\r?\n[ \t]*\3[ \t]*(?:\r?\n\s*)?$/.exec(cmd);
  if (!m) return null;
  let cd = m[1] ?? null;
  if (cd && /^(["']).*\1$/.test(cd)) cd = cd.slice(1, -1);
  return { patch: m[4], cd };
}

/** Does the command try to run apply_patch at all (even in a form we cannot read)? */
export function looksLikeApplyPatch(cmd: string): boolean {
  return /^\s*(?:cd\s+\S+\s*&&\s*)?(?:apply_patch|applypatch)\b/.test(cmd);
}

// ---------------------------------------------------------------------------------------------
// matching

const PUNCT: Record<string, string> = {
  "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
  "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
  "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
  "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2004": " ", "\u2005": " ", "\u2006": " ", "\u2007": " ", "\u2008": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u205f": " ", "\u3000": " ",
};
const normalize = (s: string) => s.trim().replace(/[\u2010-\u2015\u2212\u2018-\u201f\u00a0\u2002-\u200a\u202f\u205f\u3000]/g, (c) => PUNCT[c] ?? c);

const MATCHERS: Array<(a: string, b: string) => boolean> = [
  (a, b) => a === b,
  (a, b) => a.trimEnd() === b.trimEnd(),
  (a, b) => a.trim() === b.trim(),
  (a, b) => normalize(a) === normalize(b),
];

/** Where `pattern` occurs in `lines` at or after `start` (at the end first when `eof`), or -1. */
export function seekSequence(lines: string[], pattern: string[], start: number, eof: boolean): number {
  if (pattern.length === 0) return start;
  if (pattern.length > lines.length) return -1;
  const last = lines.length - pattern.length;
  const at = (i: number, eq: (a: string, b: string) => boolean) => pattern.every((p, k) => eq(lines[i + k], p));
  for (const eq of MATCHERS) {
    if (eof && last >= start && at(last, eq)) return last;
    for (let i = start; i <= last; i++) if (at(i, eq)) return i;
  }
  return -1;
}

/** Applies an update's chunks to the file's text. */
export function applyChunks(original: string, chunks: UpdateChunk[], displayPath: string): string {
  const lines = splitLines(original);
  const repl: Array<[number, number, string[]]> = [];
  let idx = 0;
  for (const c of chunks) {
    if (c.context !== null) {
      const at = seekSequence(lines, [c.context], idx, false);
      if (at < 0) throw new PatchError(`Failed to find context '${c.context}' in ${displayPath}`);
      idx = at + 1;
    }
    if (c.oldLines.length === 0) {
      repl.push([lines.length, 0, c.newLines]);
      continue;
    }
    let pattern = c.oldLines;
    let next = c.newLines;
    let at = seekSequence(lines, pattern, idx, c.isEndOfFile);
    if (at < 0 && pattern[pattern.length - 1] === "") {
      pattern = pattern.slice(0, -1);
      if (next[next.length - 1] === "") next = next.slice(0, -1);
      at = seekSequence(lines, pattern, idx, c.isEndOfFile);
    }
    if (at < 0) throw new PatchError(`Failed to find expected lines in ${displayPath}:\n${c.oldLines.join("\n")}`);
    repl.push([at, pattern.length, next]);
    idx = at + pattern.length;
  }
  repl.sort((a, b) => a[0] - b[0]);
  const out = lines.slice();
  for (let k = repl.length - 1; k >= 0; k--) out.splice(repl[k][0], repl[k][1], ...repl[k][2]);
  return out.length === 0 ? "" : out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// planning and applying

export interface PlannedChange {
  /** Absolute path the hunk names. */
  path: string;
  /** As written in the patch (for the summary). */
  displayPath: string;
  kind: "add" | "delete" | "update";
  /** Absolute destination of a move. */
  movePath: string | null;
  oldContent: string | null;
  newContent: string | null;
  /** The core FileChange for this path. */
  change: JsonObject;
}

export interface PatchPlan {
  changes: PlannedChange[];
}

const resolveIn = (cwd: string, p: string) => path.resolve(cwd, p);

/** Reads what the patch touches and computes every new content; throws PatchError when it cannot apply. */
export async function planPatch(hunks: Hunk[], cwd: string): Promise<PatchPlan> {
  if (hunks.length === 0) throw new PatchError("No files were modified.");
  const changes: PlannedChange[] = [];
  // a later hunk on the same file sees the earlier hunk's result
  const pending = new Map<string, string | null>();
  const read = async (abs: string, display: string, what: string): Promise<string> => {
    if (pending.has(abs)) {
      const v = pending.get(abs);
      if (v === null || v === undefined) throw new PatchError(`Failed to read file to ${what} ${display}: No such file or directory (os error 2)`);
      return v;
    }
    try {
      return await fs.readFile(abs, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "No such file or directory (os error 2)" : code === "EISDIR" ? "Is a directory (os error 21)" : (e as Error).message;
      throw new PatchError(`Failed to read file to ${what} ${display}: ${why}`);
    }
  };
  for (const h of hunks) {
    const abs = resolveIn(cwd, h.path);
    if (h.kind === "add") {
      pending.set(abs, h.contents);
      changes.push({ path: abs, displayPath: h.path, kind: "add", movePath: null, oldContent: null, newContent: h.contents, change: { type: "add", content: h.contents } });
    } else if (h.kind === "delete") {
      const old = await read(abs, h.path, "delete");
      pending.set(abs, null);
      changes.push({ path: abs, displayPath: h.path, kind: "delete", movePath: null, oldContent: old, newContent: null, change: { type: "delete", content: old } });
    } else {
      const old = await read(abs, h.path, "update");
      const next = applyChunks(old, h.chunks, h.path);
      const move = h.movePath ? resolveIn(cwd, h.movePath) : null;
      if (move) {
        pending.set(abs, null);
        pending.set(move, next);
      } else pending.set(abs, next);
      changes.push({
        path: abs,
        displayPath: h.movePath ?? h.path,
        kind: "update",
        movePath: move,
        oldContent: old,
        newContent: next,
        change: { type: "update", unified_diff: unifiedDiff(old, next), move_path: move },
      });
    }
  }
  return { changes };
}

/** Every path the plan writes or removes (moves count both ends). */
export function planPaths(plan: PatchPlan): string[] {
  const out = new Set<string>();
  for (const c of plan.changes) {
    out.add(c.path);
    if (c.movePath) out.add(c.movePath);
  }
  return [...out];
}

/** The core FileChange map (absolute path -> change), as `item_completed`/`patch_apply_end` carry it. */
export function planChanges(plan: PatchPlan): JsonObject {
  const out: JsonObject = {};
  for (const c of plan.changes) out[c.path] = c.change;
  return out;
}

/** Writes the plan; returns Codex's summary ("Success. Updated the following files:\n…"). */
/** The plan as file writes, in order (a move writes the destination, then removes the source). */
export function planWrites(plan: PatchPlan): FileWrite[] {
  return plan.changes.flatMap((c): FileWrite[] => {
    if (c.kind === "add") return [{ op: "write", path: c.path, content: c.newContent ?? "" }];
    if (c.kind === "delete") return [{ op: "remove", path: c.path, force: false }];
    const dest = c.movePath ?? c.path;
    const moved = c.movePath && c.movePath !== c.path;
    return [{ op: "write", path: dest, content: c.newContent ?? "" }, ...(moved ? [{ op: "remove" as const, path: c.path, force: true }] : [])];
  });
}

/** The success text listing the files (A/M/D), like Codex's. */
export function planSummary(plan: PatchPlan): string {
  const tag = { add: "A", delete: "D", update: "M" } as const;
  return `Success. Updated the following files:\n${plan.changes.map((c) => `${tag[c.kind]} ${c.displayPath}`).join("\n")}\n`;
}

/** Writes the plan (by default in this process) and returns the success text. */
export async function applyPlan(plan: PatchPlan, write: (writes: FileWrite[]) => Promise<void> = applyWritesHere): Promise<string> {
  await write(planWrites(plan));
  return planSummary(plan);
}
