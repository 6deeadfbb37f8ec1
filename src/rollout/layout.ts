// The Codex home layout: where rollouts live and how their file names encode creation time and id.
import { join } from "node:path";
import { readdir } from "node:fs/promises";

export const SESSIONS_DIR = "sessions";
export const ARCHIVED_DIR = "archived_sessions";
export const SESSION_INDEX_FILE = "session_index.jsonl";

const NAME_RE = /^rollout-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})-([0-9a-fA-F-]{36})\.jsonl$/;

export interface RolloutFileName {
  /** Creation time as written in the name (Codex writes local time). */
  year: string;
  month: string;
  day: string;
  stamp: string;
  threadId: string;
}

export function parseRolloutFileName(name: string): RolloutFileName | null {
  const m = NAME_RE.exec(name);
  if (!m) return null;
  return { year: m[1], month: m[2], day: m[3], stamp: `${m[1]}-${m[2]}-${m[3]}T${m[4]}-${m[5]}-${m[6]}`, threadId: m[7].toLowerCase() };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `rollout-YYYY-MM-DDThh-mm-ss-<id>.jsonl` in local time, like Codex. */
export function rolloutFileName(createdAt: Date, threadId: string): string {
  const d = createdAt;
  const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`;
  return `rollout-${stamp}-${threadId}.jsonl`;
}

export function activeRolloutPath(home: string, createdAt: Date, threadId: string): string {
  const d = createdAt;
  return join(home, SESSIONS_DIR, String(d.getFullYear()), pad(d.getMonth() + 1), pad(d.getDate()), rolloutFileName(createdAt, threadId));
}

export function archivedRolloutPath(home: string, fileName: string): string {
  return join(home, ARCHIVED_DIR, fileName);
}

/** Where an archived file goes back to: the date directory its name encodes. */
export function unarchivedRolloutPath(home: string, fileName: string): string | null {
  const p = parseRolloutFileName(fileName);
  return p ? join(home, SESSIONS_DIR, p.year, p.month, p.day, fileName) : null;
}

export interface FoundRollout {
  path: string;
  name: RolloutFileName;
  archived: boolean;
}

/**
 * Yields a home's rollout files one directory at a time: every sessions/ date directory, then
 * archived_sessions/ (so a caller holds one directory's names at a time, never the whole home).
 */
export async function* rolloutDirectories(home: string): AsyncGenerator<FoundRollout[]> {
  async function* walk(dir: string, depth: number, archived: boolean): AsyncGenerator<FoundRollout[]> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const files: FoundRollout[] = [];
    for (const e of entries) {
      if (!e.isFile()) continue;
      const name = parseRolloutFileName(e.name);
      if (name) files.push({ path: join(dir, e.name), name, archived });
    }
    if (files.length) yield files;
    if (depth > 0) for (const e of entries) if (e.isDirectory()) yield* walk(join(dir, e.name), depth - 1, archived);
  }
  yield* walk(join(home, SESSIONS_DIR), 3, false);
  yield* walk(join(home, ARCHIVED_DIR), 0, true);
}

/** Lists every rollout file of a home (active and archived). Unparseable names are skipped. */
export async function listRolloutFiles(home: string): Promise<FoundRollout[]> {
  const out: FoundRollout[] = [];
  const walk = async (dir: string, depth: number, archived: boolean) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory() && depth > 0) await walk(p, depth - 1, archived);
      else if (e.isFile()) {
        const name = parseRolloutFileName(e.name);
        if (name) out.push({ path: p, name, archived });
      }
    }
  };
  await walk(join(home, SESSIONS_DIR), 3, false);
  await walk(join(home, ARCHIVED_DIR), 0, true);
  return out;
}
