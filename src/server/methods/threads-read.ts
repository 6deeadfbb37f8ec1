// Read-only thread methods over a home: thread/list, thread/read, thread/turns/list,
// thread/items/list, thread/loaded/list.
import { z } from "zod";
import type { AppServer } from "../app.js";
import { decodeParams, checkThreadId } from "../params.js";
import { invalidRequest } from "../errors.js";
import { RawJson } from "../jsonrpc.js";
import { CursorError, listThreads } from "../../store/local/list-threads.js";
import { loadThreadHistory } from "../../history/load.js";
import { HistoryRequestError, listItems, listTurns } from "../../history/paging.js";
import { interruptStaleTurns } from "../../history/reducer.js";
import { RpcError } from "../errors.js";
import type { IndexRow } from "../../store/local/index-db.js";
import { Projector } from "../../projections/projector.js";

const SortDirection = z.enum(["asc", "desc"]);
const SOURCE_KINDS = ["cli", "vscode", "exec", "appServer", "subAgent", "subAgentReview", "subAgentCompact", "subAgentThreadSpawn", "subAgentOther", "unknown"] as const;

const ThreadListParams = z
  .object({
    cursor: z.string().nullish(),
    limit: z.number().int().nonnegative().nullish(),
    sortKey: z.enum(["created_at", "updated_at", "recency_at", "section_position"]).nullish(),
    sortDirection: SortDirection.nullish(),
    modelProviders: z.array(z.string()).nullish(),
    sourceKinds: z.array(z.enum(SOURCE_KINDS)).nullish(),
    archived: z.boolean().nullish(),
    cwd: z.union([z.string(), z.array(z.string())]).nullish(),
    searchTerm: z.string().nullish(),
    useStateDbOnly: z.boolean().optional(),
    parentThreadId: z.string().nullish(),
    excludedThreadIds: z.array(z.string()).max(100).nullish(),
  })
  .passthrough();

const ThreadReadParams = z.object({ threadId: z.string(), includeTurns: z.boolean().optional() }).passthrough();

const ThreadTurnsListParams = z
  .object({
    threadId: z.string(),
    cursor: z.string().nullish(),
    limit: z.number().int().nonnegative().nullish(),
    sortDirection: SortDirection.nullish(),
    itemsView: z.enum(["notLoaded", "summary", "full"]).nullish(),
  })
  .passthrough();

const ThreadItemsListParams = z
  .object({
    threadId: z.string(),
    turnId: z.string().nullish(),
    cursor: z.string().nullish(),
    limit: z.number().int().nonnegative().nullish(),
    sortDirection: SortDirection.nullish(),
  })
  .passthrough();

const LoadedListParams = z.object({ cursor: z.string().nullish(), limit: z.number().int().nonnegative().nullish() }).passthrough();

const DEFAULT_LIST_LIMIT = 25;
const MAX_LIST_LIMIT = 100;

export function registerReadMethods(app: AppServer): void {
  const { index } = app;

  /** A stored thread by id, or Codex's error for an unknown one. */
  async function findThread(threadId: string): Promise<IndexRow> {
    const id = checkThreadId(threadId);
    await index.ensureFresh();
    let row = index.get(id);
    if (!row) {
      await index.ensureFresh(true);
      row = index.get(id);
    }
    if (!row) throw invalidRequest(`thread not loaded: ${threadId}`);
    return row;
  }

  const history = (row: IndexRow) => loadThreadHistory(row.path, (id) => index.resolvePath(id));

  // thread/turns/list and thread/items/list read pages from the projections
  // (<home>/spool/projections.sqlite, in memory when the index is), brought up to date with the
  // rollout first: only the bytes appended since the last request are read.
  let projector: Projector | null = null;
  const projections = () =>
    (projector ??= new Projector({ home: index.home, memory: index.db.memory, resolvePath: (id) => index.resolvePath(id), warn: (m) => app.log.warn(m) }));
  app.onClose(() => {
    projector?.close();
    projector = null;
  });

  /** A page from the projections; when they cannot be used (a failing store), from a full replay. */
  async function fromProjections(row: IndexRow, read: (p: Projector) => string, replay: () => Promise<unknown>): Promise<unknown> {
    let p: Projector;
    try {
      p = projections();
      await p.syncThread(row.id, row.path);
    } catch (e) {
      app.log.warn({ err: e, threadId: row.id }, "projections unavailable, replaying the rollout");
      return replay();
    }
    try {
      return new RawJson(read(p));
    } catch (e) {
      return rethrowCursor(e);
    }
  }

  const rethrowCursor = (e: unknown): never => {
    if (e instanceof CursorError) throw invalidRequest(e.message);
    if (e instanceof HistoryRequestError) throw new RpcError(e.code, e.message);
    throw e;
  };

  app.register("thread/list", async (raw) => {
    const p = decodeParams(ThreadListParams, raw);
    await index.ensureFresh();
    const limit = Math.min(Math.max(p.limit ?? DEFAULT_LIST_LIMIT, 1), MAX_LIST_LIMIT);
    let page;
    try {
      page = listThreads(index.db, {
        limit,
        cursor: p.cursor ?? null,
        sortKey: p.sortKey === "updated_at" || p.sortKey === "recency_at" ? p.sortKey : "created_at",
        sortDirection: p.sortDirection ?? "desc",
        archived: p.archived ?? false,
        sourceKinds: p.sourceKinds ?? null,
        modelProviders: p.modelProviders ?? null,
        defaultProvider: app.config.modelProvider,
        cwds: p.cwd == null ? null : Array.isArray(p.cwd) ? p.cwd : [p.cwd],
        searchTerm: p.searchTerm || null,
        parentThreadId: p.parentThreadId ?? null,
        excludedThreadIds: p.excludedThreadIds ?? [],
      });
    } catch (e) {
      rethrowCursor(e);
      throw e;
    }
    const cursor = (c: string | null) => (c === null ? "null" : JSON.stringify(c));
    return new RawJson(`{"data":[${page.threadJson.join(",")}],"readStates":{},"nextCursor":${cursor(page.nextCursor)},"backwardsCursor":${cursor(page.backwardsCursor)}}`);
  });

  app.register("thread/read", async (raw) => {
    const p = decodeParams(ThreadReadParams, raw);
    const row = await findThread(p.threadId);
    const thread = index.thread(row);
    if (!p.includeTurns) return { thread };
    // a full read holds every turn: it waits its turn, and is serialized inside the slot so the
    // turns are garbage before the next read starts (only the answer's text outlives it)
    return app.heavyReads.run(async () => {
      // nothing runs in a thread that is not loaded: an unfinished turn was interrupted
      thread.turns = interruptStaleTurns((await history(row)).turns());
      return new RawJson(JSON.stringify({ thread }));
    });
  });

  app.register("thread/turns/list", async (raw) => {
    const p = decodeParams(ThreadTurnsListParams, raw);
    const row = await findThread(p.threadId);
    return fromProjections(
      row,
      (pj) => pj.listTurnsJson(row.id, p),
      async () => {
        const h = await history(row);
        try {
          return listTurns(h, row.id, p);
        } catch (e) {
          return rethrowCursor(e);
        }
      },
    );
  });

  app.register("thread/items/list", async (raw) => {
    const p = decodeParams(ThreadItemsListParams, raw);
    const row = await findThread(p.threadId);
    return fromProjections(
      row,
      (pj) => pj.listItemsJson(row.id, p),
      async () => {
        const h = await history(row);
        try {
          return listItems(h, row.id, p);
        } catch (e) {
          return rethrowCursor(e);
        }
      },
    );
  });

  app.register("thread/loaded/list", async (raw) => {
    decodeParams(LoadedListParams, raw);
    // no thread is loaded by the read-only server: threads load when resumed or started
    return { data: [], nextCursor: null };
  });
}
