// Opening goals.sqlite when it is damaged. Goals are not derived from anything (no rollout line
// holds a goal's budget or usage), so a damaged file is never just deleted: the rows that can
// still be read are copied into a fresh file, the damaged file is moved aside (kept for manual
// recovery), and the caller is told what was lost. A file that cannot be opened for another
// reason (unwritable home, a directory in its place) is not touched: goals are then unavailable
// and every goal request answers an error instead of acknowledging what nothing stores.
import Database from "better-sqlite3";
import fs from "node:fs";
import { GoalStore, goalsPath, type GoalStoreOptions } from "./store.js";

export interface OpenedGoals {
  store: GoalStore | null;
  /** Why goals are unavailable (store is null then). */
  unavailable: string | null;
  /** What a repair did and lost, for the log. */
  repaired: string | null;
}

const isCorruption = (e: unknown) => {
  const code = (e as { code?: string }).code ?? "";
  return code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || /integrity check failed/.test((e as Error).message);
};

/** Opens `<home>/spool/goals.sqlite`, repairing a corrupt file. */
export function openGoalStore(home: string, opts: Omit<GoalStoreOptions, "home" | "path" | "memory"> = {}): OpenedGoals {
  const file = goalsPath(home);
  try {
    return { store: GoalStore.open(home, { ...opts, checkIntegrity: true }), unavailable: null, repaired: null };
  } catch (e) {
    if (!isCorruption(e)) return { store: null, unavailable: `cannot open ${file}: ${(e as Error).message}`, repaired: null };
    const aside = `${file}.corrupt-${Date.now()}`;
    const salvaged = salvageRows(file);
    for (const suffix of ["", "-wal", "-shm"]) if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, aside + suffix);
    try {
      const store = GoalStore.open(home, opts);
      const copied = store.restoreRows(salvaged.rows);
      const repaired = `${file} was corrupt (${(e as Error).message}): moved to ${aside}; ${copied} goal(s) recovered${salvaged.lost ? `, ${salvaged.lost}` : ""}`;
      return { store, unavailable: null, repaired };
    } catch (e2) {
      return { store: null, unavailable: `cannot recreate ${file} after moving the corrupt file to ${aside}: ${(e2 as Error).message}`, repaired: null };
    }
  }
}

/**
 * The goal rows SQLite can still read from a damaged file. Rows are fetched one at a time in
 * rowid order, stepping over rowids whose pages cannot be read; the thread ids of the rows that
 * could not be read come from the primary-key index when it is intact, so the loss is named.
 */
function salvageRows(file: string): { rows: Record<string, unknown>[]; lost: string | null } {
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const next = db.prepare("SELECT rowid AS salvage_rowid, * FROM goals WHERE rowid > ? ORDER BY rowid LIMIT 1");
    const rows: Record<string, unknown>[] = [];
    let after = Number.MIN_SAFE_INTEGER;
    let unreadable = 0;
    // a goals table holds one row per thread: a run of 10,000 unreadable rowids ends the search
    for (let misses = 0; misses < 10_000; ) {
      try {
        const r = next.get(after) as (Record<string, unknown> & { salvage_rowid: number }) | undefined;
        if (!r) break;
        rows.push(r);
        after = r.salvage_rowid;
        misses = 0;
      } catch {
        if (after === Number.MIN_SAFE_INTEGER) after = 0;
        after++;
        misses++;
        unreadable++;
      }
    }
    let lostIds: string[] | null = null;
    try {
      const all = db.prepare("SELECT thread_id FROM goals INDEXED BY sqlite_autoindex_goals_1 ORDER BY thread_id").pluck().all() as string[];
      const kept = new Set(rows.map((r) => r.thread_id));
      lostIds = all.filter((id) => !kept.has(id));
    } catch {
      // the index is damaged too: the loss cannot be named
    }
    if (lostIds) return { rows, lost: lostIds.length ? `${lostIds.length} unreadable goal row(s) lost (threads ${lostIds.join(", ")})` : null };
    return { rows, lost: unreadable ? "some goal rows could not be read and are lost" : null };
  } catch (e) {
    return { rows: [], lost: `no goal could be read (${(e as Error).message}): every goal of this home was lost` };
  } finally {
    db?.close();
  }
}
