// Codex's `thread/turns/list` and `thread/items/list` over a reduced history.
//
// Paginated threads page by rollout ordinal with keyset cursors
//   {"requestedThreadId":…,"rolloutOrdinal":N,"includeAnchor":bool,"scope":{"kind":"turns"|"itemsByCreatedAtOrdinal"}}
// Legacy threads page turns by position with `{"turnId":…,"includeAnchor":bool}` cursors, and
// have no item listing (Codex answers -32601).
// In both, `nextCursor` is set only when more rows follow, and `backwardsCursor` (the first row,
// anchor included) lets a client page the other way.
import { quoteInput } from "../util/quote.js";
import type { ThreadItem, Turn } from "../protocol/v2.js";
import { interruptStaleTurns, type ThreadHistoryReducer } from "./reducer.js";

export const TURNS_DEFAULT_LIMIT = 25;
export const TURNS_MAX_LIMIT = 100;
export const ITEMS_DEFAULT_LIMIT = 25;
export const ITEMS_MAX_LIMIT = 100;

/** A request error with the JSON-RPC code the server should answer with. */
export class HistoryRequestError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = "HistoryRequestError";
  }
}
export const invalidRequest = (message: string) => new HistoryRequestError(message, -32600);
const invalidCursor = (what: string) => invalidRequest(`invalid cursor: ${quoteInput(what)}`);

export type SortDirection = "asc" | "desc";

export interface ListTurnsParams {
  cursor?: string | null;
  limit?: number | null;
  sortDirection?: SortDirection | null;
  itemsView?: "notLoaded" | "summary" | "full" | null;
}

export interface ListItemsParams {
  cursor?: string | { type: "item"; itemId: string } | null;
  limit?: number | null;
  sortDirection?: SortDirection | null;
  turnId?: string | null;
}

export interface PagingOptions {
  /** The thread has a turn running right now: keep `inProgress` turns as they are. */
  threadActive?: boolean;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
  backwardsCursor: string | null;
}

export interface ThreadItemEntry {
  turnId: string;
  item: ThreadItem;
  startedAtMs: number | null;
  completedAtMs: number | null;
}

export const pageSize = (limit: number | null | undefined, dflt: number, max: number) => {
  const n = typeof limit === "number" && Number.isFinite(limit) ? Math.floor(limit) : dflt;
  return Math.min(Math.max(n, 1), max);
};

// ---------------------------------------------------------------------------------------------
// keyset cursors (paginated threads)

export type Scope = "turns" | "itemsByCreatedAtOrdinal";

export interface KeysetCursor {
  ordinal: number;
  includeAnchor: boolean;
}

export function keysetCursor(threadId: string, scope: Scope, ordinal: number, includeAnchor: boolean): string {
  return JSON.stringify({ requestedThreadId: threadId, rolloutOrdinal: ordinal, includeAnchor, scope: { kind: scope } });
}

/** A cursor's JSON object (or null for other JSON); a cursor that is not JSON is invalid. */
function cursorObject(cursor: string): Record<string, unknown> | null {
  try {
    return JSON.parse(cursor) as Record<string, unknown> | null;
  } catch {
    throw invalidCursor(cursor);
  }
}

export function parseKeysetCursor(cursor: string, threadId: string, scope: Scope): KeysetCursor {
  const o = cursorObject(cursor);
  const sc = o && typeof o === "object" ? (o.scope as Record<string, unknown> | null) : null;
  const ok =
    o !== null &&
    typeof o === "object" &&
    !Array.isArray(o) &&
    typeof o.requestedThreadId === "string" &&
    o.requestedThreadId.toLowerCase() === threadId.toLowerCase() &&
    Number.isSafeInteger(o.rolloutOrdinal) &&
    (o.rolloutOrdinal as number) >= 0 &&
    typeof o.includeAnchor === "boolean" &&
    sc !== null &&
    typeof sc === "object" &&
    sc.kind === scope;
  if (!ok) throw invalidCursor(cursor);
  return { ordinal: o!.rolloutOrdinal as number, includeAnchor: o!.includeAnchor as boolean };
}

function passes(ord: number, c: KeysetCursor | null, dir: SortDirection): boolean {
  if (!c) return true;
  if (dir === "asc") return c.includeAnchor ? ord >= c.ordinal : ord > c.ordinal;
  return c.includeAnchor ? ord <= c.ordinal : ord < c.ordinal;
}

/** Takes up to `size` rows (already in `dir` order) past the cursor, plus whether more follow. */
function window<T>(rows: T[], ordOf: (r: T) => number, c: KeysetCursor | null, dir: SortDirection, size: number): { rows: T[]; more: boolean } {
  const out: T[] = [];
  const n = rows.length;
  for (let k = 0; k < n; k++) {
    const r = rows[dir === "asc" ? k : n - 1 - k];
    if (!passes(ordOf(r), c, dir)) continue;
    if (out.length === size) return { rows: out, more: true };
    out.push(r);
  }
  return { rows: out, more: false };
}

// ---------------------------------------------------------------------------------------------
// turns

/** Codex's `thread/turns/list` (defaults: 25 turns, newest first, summary items). */
export function listTurns(h: ThreadHistoryReducer, threadId: string, params: ListTurnsParams, opts: PagingOptions = {}): Page<Turn> {
  const size = pageSize(params.limit, TURNS_DEFAULT_LIMIT, TURNS_MAX_LIMIT);
  const dir: SortDirection = params.sortDirection ?? "desc";
  const view = params.itemsView ?? "summary";
  let turns = h.turns();
  if (!opts.threadActive) turns = interruptStaleTurns(turns);
  return h.historyMode() === "paginated" ? paginatedTurns(h, threadId, turns, params.cursor ?? null, size, dir, view) : legacyTurns(turns, params.cursor ?? null, size, dir, view);
}

function paginatedTurns(h: ThreadHistoryReducer, threadId: string, turns: Turn[], cursor: string | null, size: number, dir: SortDirection, view: "notLoaded" | "summary" | "full"): Page<Turn> {
  const c = cursor !== null ? parseKeysetCursor(cursor, threadId, "turns") : null;
  const idx = turns.map((_, i) => i);
  const meta = idx.map((i) => h.turnMeta(i)!);
  const { rows, more } = window(idx, (i) => meta[i].ordinal, c, dir, size);
  const data = rows.map((i) => {
    const t = turns[i];
    let items: ThreadItem[];
    if (view === "full") items = t.items;
    else if (view === "notLoaded") items = [];
    else {
      const m = meta[i];
      items = t.items.filter((it) => it.id === m.firstUserId || it.id === m.finalAgentId);
    }
    return { ...t, items, itemsView: view };
  });
  return {
    data,
    nextCursor: more && rows.length ? keysetCursor(threadId, "turns", meta[rows[rows.length - 1]].ordinal, false) : null,
    backwardsCursor: rows.length ? keysetCursor(threadId, "turns", meta[rows[0]].ordinal, true) : null,
  };
}

export interface LegacyCursor {
  turnId: string;
  includeAnchor: boolean;
}

export const legacyCursor = (turnId: string, includeAnchor: boolean) => JSON.stringify({ turnId, includeAnchor });

export function parseLegacyCursor(cursor: string): LegacyCursor {
  const o = cursorObject(cursor);
  if (!o || typeof o !== "object" || Array.isArray(o) || typeof o.turnId !== "string" || typeof o.includeAnchor !== "boolean") throw invalidCursor(cursor);
  return { turnId: o.turnId, includeAnchor: o.includeAnchor };
}

function legacySummary(items: ThreadItem[]): ThreadItem[] {
  const first = items.findIndex((i) => i.type === "userMessage");
  let last = -1;
  for (let i = items.length - 1; i >= 0; i--) {
    if (items[i].type === "agentMessage") {
      last = i;
      break;
    }
  }
  const out: ThreadItem[] = [];
  if (first >= 0) out.push(items[first]);
  if (last >= 0 && last !== first) out.push(items[last]);
  return out;
}

function legacyTurns(turns: Turn[], cursor: string | null, size: number, dir: SortDirection, view: "notLoaded" | "summary" | "full"): Page<Turn> {
  if (turns.length === 0) return { data: [], nextCursor: null, backwardsCursor: null };
  let anchor: { index: number; includeAnchor: boolean } | null = null;
  if (cursor !== null) {
    const c = parseLegacyCursor(cursor);
    const index = turns.findIndex((t) => t.id === c.turnId);
    if (index < 0) throw invalidRequest("invalid cursor: anchor turn is no longer present");
    anchor = { index, includeAnchor: c.includeAnchor };
  }
  const c = anchor ? { ordinal: anchor.index, includeAnchor: anchor.includeAnchor } : null;
  const idx = turns.map((_, i) => i);
  const { rows, more } = window(idx, (i) => i, c, dir, size);
  const data = rows.map((i) => {
    const t = turns[i];
    const items = view === "full" ? t.items : view === "notLoaded" ? [] : legacySummary(t.items);
    return { ...t, items, itemsView: view };
  });
  return {
    data,
    nextCursor: more && rows.length ? legacyCursor(turns[rows[rows.length - 1]].id, false) : null,
    backwardsCursor: rows.length ? legacyCursor(turns[rows[0]].id, true) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// items

/** Codex's `thread/items/list` (defaults: 25 items, oldest first); paginated threads only. */
export function listItems(h: ThreadHistoryReducer, threadId: string, params: ListItemsParams): Page<ThreadItemEntry> {
  if (h.historyMode() !== "paginated") throw new HistoryRequestError("thread/items/list is not supported yet", -32601);
  const size = pageSize(params.limit, ITEMS_DEFAULT_LIMIT, ITEMS_MAX_LIMIT);
  const dir: SortDirection = params.sortDirection ?? "asc";
  const turnId = params.turnId ?? null;
  const all = h.itemEntries();
  let c: KeysetCursor | null = null;
  const cur = params.cursor ?? null;
  if (cur !== null && typeof cur === "object") {
    if (!turnId) throw invalidRequest("turnId is required when cursor is an item anchor");
    const itemId = typeof cur.itemId === "string" ? cur.itemId : "";
    const hit = itemId ? all.find((r) => r.turnId === turnId && r.item.id === itemId) : undefined;
    if (!hit) throw invalidRequest("cursor.itemId does not identify an item in the requested history scope");
    c = { ordinal: hit.ordinal, includeAnchor: false };
  } else if (typeof cur === "string") {
    c = parseKeysetCursor(cur, threadId, "itemsByCreatedAtOrdinal");
  }
  const rowsIn = turnId !== null ? all.filter((r) => r.turnId === turnId) : (all as { turnId: string; item: ThreadItem; ordinal: number }[]);
  const { rows, more } = window(rowsIn, (r) => r.ordinal, c, dir, size);
  return {
    data: rows.map((r) => ({ turnId: r.turnId, item: r.item, startedAtMs: r.item.startedAtMs ?? null, completedAtMs: r.item.completedAtMs ?? null }) as ThreadItemEntry),
    nextCursor: more && rows.length ? keysetCursor(threadId, "itemsByCreatedAtOrdinal", rows[rows.length - 1].ordinal, false) : null,
    backwardsCursor: rows.length ? keysetCursor(threadId, "itemsByCreatedAtOrdinal", rows[0].ordinal, true) : null,
  };
}
