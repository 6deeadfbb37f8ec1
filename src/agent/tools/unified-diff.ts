// A line-based unified diff (hunk bodies only, no file headers), as FileChange `update` changes
// carry it: "@@ -a,b +c,d @@" headers, " " context, "-" removed and "+" added lines, one line of
// context around changes. The edit script is a longest-common-subsequence over lines, after the
// common prefix and suffix are set aside (patches usually touch a small part of a file).

type Op = { kind: " " | "-" | "+"; text: string; a: number; b: number };

/** LCS edit script for a[lo..] vs b[lo..] (middle part only); falls back to replace-all when huge. */
function editScript(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const ops: Op[] = [];
  for (let i = 0; i < pre; i++) ops.push({ kind: " ", text: a[i], a: i, b: i });
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const n = am.length;
  const m = bm.length;
  if (n * m > 25_000_000) {
    am.forEach((t, i) => ops.push({ kind: "-", text: t, a: pre + i, b: pre }));
    bm.forEach((t, j) => ops.push({ kind: "+", text: t, a: pre + n, b: pre + j }));
  } else {
    // lcs[i][j] = LCS length of am[i..] and bm[j..]
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--) lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push({ kind: " ", text: am[i], a: pre + i, b: pre + j });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
        // removals before additions, like diff(1)
        ops.push({ kind: "-", text: am[i], a: pre + i, b: pre + j });
        i++;
      } else {
        ops.push({ kind: "+", text: bm[j], a: pre + i, b: pre + j });
        j++;
      }
    }
  }
  for (let k = 0; k < suf; k++) ops.push({ kind: " ", text: a[a.length - suf + k], a: a.length - suf + k, b: b.length - suf + k });
  return ops;
}

function range(start: number, len: number): string {
  // 1-based; an empty range names the line before it
  if (len === 0) return `${start},0`;
  return len === 1 ? `${start + 1}` : `${start + 1},${len}`;
}

/** Splits file text into lines; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The unified diff from `oldText` to `newText` ("" when equal). */
export function unifiedDiff(oldText: string, newText: string, context = 1): string {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const ops = editScript(a, b);
  const changed = ops.map((o, i) => (o.kind !== " " ? i : -1)).filter((i) => i >= 0);
  if (changed.length === 0) return "";
  // group changes whose context windows touch
  const groups: Array<[number, number]> = [];
  for (const i of changed) {
    const lo = Math.max(0, i - context);
    const hi = Math.min(ops.length - 1, i + context);
    const last = groups[groups.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else groups.push([lo, hi]);
  }
  let out = "";
  for (const [lo, hi] of groups) {
    const slice = ops.slice(lo, hi + 1);
    const aLen = slice.filter((o) => o.kind !== "+").length;
    const bLen = slice.filter((o) => o.kind !== "-").length;
    const first = slice[0];
    out += `@@ -${range(first.a, aLen)} +${range(first.b, bLen)} @@\n`;
    for (const o of slice) out += `${o.kind}${o.text}\n`;
  }
  return out;
}
