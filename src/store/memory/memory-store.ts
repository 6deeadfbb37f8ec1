// InMemoryThreadStore: the reference ThreadStore, all in memory (tests, ephemeral servers).
//
// Semantics shared with every store (see test/helpers/store-conformance.ts):
//  - createThread reserves the id; the thread can be read at once but is listed only once it is
//    materialized (first non-empty append or first metadata update), like a rollout file that
//    exists only after its first write. History starts with the thread's session_meta item.
//  - appendItems stores raw items in order and never touches metadata.
//  - updateThreadMetadata is the only metadata write: absent = untouched, null = clear,
//    advanceRecencyAtMs keeps the max, gitInfo merges field by field.
//  - archived threads are hidden from reads unless includeArchived; archive/unarchive on a thread
//    already in that state is invalid_request; unarchive bumps updatedAt (Codex touches the file).
import {
  ThreadStoreError,
  type CreateThreadParams,
  type ListThreadsParams,
  type RolloutItem,
  type StoredThread,
  type ThreadMetadataPatch,
  type ThreadPage,
  type ThreadStore,
} from "../types.js";
import { sessionMetaPayload } from "../../rollout/writer-format.js";
import {
  applyPatch,
  cloneJson,
  compareForList,
  initialFields,
  isThreadId,
  listCursor,
  matchesList,
  normalizeList,
  sortMs,
  validateCreateParams,
  validateItems,
  validatePatch,
  type ThreadFields,
} from "./semantics.js";

export interface InMemoryThreadStoreOptions {
  /** Clock (ms since the epoch); tests pin it. */
  now?: () => number;
}

interface Rec {
  id: string;
  fields: ThreadFields;
  name: string | null;
  history: RolloutItem[];
  materialized: boolean;
}

export class InMemoryThreadStore implements ThreadStore {
  private readonly threads = new Map<string, Rec>();
  private readonly now: () => number;
  private closed = false;

  constructor(opts: InMemoryThreadStoreOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  private live(): void {
    if (this.closed) throw new ThreadStoreError("internal", "store is closed");
  }

  private get(threadId: string, includeArchived = false): Rec {
    this.live();
    const r = isThreadId(threadId) ? this.threads.get(threadId) : undefined;
    if (!r || (r.fields.archivedAtMs !== null && !includeArchived)) throw ThreadStoreError.notFound(threadId);
    return r;
  }

  private view(r: Rec, includeHistory = false): StoredThread {
    const t: StoredThread = { threadId: r.id, rolloutPath: null, name: r.name, ...structuredClone(r.fields) };
    if (includeHistory) t.history = cloneJson(r.history);
    return t;
  }

  async createThread(params: CreateThreadParams): Promise<void> {
    this.live();
    validateCreateParams(params);
    if (this.threads.has(params.threadId)) throw ThreadStoreError.conflict(`thread ${params.threadId} already exists`);
    const createdAt = params.createdAt ?? new Date(this.now());
    const meta: RolloutItem = { type: "session_meta", payload: sessionMetaPayload(params, createdAt) };
    this.threads.set(params.threadId, {
      id: params.threadId,
      fields: initialFields(structuredClone(params), createdAt.getTime()),
      name: null,
      history: [cloneJson(meta)],
      materialized: false,
    });
  }

  async resumeThread(threadId: string, opts: { includeArchived?: boolean } = {}): Promise<void> {
    this.get(threadId, opts.includeArchived);
  }

  async appendItems(threadId: string, items: RolloutItem[]): Promise<void> {
    const r = this.get(threadId, true);
    validateItems(threadId, items);
    if (!items.length) return;
    let copies: RolloutItem[];
    try {
      copies = items.map((i) => JSON.parse(JSON.stringify(i)) as RolloutItem);
    } catch (e) {
      throw ThreadStoreError.invalid(`appendItems(${threadId}): items must be JSON (${(e as Error).message})`);
    }
    r.history.push(...copies);
    r.materialized = true;
  }

  async flushThread(threadId: string): Promise<void> {
    this.get(threadId, true);
  }

  async shutdownThread(threadId: string): Promise<void> {
    this.get(threadId, true);
  }

  /** Forgets a created thread that was never materialized; a materialized one stays. */
  async discardThread(threadId: string): Promise<void> {
    const r = this.threads.get(threadId);
    if (r && !r.materialized) this.threads.delete(threadId);
  }

  async updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch, opts: { includeArchived?: boolean } = {}): Promise<StoredThread> {
    const r = this.get(threadId, opts.includeArchived);
    validatePatch(threadId, patch);
    if (patch.name !== undefined) {
      // like the local store: the name is history (a thread_name_updated event)
      r.history.push({ type: "event_msg", payload: { type: "thread_name_updated", thread_id: threadId, thread_name: patch.name } });
      r.name = patch.name;
    }
    r.fields = applyPatch(r.fields, patch);
    r.materialized = true;
    return this.view(r);
  }

  async readThread(threadId: string, opts: { includeArchived?: boolean; includeHistory?: boolean } = {}): Promise<StoredThread> {
    return this.view(this.get(threadId, opts.includeArchived), opts.includeHistory);
  }

  async loadHistory(threadId: string, opts: { includeArchived?: boolean } = {}): Promise<RolloutItem[]> {
    return cloneJson(this.get(threadId, opts.includeArchived).history);
  }

  async listThreads(params: ListThreadsParams): Promise<ThreadPage> {
    this.live();
    const q = normalizeList(params);
    const rows = [...this.threads.values()]
      .filter((r) => r.materialized)
      .map((r) => this.view(r))
      .filter((t) => matchesList(t, q))
      .sort((a, b) => compareForList(a, b, q));
    const page = rows.slice(0, q.pageSize);
    const last = page[page.length - 1];
    return { items: page, nextCursor: rows.length > q.pageSize && last ? listCursor(sortMs(last, q.sortKey), last.threadId) : null };
  }

  async archiveThread(threadId: string): Promise<void> {
    const r = this.get(threadId, true);
    if (r.fields.archivedAtMs !== null) throw ThreadStoreError.invalid(`thread ${threadId} is already archived`);
    r.fields = { ...r.fields, archivedAtMs: this.now() };
    r.materialized = true;
  }

  async unarchiveThread(threadId: string): Promise<StoredThread> {
    const r = this.get(threadId, true);
    if (r.fields.archivedAtMs === null) throw ThreadStoreError.invalid(`thread ${threadId} is not archived`);
    r.fields = { ...r.fields, archivedAtMs: null, updatedAtMs: this.now() };
    return this.view(r);
  }

  async deleteThread(threadId: string): Promise<void> {
    this.get(threadId, true);
    this.threads.delete(threadId);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
