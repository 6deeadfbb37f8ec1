// Finds the instruction files that apply in a cwd, as Codex does: the home's
// `AGENTS.override.md` or `AGENTS.md`; then, in every folder from the project root (the nearest
// ancestor with a `.git`) down to cwd, the first of `AGENTS.override.md`, `AGENTS.md` and the
// configured fallback names that exists. Project files share a byte budget
// (`project_doc_max_bytes`, 32 KiB by default; 0 turns them off), cut at the budget's end.
import fs from "node:fs";
import path from "node:path";
import { dirsFromRootToCwd, findProjectRoot } from "../skills/roots.js";
import type { ProjectDoc, ProjectDocs } from "./types.js";

export const DEFAULT_PROJECT_DOC_MAX_BYTES = 32 * 1024;
const OVERRIDE_NAME = "AGENTS.override.md";
const DEFAULT_NAME = "AGENTS.md";

export interface ProjectDocOptions {
  /** The home whose AGENTS.md applies everywhere; null for none. */
  codexHome: string | null;
  maxBytes?: number;
  fallbackFilenames?: readonly string[];
}

function readFile(p: string, maxBytes = Infinity): string | null {
  try {
    if (!fs.statSync(p).isFile()) return null;
    const buf = fs.readFileSync(p);
    return (buf.length > maxBytes ? buf.subarray(0, maxBytes) : buf).toString("utf8");
  } catch {
    return null;
  }
}

function homeDoc(codexHome: string): ProjectDoc | null {
  for (const name of [OVERRIDE_NAME, DEFAULT_NAME]) {
    const p = path.join(codexHome, name);
    const text = readFile(p);
    if (text !== null && text.trim() !== "") return { path: p, text: text.trim() };
  }
  return null;
}

export function discoverProjectDocs(cwd: string, o: ProjectDocOptions): ProjectDocs {
  const names = [OVERRIDE_NAME, DEFAULT_NAME, ...(o.fallbackFilenames ?? []).filter((n) => n !== "" && n !== OVERRIDE_NAME && n !== DEFAULT_NAME)];
  let budget = o.maxBytes ?? DEFAULT_PROJECT_DOC_MAX_BYTES;
  const project: ProjectDoc[] = [];
  if (budget > 0) {
    for (const dir of dirsFromRootToCwd(cwd, findProjectRoot(cwd))) {
      if (budget <= 0) break;
      for (const name of names) {
        const p = path.join(dir, name);
        const text = readFile(p, budget);
        if (text === null) continue;
        budget -= Buffer.byteLength(text);
        if (text.trim() !== "") project.push({ path: p, text });
        break;
      }
    }
  }
  return { home: o.codexHome ? homeDoc(o.codexHome) : null, project };
}
