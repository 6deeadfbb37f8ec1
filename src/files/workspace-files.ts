// The files under a root, as a fuzzy file picker should see them: .gitignore rules honoured at
// every level (the `ignore` library implements git's matching), `.git` skipped, symlinks not
// followed, and a cap so a huge tree cannot stall the server.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";

export const MAX_WALKED_FILES = 100_000;

interface Rules {
  /** Directory (relative to the root, "" for the root) the rules were read in. */
  base: string;
  ig: Ignore;
}

async function rulesIn(root: string, rel: string): Promise<Rules | null> {
  try {
    const text = await readFile(join(root, rel, ".gitignore"), "utf8");
    return { base: rel, ig: ignore().add(text) };
  } catch {
    return null;
  }
}

function ignored(rules: Rules[], relPath: string, isDir: boolean): boolean {
  for (const r of rules) {
    const sub = r.base ? relPath.slice(r.base.length + 1) : relPath;
    if (r.ig.ignores(isDir ? `${sub}/` : sub)) return true;
  }
  return false;
}

/** Relative paths ("/"-separated) of the files under `root`, breadth first. */
export async function listWorkspaceFiles(root: string, max = MAX_WALKED_FILES): Promise<string[]> {
  const out: string[] = [];
  const queue: Array<{ rel: string; rules: Rules[] }> = [{ rel: "", rules: [] }];
  while (queue.length && out.length < max) {
    const { rel, rules: inherited } = queue.shift()!;
    const own = await rulesIn(root, rel);
    const rules = own ? [...inherited, own] : inherited;
    let entries;
    try {
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.name === ".git") continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!ignored(rules, path, true)) queue.push({ rel: path, rules });
      } else if (e.isFile() && !ignored(rules, path, false)) {
        out.push(path);
        if (out.length >= max) break;
      }
    }
  }
  return out;
}
