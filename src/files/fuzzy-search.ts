// `fuzzyFileSearch` (the TUI's `@` picker): fzf's algorithm (the `fzf` library: scores and match
// positions) over each root's files, best score first, then by path; at most 50 results, like
// Codex. `indices` are character positions in `path`.
import { basename } from "node:path";
import { Fzf, type FzfResultItem } from "fzf";
import { listWorkspaceFiles } from "./workspace-files.js";

export const MAX_RESULTS = 50;

export interface FuzzyFileMatch {
  root: string;
  path: string;
  match_type: "file";
  file_name: string;
  score: number;
  indices: number[] | null;
}

/** Ranks `paths` (relative to `root`) against `query`; pure. */
export function rankPaths(root: string, paths: string[], query: string): FuzzyFileMatch[] {
  if (query.trim() === "") return [];
  const fzf = new Fzf(paths, { casing: "case-insensitive", limit: MAX_RESULTS * 4 });
  return fzf.find(query).map((r: FzfResultItem<string>) => ({
    root,
    path: r.item,
    match_type: "file" as const,
    file_name: basename(r.item),
    score: r.score,
    indices: [...r.positions].sort((a, b) => a - b),
  }));
}

export async function fuzzyFileSearch(query: string, roots: string[]): Promise<FuzzyFileMatch[]> {
  if (query.trim() === "" || roots.length === 0) return [];
  const all: FuzzyFileMatch[] = [];
  for (const root of roots) all.push(...rankPaths(root, await listWorkspaceFiles(root), query));
  all.sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return all.slice(0, MAX_RESULTS);
}
