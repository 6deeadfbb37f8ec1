// The ThreadStore semantics every store shares, as pure functions: parameter validation, the
// initial metadata of a created thread, the literal metadata patch (absent = untouched, null =
// clear, recency monotonic, git info merged field by field) and list filtering/ordering/cursors.
// InMemoryThreadStore is built on these; LocalThreadStore applies the same patch function to its
// SQLite rows so both pass one conformance suite.
import type { Json, JsonObject } from "../../rollout/line.js";
import { KNOWN_LINE_TYPES } from "../../rollout/line.js";
import { sourceKind } from "../../metadata/thread.js";
import { CursorError, parseListCursor } from "../local/list-threads.js";
import { sessionSourceAgent } from "../../rollout/writer-format.js";
import {
  ThreadStoreError,
  type CreateThreadParams,
  type ListThreadsParams,
  type RolloutItem,
  type StoredThread,
  type ThreadMetadataPatch,
} from "../types.js";

/** Everything of a StoredThread a store keeps as metadata (not the name, path, or history). */
export type ThreadFields = Omit<StoredThread, "threadId" | "rolloutPath" | "name" | "history">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isThreadId = (id: unknown): id is string => typeof id === "string" && UUID.test(id);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isMs = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const knownTypes = new Set<string>(KNOWN_LINE_TYPES);

export function validateCreateParams(p: CreateThreadParams): void {
  const bad = (m: string) => {
    throw ThreadStoreError.invalid(`createThread: ${m}`);
  };
  if (!isObj(p)) bad("params must be an object");
  if (!isThreadId(p.threadId)) bad(`threadId must be a lowercase UUID, got ${JSON.stringify(p.threadId)}`);
  if (p.sessionId !== undefined && !isThreadId(p.sessionId)) bad("sessionId must be a lowercase UUID");
  for (const k of ["forkedFromId", "parentThreadId"] as const) {
    const v = p[k];
    if (v !== undefined && v !== null && !isThreadId(v)) bad(`${k} must be a lowercase UUID or null`);
  }
  for (const k of ["originator", "cliVersion", "cwd", "modelProvider"] as const) if (typeof p[k] !== "string") bad(`${k} must be a string`);
  if (p.source === undefined || p.source === null) bad("source is required");
  if (p.threadSource !== undefined && p.threadSource !== null && typeof p.threadSource !== "string") bad("threadSource must be a string or null");
  if (p.baseInstructions !== undefined && p.baseInstructions !== null && typeof p.baseInstructions !== "string") bad("baseInstructions must be a string or null");
  if (p.historyMode !== undefined && p.historyMode !== "legacy" && p.historyMode !== "paginated") bad(`unknown historyMode ${JSON.stringify(p.historyMode)}`);
  if (p.createdAt !== undefined && !(p.createdAt instanceof Date && !Number.isNaN(p.createdAt.getTime()) && p.createdAt.getTime() >= 0)) bad("createdAt must be a valid Date");
  if (p.historyMode === "paginated") {
    // Codex reads paginated threads through its own SQLite projection, which no Spool store writes
    throw new ThreadStoreError("unsupported", "unsupported operation: paginated history mode (Spool stores write legacy history)");
  }
}

export function validateItems(threadId: string, items: unknown): asserts items is RolloutItem[] {
  if (!Array.isArray(items)) throw ThreadStoreError.invalid(`appendItems(${threadId}): items must be an array`);
  items.forEach((it, i) => {
    if (!isObj(it)) throw ThreadStoreError.invalid(`appendItems(${threadId}): item ${i} is not an object`);
    if (typeof it.type !== "string" || !knownTypes.has(it.type)) throw ThreadStoreError.invalid(`appendItems(${threadId}): item ${i} has unknown type ${JSON.stringify(it.type)}`);
    if (!isObj(it.payload)) throw ThreadStoreError.invalid(`appendItems(${threadId}): item ${i} has no payload object`);
  });
}

/** The metadata of a thread as created (before any patch): empty preview, recency = creation. */
export function initialFields(p: CreateThreadParams, createdAtMs: number): ThreadFields {
  const agent = sessionSourceAgent(p.source);
  return {
    sessionId: p.sessionId ?? p.threadId,
    forkedFromId: p.forkedFromId ?? null,
    parentThreadId: p.parentThreadId ?? null,
    preview: "",
    firstUserMessage: null,
    modelProvider: p.modelProvider,
    model: null,
    reasoningEffort: null,
    createdAtMs,
    updatedAtMs: createdAtMs,
    recencyAtMs: createdAtMs,
    archivedAtMs: null,
    cwd: p.cwd,
    cliVersion: p.cliVersion,
    originator: p.originator,
    source: p.source,
    threadSource: p.threadSource ?? null,
    agentNickname: agent.nickname,
    agentRole: agent.role,
    gitInfo: null,
    historyMode: "legacy",
    tokensUsed: 0,
  };
}

type FieldKind = "string" | "nullableString" | "ms" | "count";
const PATCH_FIELDS: Record<Exclude<keyof ThreadMetadataPatch, "gitInfo" | "name">, FieldKind> = {
  preview: "string",
  firstUserMessage: "string",
  model: "nullableString",
  reasoningEffort: "nullableString",
  modelProvider: "string",
  cwd: "string",
  cliVersion: "string",
  createdAtMs: "ms",
  updatedAtMs: "ms",
  advanceRecencyAtMs: "ms",
  tokensUsed: "count",
  threadSource: "nullableString",
  agentNickname: "nullableString",
  agentRole: "nullableString",
};
const GIT_FIELDS = ["sha", "branch", "originUrl"] as const;

/** Throws invalid_request for anything the patch type does not allow (unknown keys included). */
export function validatePatch(threadId: string, patch: ThreadMetadataPatch): void {
  const bad = (m: string) => {
    throw ThreadStoreError.invalid(`updateThreadMetadata(${threadId}): ${m}`);
  };
  if (!isObj(patch)) bad("patch must be an object");
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (k === "name") {
      if (v !== null && (typeof v !== "string" || v.trim() === "")) bad("name must be a non-empty string or null");
      continue;
    }
    if (k === "gitInfo") {
      if (v === null) continue; // clears all three fields
      if (!isObj(v)) bad("gitInfo must be an object");
      for (const [gk, gv] of Object.entries(v)) {
        if (!(GIT_FIELDS as readonly string[]).includes(gk)) bad(`unknown gitInfo field ${gk}`);
        if (gv !== undefined && gv !== null && typeof gv !== "string") bad(`gitInfo.${gk} must be a string or null`);
      }
      continue;
    }
    const kind = (PATCH_FIELDS as Record<string, FieldKind | undefined>)[k];
    if (!kind) bad(`unknown field ${k}`);
    if (kind === "string" && typeof v !== "string") bad(`${k} must be a string`);
    if (kind === "nullableString" && v !== null && typeof v !== "string") bad(`${k} must be a string or null`);
    if ((kind === "ms" || kind === "count") && !isMs(v)) bad(`${k} must be a non-negative integer`);
  }
}

/** Applies a validated patch (except `name`, which lives with the history) and returns new fields. */
export function applyPatch(cur: ThreadFields, patch: ThreadMetadataPatch): ThreadFields {
  const next: ThreadFields = { ...cur, gitInfo: cur.gitInfo ? { ...cur.gitInfo } : null };
  const set = next as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || k === "name") continue;
    if (k === "advanceRecencyAtMs") next.recencyAtMs = Math.max(next.recencyAtMs, v as number);
    else if (k === "gitInfo") {
      if (v === null) {
        next.gitInfo = null;
        continue;
      }
      const git = next.gitInfo ?? { sha: null, branch: null, originUrl: null };
      for (const f of GIT_FIELDS) {
        const gv = (v as Record<string, string | null | undefined>)[f];
        if (gv !== undefined) git[f] = gv;
      }
      next.gitInfo = git.sha === null && git.branch === null && git.originUrl === null ? null : git;
    } else set[k] = v;
  }
  return next;
}

// ---- listing ----

export interface NormalizedList {
  pageSize: number;
  sortKey: "created_at" | "updated_at" | "recency_at";
  desc: boolean;
  archived: boolean;
  after: { ms: number; id: string | null } | null;
  /** Expanded source kinds, or null for every source. */
  kinds: string[] | null;
  providers: string[] | null;
  cwds: string[] | null;
  searchTerm: string | null;
}

const SUBAGENT_KINDS = ["subAgentReview", "subAgentCompact", "subAgentThreadSpawn", "subAgentOther", "subAgent"];

export function normalizeList(p: ListThreadsParams): NormalizedList {
  const bad = (m: string) => {
    throw ThreadStoreError.invalid(`listThreads: ${m}`);
  };
  if (!isObj(p)) bad("params must be an object");
  if (!Number.isSafeInteger(p.pageSize) || p.pageSize < 1) bad(`pageSize must be a positive integer, got ${JSON.stringify(p.pageSize)}`);
  const sortKey = p.sortKey ?? "created_at";
  if (!["created_at", "updated_at", "recency_at"].includes(sortKey)) bad(`unknown sortKey ${JSON.stringify(sortKey)}`);
  const dir = p.sortDirection ?? "desc";
  if (dir !== "asc" && dir !== "desc") bad(`unknown sortDirection ${JSON.stringify(dir)}`);
  let after: NormalizedList["after"] = null;
  if (p.cursor) {
    try {
      after = parseListCursor(p.cursor);
    } catch (e) {
      if (e instanceof CursorError) bad(e.message);
      throw e;
    }
  }
  const strs = (name: string, v: unknown): string[] | null => {
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) bad(`${name} must be an array of strings`);
    return v as string[];
  };
  const kinds = strs("sourceKinds", p.sourceKinds);
  const providers = strs("modelProviders", p.modelProviders);
  return {
    pageSize: p.pageSize,
    sortKey,
    desc: dir === "desc",
    archived: p.archived === true,
    after,
    kinds: kinds?.length ? kinds.flatMap((k) => (k === "subAgent" ? SUBAGENT_KINDS : [k])) : null,
    // like Codex: an empty provider list means every provider
    providers: providers?.length ? providers : null,
    cwds: strs("cwds", p.cwds),
    searchTerm: typeof p.searchTerm === "string" && p.searchTerm !== "" ? p.searchTerm : null,
  };
}

export function sortMs(t: Pick<StoredThread, "createdAtMs" | "updatedAtMs" | "recencyAtMs">, key: NormalizedList["sortKey"]): number {
  return key === "created_at" ? t.createdAtMs : key === "updated_at" ? t.updatedAtMs : t.recencyAtMs;
}

/** `<RFC3339 ms>|<id>`: the keyset position after a row (the format Codex's list cursors use). */
export function listCursor(ms: number, id: string): string {
  return `${new Date(ms).toISOString()}|${id}`;
}

export function matchesList(t: StoredThread, q: NormalizedList): boolean {
  if ((t.archivedAtMs !== null) !== q.archived) return false;
  if (q.kinds && !q.kinds.includes(sourceKind(t.source))) return false;
  if (q.providers && !q.providers.includes(t.modelProvider)) return false;
  if (q.cwds && !q.cwds.includes(t.cwd)) return false;
  if (q.searchTerm && !t.preview.includes(q.searchTerm) && !(t.name ?? "").includes(q.searchTerm)) return false;
  if (q.after) {
    const ms = sortMs(t, q.sortKey);
    const { ms: cms, id } = q.after;
    if (q.desc ? ms > cms : ms < cms) return false;
    if (ms === cms && (id === null || (q.desc ? t.threadId >= id : t.threadId <= id))) return false;
  }
  return true;
}

export function compareForList(a: StoredThread, b: StoredThread, q: NormalizedList): number {
  const d = sortMs(a, q.sortKey) - sortMs(b, q.sortKey) || (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0);
  return q.desc ? -d : d;
}

export const cloneJson = <T extends Json | JsonObject | RolloutItem | RolloutItem[]>(v: T): T => structuredClone(v);
