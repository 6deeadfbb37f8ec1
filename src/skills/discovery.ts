// Finds the SKILL.md files under skill roots (breadth first, hidden entries skipped, at most 6
// levels and 2,000 folders per root, symlinked folders followed except in the bundled system
// skills) and reads their front matter. Files that do not parse are reported as errors, except
// bundled ones. The result is sorted like Codex's: repo, user, system, admin, then by name.
import fs from "node:fs";
import path from "node:path";
import { parseSkillFrontMatter, singleLine, SkillParseError } from "./front-matter.js";
import type { Skill, SkillRoot, SkillScan, SkillScope } from "./types.js";

const MAX_SCAN_DEPTH = 6;
const MAX_DIRS_PER_ROOT = 2000;
const MAX_NAME_LEN = 64;
const MAX_DESCRIPTION_LEN = 1024;
const SCOPE_RANK: Record<SkillScope, number> = { repo: 0, user: 1, system: 2, admin: 3 };

const realpath = (p: string): string => {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
};

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** One SKILL.md: its metadata, or a SkillParseError. */
export function readSkill(file: string, scope: SkillScope): Skill {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new SkillParseError(`failed to read file: ${(e as Error).message}`);
  }
  const fm = parseSkillFrontMatter(text);
  const name = fm.name || singleLine(path.basename(path.dirname(file))) || "skill";
  if (fm.description === null) throw new SkillParseError("missing field `description`");
  const tooLong = (v: string, max: number, field: string) => {
    if ([...v].length > max) throw new SkillParseError(`invalid ${field}: exceeds maximum length of ${max} characters`);
  };
  tooLong(name, MAX_NAME_LEN, "name");
  tooLong(fm.description, MAX_DESCRIPTION_LEN, "description");
  if (fm.shortDescription) tooLong(fm.shortDescription, MAX_DESCRIPTION_LEN, "metadata.short-description");
  return { name, description: fm.description, shortDescription: fm.shortDescription, path: realpath(file), scope };
}

function scanRoot(root: SkillRoot, out: SkillScan): void {
  const start = realpath(root.path);
  if (!isDir(start)) return;
  const follow = root.scope !== "system";
  const visited = new Set([start]);
  const queue: Array<[string, number]> = [[start, 0]];
  const enqueue = (dir: string, depth: number) => {
    if (depth > MAX_SCAN_DEPTH || visited.size >= MAX_DIRS_PER_ROOT || visited.has(dir)) return;
    visited.add(dir);
    queue.push([dir, depth]);
  };
  while (queue.length) {
    const [dir, depth] = queue.shift()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = path.join(dir, e.name);
      if (e.isSymbolicLink()) {
        if (follow && isDir(p)) enqueue(realpath(p), depth + 1);
        continue;
      }
      if (e.isDirectory()) enqueue(realpath(p), depth + 1);
      else if (e.isFile() && e.name === "SKILL.md") {
        try {
          out.skills.push(readSkill(p, root.scope));
          if (!out.roots.includes(start)) out.roots.push(start);
        } catch (err) {
          if (root.scope !== "system") out.errors.push({ path: p, message: err instanceof SkillParseError ? err.message : String(err) });
        }
      }
    }
  }
}

/** Every skill under the roots (first root wins for a file reached twice), sorted. */
export function scanSkills(roots: readonly SkillRoot[]): SkillScan {
  const out: SkillScan = { skills: [], errors: [], roots: [] };
  for (const r of roots) scanRoot(r, out);
  const seen = new Set<string>();
  out.skills = out.skills.filter((s) => !seen.has(s.path) && seen.add(s.path));
  out.skills.sort((a, b) => SCOPE_RANK[a.scope] - SCOPE_RANK[b.scope] || cmp(a.name, b.name) || cmp(a.path, b.path));
  return out;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
