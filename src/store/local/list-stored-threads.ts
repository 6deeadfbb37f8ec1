// listThreads of the local store: one keyset-paged query over the index joined with the metadata
// overlay, so a patched field (preview, provider, cwd, timestamps) filters and sorts as patched.
// (thread/list of the app-server reads pre-built Thread JSON instead: list-threads.ts.)
import type Database from "better-sqlite3";
import { listCursor, type NormalizedList } from "../memory/semantics.js";
import type { ThreadPage } from "../types.js";
import type { IndexRow } from "./index-db.js";
import { FIELD_BITS, META_SCHEMA, type MetaStore } from "./meta-db.js";
import { storedThread } from "./stored-thread.js";

/** One page of `q` over a fresh index `db` (with the metadata file attached) and its metadata rows. */
export function listStoredThreads(db: Database.Database, meta: MetaStore, q: NormalizedList, defaultProvider: string): ThreadPage {
  const eff = (bit: number, mcol: string, tcol: string) => `(CASE WHEN (m.set_bits & ${bit}) != 0 THEN m.${mcol} ELSE ${tcol} END)`;
  const sortCol = {
    created_at: eff(FIELD_BITS.createdAtMs, "created_at_ms", "t.created_at_ms"),
    updated_at: eff(FIELD_BITS.updatedAtMs, "updated_at_ms", "t.updated_at_ms"),
    recency_at: eff(FIELD_BITS.recencyAtMs, "recency_at_ms", "coalesce(t.recency_at_ms, t.updated_at_ms)"),
  }[q.sortKey];
  const where = ["t.archived = ?"];
  const args: unknown[] = [q.archived ? 1 : 0];
  const inList = (expr: string, vals: string[]) => {
    where.push(vals.length ? `${expr} IN (${vals.map(() => "?").join(",")})` : "0");
    args.push(...vals);
  };
  if (q.kinds) inList("t.source_kind", q.kinds);
  if (q.providers) inList(eff(FIELD_BITS.modelProvider, "model_provider", "t.model_provider"), q.providers);
  if (q.cwds) inList(eff(FIELD_BITS.cwd, "cwd", "t.cwd"), q.cwds);
  if (q.searchTerm) {
    where.push(`(instr(${eff(FIELD_BITS.preview, "preview", "t.preview")}, ?) > 0 OR instr(coalesce(t.name, ''), ?) > 0)`);
    args.push(q.searchTerm, q.searchTerm);
  }
  const cmp = q.desc ? "<" : ">";
  if (q.after) {
    if (q.after.id) {
      where.push(`(${sortCol} ${cmp} ? OR (${sortCol} = ? AND t.id ${cmp} ?))`);
      args.push(q.after.ms, q.after.ms, q.after.id);
    } else {
      where.push(`${sortCol} ${cmp} ?`);
      args.push(q.after.ms);
    }
  }
  const dir = q.desc ? "DESC" : "ASC";
  const sql = `SELECT t.id, t.path, t.archived, t.file_mtime_ms, t.updated_at_ms, t.recency_at_ms, t.name, t.state, ${sortCol} AS sort_ms, m.id AS meta_id FROM threads t LEFT JOIN ${META_SCHEMA}.thread_meta m ON m.id = t.id
      WHERE ${where.join(" AND ")} ORDER BY sort_ms ${dir}, t.id ${dir} LIMIT ?`;
  const rows = db.prepare(sql).all(...args, q.pageSize + 1) as Array<IndexRow & { sort_ms: number; meta_id: string | null }>;
  const page = rows.slice(0, q.pageSize);
  const items = page.map((r) => storedThread(r, r.meta_id ? meta.get(r.id) : null, defaultProvider));
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > q.pageSize && last ? listCursor(last.sort_ms, last.id) : null };
}
