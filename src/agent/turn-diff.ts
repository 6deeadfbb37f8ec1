// The turn's aggregated diff, as Codex 0.169.0 sends it in `turn/diff/updated`: for every file a
// patch of this turn touched, what it held before the turn first touched it against what it holds
// now, in git's format (`diff --git`, `new file mode` / `deleted file mode`, `index` with git
// blob ids, `---`/`+++` headers, hunks with three lines of context), files sorted by path, paths
// relative to the turn's cwd (absolute outside it). Codex re-sends the whole diff after each file
// change, after the tool round that made it, and when the turn completes.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { isInside } from "./approvals.js";
import { unifiedDiff } from "./tools/unified-diff.js";

const ZERO_OID = "0".repeat(40);
const REGULAR_FILE_MODE = "100644";

/** Git's blob object id of a content. */
function blobOid(content: string): string {
  const data = Buffer.from(content, "utf8");
  return createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}

async function readOrNull(p: string): Promise<string | null> {
  try {
    return await fs.readFile(p, "utf8");
  } catch {
    return null;
  }
}

export class TurnDiff {
  /** absolute path -> its content before the turn first touched it (null: it did not exist) */
  private readonly baseline = new Map<string, string | null>();

  constructor(private readonly cwd: string) {}

  /** Before a patch writes these paths (absolute): keeps what they hold, the first time only. */
  async before(paths: readonly string[]): Promise<void> {
    for (const p of paths) if (!this.baseline.has(p)) this.baseline.set(p, await readOrNull(p));
  }

  /** The aggregated diff now, or null when no touched file differs from its baseline. */
  async render(): Promise<string | null> {
    const shown = (p: string) => (isInside(p, this.cwd) ? path.relative(this.cwd, p) : p).split(path.sep).join("/");
    const files = [...this.baseline.keys()].sort((a, b) => (shown(a) < shown(b) ? -1 : shown(a) > shown(b) ? 1 : 0));
    let out = "";
    for (const p of files) {
      const left = this.baseline.get(p) ?? null;
      const right = await readOrNull(p);
      if (left === right) continue;
      const name = shown(p);
      out += `diff --git a/${name} b/${name}\n`;
      if (left === null) out += `new file mode ${REGULAR_FILE_MODE}\n`;
      if (right === null) out += `deleted file mode ${REGULAR_FILE_MODE}\n`;
      out += `index ${left === null ? ZERO_OID : blobOid(left)}..${right === null ? ZERO_OID : blobOid(right)}\n`;
      out += `--- ${left === null ? "/dev/null" : `a/${name}`}\n+++ ${right === null ? "/dev/null" : `b/${name}`}\n`;
      out += unifiedDiff(left ?? "", right ?? "", 3);
    }
    return out === "" ? null : out;
  }
}
