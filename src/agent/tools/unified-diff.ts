// A line-based unified diff (hunk bodies only, no file headers), as FileChange `update` changes
// carry it: "@@ -a,b +c,d @@" headers, " " context, "-" removed and "+" added lines, one line of
// context around changes. The edit script comes from the `diff` library (jsdiff); this file only
// formats its hunks the way Codex prints them (a single-line range without ",1", no
// "\ No newline at end of file" markers: a missing final newline is not a change here).
import { structuredPatch } from "diff";

/** Splits file text into lines; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function range(start: number, len: number): string {
  // 1-based; an empty range names the line before it (jsdiff gives the line after, like its own formatPatch expects)
  if (len === 0) return `${Math.max(0, start - 1)},0`;
  return len === 1 ? `${start}` : `${start},${len}`;
}

/** The unified diff from `oldText` to `newText` ("" when equal). */
export function unifiedDiff(oldText: string, newText: string, context = 1): string {
  // both sides end with a newline, so a missing one never shows as a change
  const norm = (t: string) => (splitLines(t).length ? `${splitLines(t).join("\n")}\n` : "");
  const patch = structuredPatch("a", "b", norm(oldText), norm(newText), undefined, undefined, { context });
  let out = "";
  for (const h of patch.hunks) {
    out += `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@\n`;
    for (const l of h.lines) if (!l.startsWith("\\")) out += `${l}\n`;
  }
  return out;
}
