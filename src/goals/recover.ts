// Opening goals.sqlite when it is damaged. Goals are not derived from anything (no rollout line
// holds a goal's budget or usage), so a damaged file is never just deleted: the rows that can
// still be read are copied into a fresh file, the damaged file is moved aside (kept for manual
// recovery), and the caller is told what was lost. A file that cannot be opened for another
// reason (unwritable home, a directory in its place) is not touched: goals are then unavailable
// and every goal request answers an error instead of acknowledging what nothing stores.
import fs from "node:fs";
import { GoalStore, goalsPath, type GoalStoreOptions } from "./store.js";
import { salvageRows } from "../util/sqlite-salvage.js";

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
    const salvaged = salvageRows(file, "goals", "sqlite_autoindex_goals_1", "thread_id");
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

