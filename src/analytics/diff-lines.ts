// Counting the lines a file change adds and removes (Codex's accepted-lines event): an added or
// deleted file's own lines, a unified diff's +/- lines.

/** Lines of a file's text (a last line without a newline counts). */
export function textLines(text: string): number {
  if (text === "") return 0;
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** Added and removed lines of a unified diff (headers excluded). */
export function diffLines(diff: string): { added: number; deleted: number } {
  let added = 0;
  let deleted = 0;
  for (const l of diff.split("\n")) {
    if (l.startsWith("+") && !l.startsWith("+++")) added++;
    else if (l.startsWith("-") && !l.startsWith("---")) deleted++;
  }
  return { added, deleted };
}
