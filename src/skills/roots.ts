// Where skills live, in Codex's precedence order (a SKILL.md reached from two roots is kept from
// the first): per project `.codex/skills` folders (from cwd up to the project root), the home's
// `skills/`, `$HOME/.agents/skills`, the home's `skills/.system` (bundled skills), `/etc/codex/skills`
// (admin), extra roots set by the client (user scope), then `.agents/skills` in every folder from
// the project root down to cwd. The project root is the nearest ancestor holding a `.git`.
import fs from "node:fs";
import path from "node:path";
import type { SkillRoot } from "./types.js";

export const PROJECT_ROOT_MARKERS = [".git"];

/** The nearest ancestor of `cwd` (itself included) holding a marker, else `cwd`. */
export function findProjectRoot(cwd: string, markers: readonly string[] = PROJECT_ROOT_MARKERS): string {
  if (markers.length === 0) return cwd;
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    if (markers.some((m) => fs.existsSync(path.join(dir, m)))) return dir;
    if (path.dirname(dir) === dir) return cwd;
  }
}

/** The folders from the project root down to `cwd`, both included. */
export function dirsFromRootToCwd(cwd: string, root: string): string[] {
  const out: string[] = [];
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    out.push(dir);
    if (dir === root || path.dirname(dir) === dir) break;
  }
  return out.reverse();
}

export interface SkillRootsInput {
  codexHome: string;
  cwd: string;
  /** The user's home directory (`$HOME/.agents/skills`), or null. */
  userHome: string | null;
  extraRoots: readonly string[];
}

export function skillRoots(i: SkillRootsInput): SkillRoot[] {
  const projectRoot = findProjectRoot(i.cwd);
  const dirs = dirsFromRootToCwd(i.cwd, projectRoot);
  const roots: SkillRoot[] = [];
  // project config folders, the one nearest to cwd first (highest precedence)
  for (const d of [...dirs].reverse()) {
    const codexDir = path.join(d, ".codex");
    if (codexDir !== path.resolve(i.codexHome)) roots.push({ path: path.join(codexDir, "skills"), scope: "repo" });
  }
  roots.push({ path: path.join(i.codexHome, "skills"), scope: "user" });
  if (i.userHome) roots.push({ path: path.join(i.userHome, ".agents", "skills"), scope: "user" });
  roots.push({ path: path.join(i.codexHome, "skills", ".system"), scope: "system" });
  roots.push({ path: "/etc/codex/skills", scope: "admin" });
  for (const r of i.extraRoots) roots.push({ path: r, scope: "user" });
  for (const d of dirs) roots.push({ path: path.join(d, ".agents", "skills"), scope: "repo" });
  const seen = new Set<string>();
  return roots.filter((r) => !seen.has(r.path) && seen.add(r.path));
}
