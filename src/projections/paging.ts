// `thread/turns/list` and `thread/items/list` served from the projection tables, answering what
// src/history/paging.ts answers over a fully reduced history (same defaults, cursors, errors and
// JSON text), but reading only the page: keyset queries both ways over indexed columns, and a
// byte budget per page on top of the count (a page stops before the row that would take it over
// the budget, keeping at least one row, and then says more rows follow).
//
// Paginated threads page turns and items by rollout ordinal (then creation order), legacy
// threads page turns by position (the stable turn seq) with `{turnId, includeAnchor}` cursors
// naming the first turn with that id, exactly like the reducer's listing.
import type Database from "better-sqlite3";
import {
  HistoryRequestError,
  ITEMS_DEFAULT_LIMIT,
  ITEMS_MAX_LIMIT,
  TURNS_DEFAULT_LIMIT,
  TURNS_MAX_LIMIT,
  invalidRequest,
  keysetCursor,
  legacyCursor,
  pageSize,
  parseKeysetCursor,
  parseLegacyCursor,
  type KeysetCursor,
  type ListItemsParams,
  type ListTurnsParams,
  type SortDirection,
} from "../history/paging.js";
import type { HistoryMode } from "../history/reducer.js";
import type { ProjectionTables, TurnSql } from "./tables.js";

/** Default byte budget of a page's `data` (turns or item entries as JSON). */
export const DEFAULT_PAGE_BYTES = 192 * 1024;

export interface ProjectionPagingOptions {
  /** The thread has a turn running right now: keep `inProgress` turns as they are. */
  threadActive?: boolean;
  /** Byte budget of the page's rows (default DEFAULT_PAGE_BYTES; at least one row is returned). */
  maxBytes?: number;
}

const J = (v: unknown) => (v === undefined ? "null" : JSON.stringify(v));

/** Prepared statements per database, built on first use. */
const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();
function stmt(db: Database.Database, sql: string): Database.Statement {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}

/** `col op ?` for a keyset cursor in a direction. */
function bound(col: string, c: KeysetCursor | null, dir: SortDirection): string {
  if (!c) return "";
  const op = dir === "asc" ? (c.includeAnchor ? ">=" : ">") : c.includeAnchor ? "<=" : "<";
  return ` AND ${col} ${op} ?`;
}

function order(cols: string[], dir: SortDirection): string {
  const d = dir === "asc" ? "ASC" : "DESC";
  return cols.map((c) => `${c} ${d}`).join(", ");
}

// ---------------------------------------------------------------------------------------------
// turns

/** Codex's `thread/turns/list` (defaults: 25 turns, newest first, summary items) as JSON text. */
export function listTurnsJson(tables: ProjectionTables, threadId: string, mode: HistoryMode, params: ListTurnsParams, opts: ProjectionPagingOptions = {}): string {
  const db = tables.db;
  const size = pageSize(params.limit, TURNS_DEFAULT_LIMIT, TURNS_MAX_LIMIT);
  const dir: SortDirection = params.sortDirection ?? "desc";
  const view = params.itemsView ?? "summary";
  const cursor = params.cursor ?? null;
  let c: KeysetCursor | null = null;
  let col: string;
  if (mode === "paginated") {
    if (cursor !== null) c = parseKeysetCursor(cursor, threadId, "turns");
    col = "rollout_ordinal";
  } else {
    // an empty legacy history answers an empty page whatever the cursor says
    if (!stmt(db, "SELECT 1 FROM turns WHERE thread_id = ? LIMIT 1").get(threadId)) return page([], null, null);
    if (cursor !== null) {
      const lc = parseLegacyCursor(cursor);
      const a = stmt(db, "SELECT MIN(seq) AS seq FROM turns WHERE thread_id = ? AND turn_id = ?").get(threadId, lc.turnId) as { seq: number | null };
      if (a.seq === null) throw invalidRequest("invalid cursor: anchor turn is no longer present");
      c = { ordinal: a.seq, includeAnchor: lc.includeAnchor };
    }
    col = "seq";
  }
  const cols = mode === "paginated" ? ["rollout_ordinal", "seq"] : ["seq"];
  const sql = `SELECT * FROM turns WHERE thread_id = ?${bound(col, c, dir)} ORDER BY ${order(cols, dir)} LIMIT ?`;
  const args: unknown[] = [threadId];
  if (c) args.push(c.ordinal);
  args.push(size + 1);
  const rows = stmt(db, sql).all(...args) as TurnSql[];

  const budget = opts.maxBytes ?? DEFAULT_PAGE_BYTES;
  const out: string[] = [];
  const kept: TurnSql[] = [];
  let bytes = 0;
  let more = rows.length > size;
  for (let i = 0; i < Math.min(rows.length, size); i++) {
    const t = rows[i];
    const json = turnJson(t, turnItems(db, threadId, mode, t, view), view, opts.threadActive === true);
    const n = Buffer.byteLength(json) + 1;
    if (out.length > 0 && bytes + n > budget) {
      more = true;
      break;
    }
    out.push(json);
    kept.push(t);
    bytes += n;
  }
  const key = (t: TurnSql) => (mode === "paginated" ? t.rollout_ordinal : 0);
  const cur = (t: TurnSql, anchor: boolean) => (mode === "paginated" ? keysetCursor(threadId, "turns", key(t), anchor) : legacyCursor(t.turn_id, anchor));
  return page(out, more && kept.length ? cur(kept[kept.length - 1], false) : null, kept.length ? cur(kept[0], true) : null);
}

function page(data: string[], nextCursor: string | null, backwardsCursor: string | null): string {
  return `{"data":[${data.join(",")}],"nextCursor":${J(nextCursor)},"backwardsCursor":${J(backwardsCursor)}}`;
}

function turnJson(t: TurnSql, items: string, view: string, active: boolean): string {
  const status = !active && t.status === "inProgress" ? "interrupted" : t.status;
  return (
    `{"id":${J(t.turn_id)},"rootTurnId":${J(t.root_turn_id)},"items":[${items}],"itemsView":${J(view)},"status":${J(status)},` +
    `"error":${t.error_json ?? "null"},"startedAt":${J(t.started_at)},"completedAt":${J(t.completed_at)},"durationMs":${J(t.duration_ms)}}`
  );
}

/** A turn's items for a view, as comma-joined JSON. */
function turnItems(db: Database.Database, threadId: string, mode: HistoryMode, t: TurnSql, view: string): string {
  if (view === "notLoaded") return "";
  if (view === "full") {
    const rows =
      mode === "paginated"
        ? stmt(db, "SELECT item_json FROM items WHERE thread_id = ? AND turn_id = ? AND turn_seq IS NULL ORDER BY seq").all(threadId, t.turn_id)
        : stmt(db, "SELECT item_json FROM items WHERE thread_id = ? AND turn_seq = ? ORDER BY seq").all(threadId, t.seq);
    return (rows as { item_json: string }[]).map((r) => r.item_json).join(",");
  }
  // summary: paginated keeps bucket order; legacy lists the first user message, then the last agent message
  let seqs = [t.first_user_seq, t.final_agent_seq].filter((s): s is number => s !== null);
  if (mode === "paginated") seqs.sort((a, b) => a - b);
  if (seqs.length === 2 && seqs[0] === seqs[1]) seqs = [seqs[0]];
  const get = stmt(db, "SELECT item_json FROM items WHERE thread_id = ? AND seq = ?");
  return seqs
    .map((s) => (get.get(threadId, s) as { item_json: string } | undefined)?.item_json)
    .filter((j): j is string => j !== undefined)
    .join(",");
}

// ---------------------------------------------------------------------------------------------
// items

/** Codex's `thread/items/list` (defaults: 25 items, oldest first; paginated threads only) as JSON text. */
export function listItemsJson(tables: ProjectionTables, threadId: string, mode: HistoryMode, params: ListItemsParams, opts: ProjectionPagingOptions = {}): string {
  if (mode !== "paginated") throw new HistoryRequestError("thread/items/list is not supported yet", -32601);
  const db = tables.db;
  const size = pageSize(params.limit, ITEMS_DEFAULT_LIMIT, ITEMS_MAX_LIMIT);
  const dir: SortDirection = params.sortDirection ?? "asc";
  const turnId = params.turnId ?? null;
  let c: KeysetCursor | null = null;
  const cur = params.cursor ?? null;
  if (cur !== null && typeof cur === "object") {
    if (!turnId) throw invalidRequest("turnId is required when cursor is an item anchor");
    const itemId = typeof cur.itemId === "string" ? cur.itemId : "";
    const hit = itemId
      ? (stmt(db, "SELECT rollout_ordinal FROM items WHERE thread_id = ? AND turn_id = ? AND item_id = ? ORDER BY seq LIMIT 1").get(threadId, turnId, itemId) as { rollout_ordinal: number } | undefined)
      : undefined;
    if (!hit) throw invalidRequest("cursor.itemId does not identify an item in the requested history scope");
    c = { ordinal: hit.rollout_ordinal, includeAnchor: false };
  } else if (typeof cur === "string") {
    c = parseKeysetCursor(cur, threadId, "itemsByCreatedAtOrdinal");
  }
  const where = `thread_id = ?${turnId !== null ? " AND turn_id = ?" : ""}${bound("rollout_ordinal", c, dir)}`;
  // with a turn: read that turn's items (never a range scan over the thread's)
  const from = turnId !== null ? "items INDEXED BY items_by_turn_id" : "items";
  const sql = `SELECT turn_id, rollout_ordinal, item_json FROM ${from} WHERE ${where} ORDER BY ${order(["rollout_ordinal", "seq"], dir)} LIMIT ?`;
  const args: unknown[] = [threadId];
  if (turnId !== null) args.push(turnId);
  if (c) args.push(c.ordinal);
  args.push(size + 1);
  const rows = stmt(db, sql).all(...args) as { turn_id: string; rollout_ordinal: number; item_json: string }[];

  const budget = opts.maxBytes ?? DEFAULT_PAGE_BYTES;
  const out: string[] = [];
  const kept: number[] = [];
  let bytes = 0;
  let more = rows.length > size;
  for (let i = 0; i < Math.min(rows.length, size); i++) {
    const r = rows[i];
    const item = JSON.parse(r.item_json) as { startedAtMs?: unknown; completedAtMs?: unknown };
    const json = `{"turnId":${J(r.turn_id)},"item":${r.item_json},"startedAtMs":${J(item.startedAtMs ?? null)},"completedAtMs":${J(item.completedAtMs ?? null)}}`;
    const n = Buffer.byteLength(json) + 1;
    if (out.length > 0 && bytes + n > budget) {
      more = true;
      break;
    }
    out.push(json);
    kept.push(r.rollout_ordinal);
    bytes += n;
  }
  const k = (ord: number, anchor: boolean) => keysetCursor(threadId, "itemsByCreatedAtOrdinal", ord, anchor);
  return page(out, more && kept.length ? k(kept[kept.length - 1], false) : null, kept.length ? k(kept[0], true) : null);
}
