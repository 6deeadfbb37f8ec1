// The ThreadStore seam (after Codex's thread-store crate): raw history appends, one literal
// metadata patch, reads, keyset lists, archive/unarchive/delete. Async so remote stores fit.
import type { Json, JsonObject, KnownLineType } from "../rollout/line.js";

/** A rollout item as stored: the line without its timestamp/ordinal envelope. */
export interface RolloutItem {
  /** Every line type the reader knows (the persistence policy keeps all of them). */
  type: KnownLineType;
  payload: JsonObject;
}

export type ThreadStoreErrorKind = "not_found" | "invalid_request" | "conflict" | "unsupported" | "internal";

export class ThreadStoreError extends Error {
  constructor(
    readonly kind: ThreadStoreErrorKind,
    message: string,
  ) {
    super(message);
  }
  static notFound(threadId: string) {
    return new ThreadStoreError("not_found", `thread not found: ${threadId}`);
  }
  static invalid(message: string) {
    return new ThreadStoreError("invalid_request", message);
  }
  static conflict(message: string) {
    return new ThreadStoreError("conflict", message);
  }
  static unsupported(operation: string) {
    return new ThreadStoreError("unsupported", `unsupported operation: ${operation}`);
  }
}

export type HistoryMode = "legacy" | "paginated";

export interface CreateThreadParams {
  threadId: string;
  /** Shared by a root thread and its subagents; defaults to threadId. */
  sessionId?: string;
  forkedFromId?: string | null;
  parentThreadId?: string | null;
  /** SessionSource as Codex writes it on disk ("vscode", "cli", "exec", "mcp", {subagent: …}). */
  source: Json;
  threadSource?: string | null;
  originator: string;
  cliVersion: string;
  cwd: string;
  modelProvider: string;
  baseInstructions?: string | null;
  historyMode?: HistoryMode;
  createdAt?: Date;
}

/** Absent field = unchanged; `null` = clear (only for clearable fields). */
export interface ThreadMetadataPatch {
  name?: string | null;
  preview?: string;
  firstUserMessage?: string;
  model?: string | null;
  reasoningEffort?: string | null;
  modelProvider?: string;
  cwd?: string;
  cliVersion?: string;
  createdAtMs?: number;
  updatedAtMs?: number;
  /** Monotonic: the store keeps max(current, value). */
  advanceRecencyAtMs?: number;
  tokensUsed?: number;
  threadSource?: string | null;
  agentNickname?: string | null;
  agentRole?: string | null;
  gitInfo?: { sha?: string | null; branch?: string | null; originUrl?: string | null };
}

export interface StoredThread {
  threadId: string;
  sessionId: string;
  forkedFromId: string | null;
  parentThreadId: string | null;
  rolloutPath: string | null;
  preview: string;
  firstUserMessage: string | null;
  name: string | null;
  modelProvider: string;
  model: string | null;
  reasoningEffort: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  recencyAtMs: number;
  archivedAtMs: number | null;
  cwd: string;
  cliVersion: string;
  originator: string | null;
  source: Json;
  threadSource: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  gitInfo: { sha: string | null; branch: string | null; originUrl: string | null } | null;
  historyMode: HistoryMode;
  tokensUsed: number;
  /** Set only when asked for (includeHistory). */
  history?: RolloutItem[];
}

export interface ListThreadsParams {
  pageSize: number;
  cursor?: string | null;
  sortKey?: "created_at" | "updated_at" | "recency_at";
  sortDirection?: "asc" | "desc";
  archived?: boolean;
  /** null/undefined: every source. */
  sourceKinds?: string[] | null;
  /** null/undefined: every provider. */
  modelProviders?: string[] | null;
  /** null/undefined: any cwd; []: nothing. */
  cwds?: string[] | null;
  searchTerm?: string | null;
}

export interface ThreadPage {
  items: StoredThread[];
  nextCursor: string | null;
}

export interface ThreadStore {
  /** Creates the thread; its first line (session_meta) is written with the first append or persist. */
  createThread(params: CreateThreadParams): Promise<void>;
  /** Raw canonical history, in order. Never infers metadata. */
  appendItems(threadId: string, items: RolloutItem[]): Promise<void>;
  /** Returns once everything appended so far is durable. */
  flushThread(threadId: string): Promise<void>;
  /** Reopens a stored thread's live writer (takes the writer lock); conflict if another holds it. */
  resumeThread(threadId: string, opts?: { includeArchived?: boolean }): Promise<void>;
  /** Flushes and closes the live writer (releases the lock); later appends reopen cold. */
  shutdownThread(threadId: string): Promise<void>;
  /** Idempotent release after a failed load: durable data stays, pending items are dropped. */
  discardThread(threadId: string): Promise<void>;
  /** The only metadata write: a literal patch. */
  updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch, opts?: { includeArchived?: boolean }): Promise<StoredThread>;
  readThread(threadId: string, opts?: { includeArchived?: boolean; includeHistory?: boolean }): Promise<StoredThread>;
  loadHistory(threadId: string, opts?: { includeArchived?: boolean }): Promise<RolloutItem[]>;
  listThreads(params: ListThreadsParams): Promise<ThreadPage>;
  archiveThread(threadId: string): Promise<void>;
  unarchiveThread(threadId: string): Promise<StoredThread>;
  deleteThread(threadId: string): Promise<void>;
  close(): Promise<void>;
}

/** The ThreadStore methods that do the work (all but close): the stores wrap each one to report its errors as ThreadStoreErrors naming it. */
export const THREAD_STORE_OPERATIONS = [
  "createThread",
  "resumeThread",
  "appendItems",
  "flushThread",
  "shutdownThread",
  "discardThread",
  "updateThreadMetadata",
  "readThread",
  "loadHistory",
  "listThreads",
  "archiveThread",
  "unarchiveThread",
  "deleteThread",
] as const satisfies ReadonlyArray<keyof ThreadStore>;
