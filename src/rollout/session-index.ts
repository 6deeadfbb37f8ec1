// `session_index.jsonl`: Codex's append-only thread-name index. The newest entry for an id wins.
import { readFile, open } from "node:fs/promises";
import { join } from "node:path";
import { SESSION_INDEX_FILE } from "./layout.js";

export interface SessionIndexEntry {
  id: string;
  thread_name: string;
  updated_at: string;
}

/** Reads every name; later lines override earlier ones. Bad lines are skipped. */
export async function readSessionIndex(home: string): Promise<Map<string, SessionIndexEntry>> {
  const names = new Map<string, SessionIndexEntry>();
  let text: string;
  try {
    text = await readFile(join(home, SESSION_INDEX_FILE), "utf8");
  } catch {
    return names;
  }
  for (const l of text.split("\n")) {
    if (!l.trim()) continue;
    try {
      const e = JSON.parse(l) as SessionIndexEntry;
      if (typeof e.id === "string" && typeof e.thread_name === "string") names.set(e.id, e);
    } catch {
      // torn or foreign line: skip, like Codex
    }
  }
  return names;
}

/**
 * Appends a name entry and fsyncs it, so an acknowledged rename survives a crash. A last line
 * without its "\n" (torn by a crash, or a writer that stopped early) is ended first: glued to
 * it, our entry would be unparseable and the rename lost. The old fragment stays a line of its
 * own (skipped by readers if it is not whole JSON), so no byte another writer put there is cut.
 */
export async function appendSessionIndex(home: string, id: string, threadName: string, at = new Date()): Promise<void> {
  const fh = await open(join(home, SESSION_INDEX_FILE), "a+");
  try {
    const entry: SessionIndexEntry = { id, thread_name: threadName, updated_at: at.toISOString() };
    const { size } = await fh.stat();
    let sep = "";
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 10) sep = "\n";
    }
    await fh.write(sep + JSON.stringify(entry) + "\n");
    await fh.sync();
  } finally {
    await fh.close();
  }
}
