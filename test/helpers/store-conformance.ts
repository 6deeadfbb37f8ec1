// The ThreadStore conformance suite: every store (memory, local, later PostgreSQL) runs these same
// cases through `runStoreConformance(name, makeStore)`. A case gets a fresh, empty store.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { ThreadStoreError, type CreateThreadParams, type RolloutItem, type StoredThread, type ThreadStore } from "../../src/store/types.js";

export interface StoreUnderTest {
  store: ThreadStore;
  /** Removes what the store left behind (temp homes…). Called after close(). */
  cleanup?: () => Promise<void> | void;
}

export type MakeStore = () => Promise<StoreUnderTest> | StoreUnderTest;

/** A UUIDv7-shaped id (lowercase, sortable by creation like Codex's thread ids). */
export function newThreadId(): string {
  return randomUUID();
}

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0, 0);

export function createParams(over: Partial<CreateThreadParams> = {}): CreateThreadParams {
  return {
    threadId: newThreadId(),
    source: "vscode",
    originator: "spool-test",
    cliVersion: "0.169.0",
    cwd: "/work/project",
    modelProvider: "openai",
    baseInstructions: "You are a test.",
    createdAt: new Date(T0),
    ...over,
  };
}

export const userMessage = (text: string): RolloutItem => ({ type: "event_msg", payload: { type: "user_message", message: text, images: [], local_images: [], text_elements: [] } });
export const agentMessage = (text: string): RolloutItem => ({ type: "event_msg", payload: { type: "agent_message", message: text, phase: null } });
export const responseMessage = (role: string, text: string): RolloutItem => ({
  type: "response_item",
  payload: { type: "message", role, content: [{ type: role === "assistant" ? "output_text" : "input_text", text }] },
});

async function rejectsKind(p: Promise<unknown>, kind: ThreadStoreError["kind"], what: string): Promise<ThreadStoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ThreadStoreError, `${what}: expected ThreadStoreError(${kind}), got ${(e as Error)?.stack ?? e}`);
    assert.equal(e.kind, kind, `${what}: expected ${kind}, got ${e.kind}: ${e.message}`);
    return e;
  }
  assert.fail(`${what}: expected ThreadStoreError(${kind}), but it succeeded`);
}

/** Runs the whole suite against stores made by `makeStore`. */
export function runStoreConformance(name: string, makeStore: MakeStore): void {
  const withStore = (title: string, fn: (store: ThreadStore) => Promise<void>) =>
    test(title, async () => {
      const sut = await makeStore();
      try {
        await fn(sut.store);
      } finally {
        await sut.store.close();
        await sut.cleanup?.();
      }
    });

  /** Creates a thread and gives it one user turn (so it exists on every store and is listed). */
  async function materialized(store: ThreadStore, over: Partial<CreateThreadParams> = {}, text = "hello"): Promise<string> {
    const p = createParams(over);
    await store.createThread(p);
    await store.appendItems(p.threadId, [responseMessage("user", text), userMessage(text)]);
    return p.threadId;
  }

  describe(`ThreadStore conformance: ${name}`, () => {
    withStore("createThread: readable at once with creation metadata and empty preview", async (store) => {
      const p = createParams({ source: { subagent: { thread_spawn: { parent_thread_id: newThreadId(), depth: 1, agent_nickname: "Ada", agent_role: "explorer" } } }, threadSource: "user" });
      await store.createThread(p);
      const t = await store.readThread(p.threadId);
      assert.equal(t.threadId, p.threadId);
      assert.equal(t.sessionId, p.threadId, "sessionId defaults to the thread id");
      assert.equal(t.preview, "");
      assert.equal(t.firstUserMessage, null);
      assert.equal(t.name, null);
      assert.equal(t.model, null);
      assert.equal(t.reasoningEffort, null);
      assert.equal(t.modelProvider, "openai");
      assert.equal(t.cwd, "/work/project");
      assert.equal(t.cliVersion, "0.169.0");
      assert.equal(t.originator, "spool-test");
      assert.deepEqual(t.source, p.source);
      assert.equal(t.threadSource, "user");
      assert.equal(t.agentNickname, "Ada");
      assert.equal(t.agentRole, "explorer");
      assert.equal(t.createdAtMs, T0);
      assert.equal(t.updatedAtMs, T0);
      assert.equal(t.recencyAtMs, T0);
      assert.equal(t.archivedAtMs, null);
      assert.equal(t.gitInfo, null);
      assert.equal(t.historyMode, "legacy");
      assert.equal(t.tokensUsed, 0);
      assert.equal(t.history, undefined);
      const h = await store.loadHistory(p.threadId);
      assert.equal(h.length, 1);
      assert.equal(h[0].type, "session_meta");
      assert.equal(h[0].payload.id, p.threadId);
      assert.equal(h[0].payload.history_mode, "legacy");
    });

    withStore("createThread: duplicate id is a conflict; bad params are invalid; paginated is unsupported", async (store) => {
      const p = createParams();
      await store.createThread(p);
      await rejectsKind(store.createThread(p), "conflict", "second create");
      await store.appendItems(p.threadId, [userMessage("x")]);
      await rejectsKind(store.createThread({ ...p }), "conflict", "create over a materialized thread");
      await rejectsKind(store.createThread(createParams({ threadId: "not-a-uuid" })), "invalid_request", "bad id");
      await rejectsKind(store.createThread(createParams({ cwd: 7 as unknown as string })), "invalid_request", "bad cwd");
      await rejectsKind(store.createThread(createParams({ historyMode: "paginated" })), "unsupported", "paginated");
    });

    withStore("appendItems/loadHistory: raw items in order, session_meta first, concurrent appends all kept", async (store) => {
      const p = createParams();
      await store.createThread(p);
      const first = [responseMessage("user", "hi"), userMessage("hi"), agentMessage("hello")];
      await store.appendItems(p.threadId, first);
      const more: RolloutItem[][] = Array.from({ length: 25 }, (_, i): RolloutItem[] => [
        agentMessage(`m${i}`),
        responseMessage("assistant", `m${i} ✓ “quoted” \n\u0001`),
      ]);
      await Promise.all(more.map((items) => store.appendItems(p.threadId, items)));
      await store.flushThread(p.threadId);
      const h = await store.loadHistory(p.threadId);
      assert.equal(h[0].type, "session_meta");
      assert.deepEqual(h.slice(1), [...first, ...more.flat()]);
      const t = await store.readThread(p.threadId, { includeHistory: true });
      assert.deepEqual(t.history, h);
      // an empty append is a no-op
      await store.appendItems(p.threadId, []);
      assert.equal((await store.loadHistory(p.threadId)).length, h.length);
    });

    withStore("appendItems never changes metadata (preview stays empty until a patch)", async (store) => {
      const p = createParams();
      await store.createThread(p);
      await store.appendItems(p.threadId, [
        { type: "turn_context", payload: { cwd: "/elsewhere", model: "gpt-x", effort: "high" } },
        responseMessage("user", "what is up"),
        userMessage("what is up"),
        { type: "event_msg", payload: { type: "token_count", info: { total_token_usage: { total_tokens: 1234 } } } },
      ]);
      const t = await store.readThread(p.threadId);
      assert.equal(t.preview, "");
      assert.equal(t.firstUserMessage, null);
      assert.equal(t.model, null);
      assert.equal(t.reasoningEffort, null);
      assert.equal(t.cwd, "/work/project");
      assert.equal(t.tokensUsed, 0);
      assert.equal(t.updatedAtMs, T0);
      assert.equal(t.recencyAtMs, T0);
      const u = await store.updateThreadMetadata(p.threadId, { preview: "what is up", firstUserMessage: "what is up" });
      assert.equal(u.preview, "what is up");
      assert.equal(u.firstUserMessage, "what is up");
      assert.equal((await store.readThread(p.threadId)).preview, "what is up");
    });

    withStore("appendItems: invalid items are invalid_request, unknown threads not_found", async (store) => {
      const id = await materialized(store);
      await rejectsKind(store.appendItems(id, [{ type: "bogus", payload: {} } as unknown as RolloutItem]), "invalid_request", "unknown type");
      await rejectsKind(store.appendItems(id, [{ type: "event_msg" } as unknown as RolloutItem]), "invalid_request", "no payload");
      await rejectsKind(store.appendItems(id, "nope" as unknown as RolloutItem[]), "invalid_request", "not an array");
      await rejectsKind(store.appendItems(newThreadId(), [userMessage("x")]), "not_found", "unknown thread");
      assert.equal((await store.loadHistory(id)).length, 3, "nothing of the rejected appends was written");
    });

    withStore("updateThreadMetadata: absent untouched, null clears, monotonic recency, git merged field by field", async (store) => {
      const id = await materialized(store);
      let t = await store.updateThreadMetadata(id, { model: "gpt-5", reasoningEffort: "high", tokensUsed: 10, threadSource: "user", agentNickname: "Bo", cwd: "/b", modelProvider: "azure", cliVersion: "9.9.9" });
      assert.equal(t.model, "gpt-5");
      assert.equal(t.reasoningEffort, "high");
      assert.equal(t.tokensUsed, 10);
      assert.equal(t.cwd, "/b");
      assert.equal(t.modelProvider, "azure");
      assert.equal(t.cliVersion, "9.9.9");
      t = await store.updateThreadMetadata(id, { reasoningEffort: null, threadSource: null });
      assert.equal(t.model, "gpt-5", "absent field untouched");
      assert.equal(t.reasoningEffort, null, "null clears");
      assert.equal(t.threadSource, null);
      assert.equal(t.agentNickname, "Bo");
      const same = await store.updateThreadMetadata(id, {});
      assert.deepEqual({ ...same, history: undefined }, { ...t, history: undefined }, "empty patch changes nothing");
      t = await store.updateThreadMetadata(id, { advanceRecencyAtMs: T0 + 5000 });
      assert.equal(t.recencyAtMs, T0 + 5000);
      t = await store.updateThreadMetadata(id, { advanceRecencyAtMs: T0 + 1000 });
      assert.equal(t.recencyAtMs, T0 + 5000, "recency never goes back");
      t = await store.updateThreadMetadata(id, { updatedAtMs: T0 + 100, createdAtMs: T0 - 100 });
      assert.equal(t.updatedAtMs, T0 + 100);
      assert.equal(t.createdAtMs, T0 - 100);
      assert.equal(t.recencyAtMs, T0 + 5000);
      t = await store.updateThreadMetadata(id, { gitInfo: { sha: "abc" } });
      assert.deepEqual(t.gitInfo, { sha: "abc", branch: null, originUrl: null });
      t = await store.updateThreadMetadata(id, { gitInfo: { branch: "main", originUrl: "https://x/y.git" } });
      assert.deepEqual(t.gitInfo, { sha: "abc", branch: "main", originUrl: "https://x/y.git" });
      t = await store.updateThreadMetadata(id, { gitInfo: { sha: null } });
      assert.deepEqual(t.gitInfo, { sha: null, branch: "main", originUrl: "https://x/y.git" });
      t = await store.updateThreadMetadata(id, { gitInfo: { branch: null, originUrl: null } });
      assert.equal(t.gitInfo, null, "all git fields cleared: no git info");
      const read = await store.readThread(id);
      assert.deepEqual(read, t, "readThread returns what the patch returned");
    });

    withStore("updateThreadMetadata: name is set, cleared and recorded in history; bad patches are invalid", async (store) => {
      const id = await materialized(store);
      let t = await store.updateThreadMetadata(id, { name: "My thread" });
      assert.equal(t.name, "My thread");
      assert.equal((await store.readThread(id)).name, "My thread");
      let h = await store.loadHistory(id);
      assert.deepEqual(h[h.length - 1], { type: "event_msg", payload: { type: "thread_name_updated", thread_id: id, thread_name: "My thread" } });
      t = await store.updateThreadMetadata(id, { name: "Renamed" });
      assert.equal(t.name, "Renamed");
      t = await store.updateThreadMetadata(id, { name: null });
      assert.equal(t.name, null);
      assert.equal((await store.readThread(id)).name, null);
      h = await store.loadHistory(id);
      assert.equal(h[h.length - 1].payload.thread_name, null);
      await rejectsKind(store.updateThreadMetadata(id, { name: "  " }), "invalid_request", "blank name");
      await rejectsKind(store.updateThreadMetadata(id, { tokensUsed: -1 }), "invalid_request", "negative tokens");
      await rejectsKind(store.updateThreadMetadata(id, { model: 5 as unknown as string }), "invalid_request", "model not a string");
      await rejectsKind(store.updateThreadMetadata(id, { bogus: 1 } as never), "invalid_request", "unknown field");
      await rejectsKind(store.updateThreadMetadata(id, { gitInfo: { sha: 1 } } as never), "invalid_request", "bad git");
      await rejectsKind(store.updateThreadMetadata(newThreadId(), { preview: "x" }), "not_found", "unknown thread");
    });

    withStore("a created thread is listed only once it has history or metadata", async (store) => {
      const p = createParams();
      await store.createThread(p);
      assert.deepEqual((await store.listThreads({ pageSize: 10 })).items, []);
      await store.updateThreadMetadata(p.threadId, { preview: "first" });
      const l = await store.listThreads({ pageSize: 10 });
      assert.deepEqual(l.items.map((t) => t.threadId), [p.threadId]);
      assert.equal(l.items[0].preview, "first");
      assert.equal(l.nextCursor, null);
    });

    withStore("listThreads: keyset cursors in both directions, ties broken by id, every sort key", async (store) => {
      const ids: string[] = [];
      // 8 threads, two sharing each creation ms
      for (let i = 0; i < 8; i++) ids.push(await materialized(store, { createdAt: new Date(T0 + Math.floor(i / 2) * 1000) }, `msg ${i}`));
      const all: Array<Pick<StoredThread, "threadId" | "createdAtMs">> = await Promise.all(ids.map((id) => store.readThread(id)));
      const byCreated = [...all].sort((a, b) => a.createdAtMs - b.createdAtMs || (a.threadId < b.threadId ? -1 : 1)).map((t) => t.threadId);
      const pageThrough = async (params: { sortKey?: "created_at" | "updated_at" | "recency_at"; sortDirection?: "asc" | "desc" }, size: number) => {
        const out: string[] = [];
        let cursor: string | null = null;
        for (let guard = 0; guard < 20; guard++) {
          const page = await store.listThreads({ pageSize: size, cursor, ...params });
          assert.ok(page.items.length <= size);
          out.push(...page.items.map((t) => t.threadId));
          cursor = page.nextCursor;
          if (!cursor) break;
        }
        return out;
      };
      assert.deepEqual(await pageThrough({ sortDirection: "asc" }, 3), byCreated);
      assert.deepEqual(await pageThrough({}, 3), [...byCreated].reverse(), "default: created_at desc");
      assert.deepEqual(await pageThrough({ sortDirection: "desc" }, 2), [...byCreated].reverse());
      assert.deepEqual(await pageThrough({ sortDirection: "asc" }, 100), byCreated);
      const exact = await store.listThreads({ pageSize: 8 });
      assert.equal(exact.nextCursor, null, "no cursor when the page holds the rest");
      // updated_at / recency_at follow patches, not appends
      const order = [...ids].reverse();
      for (const [i, id] of order.entries()) await store.updateThreadMetadata(id, { updatedAtMs: T0 + 100_000 + i * 10, advanceRecencyAtMs: T0 + 200_000 - i * 10 });
      assert.deepEqual(await pageThrough({ sortKey: "updated_at", sortDirection: "asc" }, 3), order);
      assert.deepEqual(await pageThrough({ sortKey: "updated_at", sortDirection: "desc" }, 3), [...order].reverse());
      assert.deepEqual(await pageThrough({ sortKey: "recency_at", sortDirection: "desc" }, 3), order);
      assert.deepEqual(await pageThrough({ sortKey: "recency_at", sortDirection: "asc" }, 5), [...order].reverse());
      await store.appendItems(order[0], [userMessage("later")]);
      assert.deepEqual(await pageThrough({ sortKey: "updated_at", sortDirection: "asc" }, 3), order, "appends do not move a thread");
      await rejectsKind(store.listThreads({ pageSize: 3, cursor: "garbage" }), "invalid_request", "bad cursor");
      await rejectsKind(store.listThreads({ pageSize: 0 }), "invalid_request", "pageSize 0");
    });

    withStore("listThreads: source, provider, cwd, search and archived filters", async (store) => {
      const a = await materialized(store, { source: "vscode", modelProvider: "openai", cwd: "/a" }, "alpha task");
      const b = await materialized(store, { source: "exec", modelProvider: "azure", cwd: "/b" }, "beta task");
      const c = await materialized(store, { source: { subagent: "review" }, modelProvider: "openai", cwd: "/a" }, "gamma");
      const d = await materialized(store, { source: "cli", modelProvider: "openai", cwd: "/c" }, "delta");
      for (const [id, text] of [[a, "alpha task"], [b, "beta task"], [c, "gamma"], [d, "delta"]]) await store.updateThreadMetadata(id, { preview: text });
      await store.updateThreadMetadata(d, { name: "named beta" });
      const ids = async (params: Omit<Parameters<ThreadStore["listThreads"]>[0], "pageSize">) => new Set((await store.listThreads({ pageSize: 50, ...params })).items.map((t) => t.threadId));
      assert.deepEqual(await ids({}), new Set([a, b, c, d]), "no filter: every source and provider");
      assert.deepEqual(await ids({ sourceKinds: ["vscode", "cli"] }), new Set([a, d]));
      assert.deepEqual(await ids({ sourceKinds: ["subAgent"] }), new Set([c]), "subAgent matches every subagent kind");
      assert.deepEqual(await ids({ sourceKinds: ["subAgentReview"] }), new Set([c]));
      assert.deepEqual(await ids({ sourceKinds: ["exec"] }), new Set([b]));
      assert.deepEqual(await ids({ modelProviders: ["azure"] }), new Set([b]));
      assert.deepEqual(await ids({ modelProviders: [] }), new Set([a, b, c, d]), "empty provider list: every provider");
      assert.deepEqual(await ids({ cwds: ["/a"] }), new Set([a, c]));
      assert.deepEqual(await ids({ cwds: [] }), new Set(), "empty cwd list matches nothing");
      assert.deepEqual(await ids({ searchTerm: "task" }), new Set([a, b]));
      assert.deepEqual(await ids({ searchTerm: "beta" }), new Set([b, d]), "search matches the name too");
      assert.deepEqual(await ids({ searchTerm: "Task" }), new Set(), "search is case-sensitive like Codex");
      await store.updateThreadMetadata(b, { modelProvider: "openai", cwd: "/a" });
      assert.deepEqual(await ids({ modelProviders: ["openai"], cwds: ["/a"] }), new Set([a, b, c]), "filters see patched values");
      await store.archiveThread(a);
      assert.deepEqual(await ids({}), new Set([b, c, d]));
      assert.deepEqual(await ids({ archived: true }), new Set([a]));
      assert.deepEqual(await ids({ archived: true, cwds: ["/b"] }), new Set());
    });

    withStore("archive, unarchive and delete", async (store) => {
      const id = await materialized(store);
      await store.updateThreadMetadata(id, { preview: "hello", model: "m" });
      const before = Date.now();
      await store.archiveThread(id);
      await rejectsKind(store.readThread(id), "not_found", "archived thread without includeArchived");
      await rejectsKind(store.loadHistory(id), "not_found", "archived history without includeArchived");
      await rejectsKind(store.updateThreadMetadata(id, { preview: "x" }), "not_found", "patch archived without includeArchived");
      const arch = await store.readThread(id, { includeArchived: true });
      assert.ok(arch.archivedAtMs !== null && arch.archivedAtMs >= before - 1000, "archivedAtMs set");
      assert.equal(arch.preview, "hello");
      assert.equal(arch.model, "m");
      assert.equal((await store.loadHistory(id, { includeArchived: true })).length, 3);
      const patched = await store.updateThreadMetadata(id, { preview: "still archived" }, { includeArchived: true });
      assert.equal(patched.preview, "still archived");
      assert.ok(patched.archivedAtMs !== null);
      await rejectsKind(store.archiveThread(id), "invalid_request", "archive twice");
      const un = await store.unarchiveThread(id);
      assert.equal(un.archivedAtMs, null);
      assert.ok(un.updatedAtMs >= before - 1000, "unarchive bumps updatedAt");
      assert.equal(un.preview, "still archived");
      assert.equal((await store.readThread(id)).archivedAtMs, null);
      await rejectsKind(store.unarchiveThread(id), "invalid_request", "unarchive an active thread");
      await store.appendItems(id, [agentMessage("after unarchive")]);
      assert.equal((await store.loadHistory(id)).length, 4);
      await store.deleteThread(id);
      await rejectsKind(store.readThread(id, { includeArchived: true }), "not_found", "deleted");
      await rejectsKind(store.deleteThread(id), "not_found", "delete twice");
      assert.deepEqual((await store.listThreads({ pageSize: 10 })).items, []);
      assert.deepEqual((await store.listThreads({ pageSize: 10, archived: true })).items, []);
      // an archived thread can be deleted too
      const id2 = await materialized(store);
      await store.archiveThread(id2);
      await store.deleteThread(id2);
      await rejectsKind(store.readThread(id2, { includeArchived: true }), "not_found", "deleted archived");
    });

    withStore("unknown threads are not_found everywhere", async (store) => {
      const id = newThreadId();
      await rejectsKind(store.readThread(id, { includeArchived: true }), "not_found", "readThread");
      await rejectsKind(store.loadHistory(id, { includeArchived: true }), "not_found", "loadHistory");
      await rejectsKind(store.flushThread(id), "not_found", "flushThread");
      await rejectsKind(store.updateThreadMetadata(id, {}, { includeArchived: true }), "not_found", "updateThreadMetadata");
      await rejectsKind(store.archiveThread(id), "not_found", "archiveThread");
      await rejectsKind(store.unarchiveThread(id), "not_found", "unarchiveThread");
      await rejectsKind(store.deleteThread(id), "not_found", "deleteThread");
      await rejectsKind(store.readThread("not-a-uuid"), "not_found", "malformed id");
      await rejectsKind(store.resumeThread(id), "not_found", "resumeThread");
    });

    withStore("writer lifecycle: resume, shutdown, discard", async (store) => {
      const id = await materialized(store);
      await store.shutdownThread(id);
      await store.resumeThread(id);
      await store.appendItems(id, [agentMessage("resumed")]);
      assert.equal((await store.loadHistory(id)).length, 4);
      if (store.discardThread) {
        const p = createParams();
        await store.createThread(p);
        await store.discardThread(p.threadId);
        await rejectsKind(store.readThread(p.threadId), "not_found", "discarded before any write");
      }
    });

    withStore("returned objects are copies", async (store) => {
      const id = await materialized(store);
      const h = await store.loadHistory(id);
      (h[1].payload as { type: string }).type = "mutated";
      h.push(userMessage("not stored"));
      const again = await store.loadHistory(id);
      assert.equal(again.length, 3);
      assert.notEqual(again[1].payload.type, "mutated");
      const items = [userMessage("mine")];
      await store.appendItems(id, items);
      (items[0].payload as { message: string }).message = "changed after append";
      const last = (await store.loadHistory(id)).at(-1)!;
      assert.equal(last.payload.message, "mine");
    });
  });
}
