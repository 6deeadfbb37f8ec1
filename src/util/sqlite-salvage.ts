// Reading what is left of a damaged SQLite file (for the files that are not derived from the
// JSONL: goals, metadata patches). Rows are fetched one at a time in rowid order, stepping over
// rowids whose pages cannot be read; the keys of the rows that could not be read come from the
// primary-key index when it is intact, so the loss can be named.
import Database from "better-sqlite3";

export interface Salvage {
  rows: Record<string, unknown>[];
  /** What could not be read, in words (null: nothing was lost). */
  lost: string | null;
}

/** A table holds one row per thread: a run of 10,000 unreadable rowids ends the search. */
const MAX_MISSES = 10_000;

export function salvageRows(file: string, table: string, keyIndex: string, keyColumn: string): Salvage {
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const next = db.prepare(`SELECT rowid AS salvage_rowid, * FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT 1`);
    const rows: Record<string, unknown>[] = [];
    let after = Number.MIN_SAFE_INTEGER;
    let unreadable = 0;
    for (let misses = 0; misses < MAX_MISSES; ) {
      try {
        const r = next.get(after) as (Record<string, unknown> & { salvage_rowid: number }) | undefined;
        if (!r) break;
        const { salvage_rowid, ...row } = r;
        rows.push(row);
        after = salvage_rowid;
        misses = 0;
      } catch {
        if (after === Number.MIN_SAFE_INTEGER) after = 0;
        after++;
        misses++;
        unreadable++;
      }
    }
    let lostKeys: string[] | null = null;
    try {
      const all = db.prepare(`SELECT ${keyColumn} FROM ${table} INDEXED BY ${keyIndex} ORDER BY ${keyColumn}`).pluck().all() as string[];
      const kept = new Set(rows.map((r) => r[keyColumn]));
      lostKeys = all.filter((k) => !kept.has(k));
    } catch {
      // the index is damaged too: the loss cannot be named
    }
    if (lostKeys) return { rows, lost: lostKeys.length ? `${lostKeys.length} unreadable ${table} row(s) lost (threads ${lostKeys.join(", ")})` : null };
    return { rows, lost: unreadable ? `some ${table} rows could not be read and are lost` : null };
  } catch (e) {
    return { rows: [], lost: `no ${table} row could be read (${(e as Error).message}): all of them were lost` };
  } finally {
    db?.close();
  }
}
