// thread/list over the index: keyset pages on (timestamp ms, id), Codex's filters and cursors.
import { quoteInput } from "../../util/quote.js";
import type Database from "better-sqlite3";
import { indexableTerm, matchingThreadsSql } from "./search-index.js";

export type SortKey = "created_at" | "updated_at" | "recency_at";
export type SortDirection = "asc" | "desc";

export interface ListQuery {
  limit: number;
  cursor: string | null;
  sortKey: SortKey;
  sortDirection: SortDirection;
  archived: boolean;
  /** null: interactive sources only (cli, vscode). */
  sourceKinds: string[] | null;
  /** null: the configured default provider; []: every provider. */
  modelProviders: string[] | null;
  defaultProvider: string;
  /** null: any cwd; []: matches nothing. */
  cwds: string[] | null;
  searchTerm: string | null;
  parentThreadId: string | null;
  excludedThreadIds: string[];
}

export interface ListPage {
  /** Pre-serialized Thread objects, in order. */
  threadJson: string[];
  nextCursor: string | null;
  backwardsCursor: string | null;
}

export class CursorError extends Error {}

const COLUMN: Record<SortKey, string> = { created_at: "created_at_ms", updated_at: "updated_at_ms", recency_at: "recency_at_ms" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `<RFC3339>|<id>` continues after that row; a bare `<RFC3339>` (a backwards cursor) is exclusive. */
export function parseListCursor(cursor: string): { ms: number; id: string | null } {
  const [ts, id, ...rest] = cursor.split("|");
  const ms = Date.parse(ts);
  if (rest.length || Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(ts) || (id !== undefined && !UUID.test(id))) {
    throw new CursorError(`invalid cursor: ${quoteInput(cursor)}`);
  }
  return { ms, id: id ?? null };
}

const iso = (ms: number) => new Date(ms).toISOString();

const SUBAGENT_KINDS = ["subAgentReview", "subAgentCompact", "subAgentThreadSpawn", "subAgentOther", "subAgent"];

export function listThreads(db: Database.Database, q: ListQuery): ListPage {
  const col = COLUMN[q.sortKey];
  const where: string[] = ["archived = ?", "preview <> ''"];
  const args: unknown[] = [q.archived ? 1 : 0];
  const kinds = q.sourceKinds?.length ? q.sourceKinds.flatMap((k) => (k === "subAgent" ? SUBAGENT_KINDS : [k])) : ["cli", "vscode"];
  where.push(`source_kind IN (${kinds.map(() => "?").join(",")})`);
  args.push(...kinds);
  const providers = q.modelProviders === null ? [q.defaultProvider] : q.modelProviders;
  if (providers.length) {
    where.push(`model_provider IN (${providers.map(() => "?").join(",")})`);
    args.push(...providers);
  }
  if (q.cwds) {
    if (!q.cwds.length) return { threadJson: [], nextCursor: null, backwardsCursor: null };
    where.push(`cwd IN (${q.cwds.map(() => "?").join(",")})`);
    args.push(...q.cwds);
  }
  if (q.searchTerm) {
    // Codex matches the title case-sensitively (a literal substring of the preview or the name):
    // through the trigram index (search-index.ts), or for a term too short for trigrams, a scan
    if (indexableTerm(q.searchTerm)) {
      const m = matchingThreadsSql(q.searchTerm, ["preview", "name"]);
      where.push(`id IN (${m.sql})`);
      args.push(...m.args);
    } else {
      where.push("(instr(preview, ?) > 0 OR instr(coalesce(name, ''), ?) > 0)");
      args.push(q.searchTerm, q.searchTerm);
    }
  }
  if (q.parentThreadId) {
    where.push("parent_thread_id = ?");
    args.push(q.parentThreadId);
  }
  if (q.excludedThreadIds.length) {
    where.push(`id NOT IN (${q.excludedThreadIds.map(() => "?").join(",")})`);
    args.push(...q.excludedThreadIds);
  }
  const desc = q.sortDirection === "desc";
  const cmp = desc ? "<" : ">";
  if (q.cursor) {
    const c = parseListCursor(q.cursor);
    if (c.id) {
      where.push(`(${col} ${cmp} ? OR (${col} = ? AND id ${cmp} ?))`);
      args.push(c.ms, c.ms, c.id);
    } else {
      where.push(`${col} ${cmp} ?`);
      args.push(c.ms);
    }
  }
  const dir = desc ? "DESC" : "ASC";
  const sql = `SELECT id, ${col} AS ts, thread_json FROM threads WHERE ${where.join(" AND ")} ORDER BY ${col} ${dir}, id ${dir} LIMIT ?`;
  const rows = db.prepare(sql).all(...args, q.limit + 1) as Array<{ id: string; ts: number; thread_json: string }>;
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page[page.length - 1];
  const first = page[0];
  return {
    threadJson: page.map((r) => r.thread_json),
    nextCursor: more && last ? `${iso(last.ts)}|${last.id}` : null,
    // anchored 1 ms outside the first row, so reading back includes it and its same-ms peers
    backwardsCursor: first ? iso(desc ? first.ts - 1 : first.ts + 1) : null,
  };
}
