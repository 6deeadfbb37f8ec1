// ThreadManager: one owner per loaded thread, loaded vs cold routing, subscribers, idle unload,
// and a clear conflict for a second writer (same process or, through the store's lock, another).
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ThreadManager, type CloseReason } from "../src/live/thread-manager.js";
import type { LiveStore } from "../src/live/live-thread.js";
import {
  ThreadStoreError,
  type CreateThreadParams,
  type RolloutItem,
  type StoredThread,
  type ThreadMetadataPatch,
  type ThreadPage,
} from "../src/store/types.js";

// ---- a minimal store with a writer lock shared by "processes" (stand-in until src/store lands) ----

type Call = { op: string; threadId: string; items?: RolloutItem[]; patch?: ThreadMetadataPatch };

/** The durable side: what every "process" sees (the home), including the writer locks. */
class Home {
  readonly rows = new Map<string, StoredThread>();
  readonly histories = new Map<string, RolloutItem[]>();
  readonly locks = new Set<string>();
}

class LockingStore implements LiveStore {
  readonly calls: Call[] = [];
  constructor(readonly home = new Home()) {}

  private lock(threadId: string): void {
    if (this.home.locks.has(threadId)) throw ThreadStoreError.conflict(`rollout of ${threadId} is locked by another writer`);
    this.home.locks.add(threadId);
  }
  async createThread(p: CreateThreadParams): Promise<void> {
    this.calls.push({ op: "createThread", threadId: p.threadId });
    if (this.home.rows.has(p.threadId)) throw ThreadStoreError.conflict(`thread exists: ${p.threadId}`);
    this.lock(p.threadId);
    this.home.rows.set(p.threadId, {
      threadId: p.threadId, sessionId: p.threadId, forkedFromId: null, parentThreadId: null, rolloutPath: null, preview: "",
      firstUserMessage: null, name: null, modelProvider: p.modelProvider, model: null, reasoningEffort: null, createdAtMs: 0,
      updatedAtMs: 0, recencyAtMs: 0, archivedAtMs: null, cwd: p.cwd, cliVersion: p.cliVersion, originator: p.originator,
      source: p.source, threadSource: null, agentNickname: null, agentRole: null, gitInfo: null, historyMode: "legacy", tokensUsed: 0,
    });
    this.home.histories.set(p.threadId, []);
  }
  async resumeThread(threadId: string): Promise<void> {
    this.calls.push({ op: "resumeThread", threadId });
    if (!this.home.rows.has(threadId)) throw ThreadStoreError.notFound(threadId);
    this.lock(threadId);
  }
  async shutdownThread(threadId: string): Promise<void> {
    this.calls.push({ op: "shutdownThread", threadId });
    this.home.locks.delete(threadId);
  }
  async discardThread(threadId: string): Promise<void> {
    this.home.locks.delete(threadId);
  }
  async appendItems(threadId: string, items: RolloutItem[]): Promise<void> {
    this.calls.push({ op: "appendItems", threadId, items });
    const h = this.home.histories.get(threadId);
    if (!h) throw ThreadStoreError.notFound(threadId);
    h.push(...items);
  }
  async flushThread(threadId: string): Promise<void> {
    this.calls.push({ op: "flushThread", threadId });
  }
  async updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch): Promise<StoredThread> {
    this.calls.push({ op: "updateThreadMetadata", threadId, patch });
    const row = this.home.rows.get(threadId);
    if (!row) throw ThreadStoreError.notFound(threadId);
    for (const [k, v] of Object.entries(patch)) if (v !== undefined && k !== "advanceRecencyAtMs" && k !== "gitInfo") (row as unknown as Record<string, unknown>)[k] = v;
    return { ...row };
  }
  async readThread(threadId: string): Promise<StoredThread> {
    const row = this.home.rows.get(threadId);
    if (!row) throw ThreadStoreError.notFound(threadId);
    return { ...row };
  }
  async loadHistory(threadId: string): Promise<RolloutItem[]> {
    this.calls.push({ op: "loadHistory", threadId });
    const h = this.home.histories.get(threadId);
    if (!h) throw ThreadStoreError.notFound(threadId);
    return [...h];
  }
  async listThreads(): Promise<ThreadPage> {
    return { items: [...this.home.rows.values()], nextCursor: null };
  }
  async archiveThread(threadId: string): Promise<void> {
    this.calls.push({ op: "archiveThread", threadId });
    const row = this.home.rows.get(threadId);
    if (row) row.archivedAtMs = 1;
  }
  async unarchiveThread(threadId: string): Promise<StoredThread> {
    const row = this.home.rows.get(threadId);
    if (!row) throw ThreadStoreError.notFound(threadId);
    row.archivedAtMs = null;
    return { ...row };
  }
  async deleteThread(threadId: string): Promise<void> {
    this.calls.push({ op: "deleteThread", threadId });
    this.home.rows.delete(threadId);
    this.home.histories.delete(threadId);
  }
  async close(): Promise<void> {}

  opsFor(threadId: string): string[] {
    return this.calls.filter((c) => c.threadId === threadId).map((c) => c.op);
  }
}

// ---- items ----

const A = "01a1fba4-0000-7000-8000-00000000000a";
const B = "01a1fba4-0000-7000-8000-00000000000b";
const params = (threadId: string): CreateThreadParams => ({
  threadId, source: "vscode", originator: "spool-test", cliVersion: "0.169.0", cwd: "/work/ws", modelProvider: "openai",
});
const ev = (type: string, extra: Record<string, unknown> = {}): RolloutItem => ({ type: "event_msg", payload: { type, ...extra } as never });
const userMsg = (text: string) => ev("user_message", { message: text, images: [] });
const agent = (text: string) => ev("agent_message", { message: text });

function closedLog(m: ThreadManager): [string, CloseReason][] {
  const log: [string, CloseReason][] = [];
  m.on("closed", (id, reason) => log.push([id, reason]));
  return log;
}

test("one owner per loaded thread: load/resume return the same LiveThread; create of a loaded id is a conflict", async () => {
  const store = new LockingStore();
  const m = new ThreadManager(store);
  const live = await m.create(params(A));
  assert.equal(await m.resume(A), live);
  assert.equal(await m.load(A), live);
  assert.equal(m.get(A), live);
  assert.deepEqual(m.loadedThreadIds(), [A]);
  await assert.rejects(m.create(params(A)), (e: unknown) => e instanceof ThreadStoreError && e.kind === "conflict");
  await m.shutdown();
  assert.deepEqual(m.loadedThreadIds(), []);
});

test("concurrent loads of one thread share one LiveThread and one store resume", async () => {
  const store = new LockingStore();
  await store.createThread(params(A));
  await store.shutdownThread(A);
  const m = new ThreadManager(store);
  const [x, y, z] = await Promise.all([m.resume(A), m.load(A), m.resume(A)]);
  assert.equal(x, y);
  assert.equal(y, z);
  assert.equal(store.calls.filter((c) => c.op === "resumeThread").length, 1);
  await m.shutdown();
});

test("loaded threads mutate through their LiveThread, cold threads straight through the store", async () => {
  const store = new LockingStore();
  const m = new ThreadManager(store, { touchIntervalMs: 60_000 });
  const live = await m.create(params(A));
  await m.appendItems(A, [userMsg("hello"), ev("agent_message_delta", { delta: "x" })]);
  assert.deepEqual(store.opsFor(A), ["createThread", "appendItems", "updateThreadMetadata"], "loaded: append then derived patch");
  await m.appendItems(A, [agent("throttled touch")]);
  let viaLive = 0;
  const orig = live.updateMetadata.bind(live);
  live.updateMetadata = (p) => (viaLive++, orig(p));
  const named = await m.setName(A, "Loaded name");
  assert.equal(viaLive, 1, "setName on a loaded thread goes through its LiveThread");
  assert.equal(named.name, "Loaded name");
  const patches = store.calls.filter((c) => c.threadId === A && c.op === "updateThreadMetadata").map((c) => c.patch);
  assert.deepEqual(Object.keys(patches.at(-2)!), ["updatedAtMs"], "the pending touch was flushed before the explicit edit");
  assert.deepEqual(patches.at(-1), { name: "Loaded name" });

  // a cold thread (in the store, not loaded)
  const other = new LockingStore(store.home);
  await other.createThread(params(B));
  await other.shutdownThread(B);
  store.calls.length = 0;
  await m.appendItems(B, [userMsg("cold"), ev("exec_command_begin"), agent("reply")]);
  await m.setName(B, "Cold name");
  assert.equal(m.isLoaded(B), false, "cold mutations do not load the thread");
  assert.deepEqual(store.opsFor(B), ["appendItems", "updateThreadMetadata"], "no resume, no derived metadata");
  assert.deepEqual(store.calls[0].items!.map((i) => i.payload.type), ["user_message", "agent_message"], "the policy still applies");
  assert.deepEqual(store.calls[1].patch, { name: "Cold name" });
  assert.equal((await m.read(B)).name, "Cold name");
  await m.setName(B, null);
  assert.equal((await m.read(B)).name, null, "null clears");
  await m.shutdown();
});

test("archive and delete unload a loaded thread first (closed event), then go to the store", async () => {
  const store = new LockingStore();
  const m = new ThreadManager(store);
  const closed = closedLog(m);
  await m.create(params(A));
  await m.appendItems(A, [userMsg("x")]);
  await m.archive(A);
  assert.equal(m.isLoaded(A), false);
  assert.deepEqual(store.opsFor(A).slice(-3), ["flushThread", "shutdownThread", "archiveThread"]);
  await m.create(params(B));
  await m.delete(B);
  assert.deepEqual(closed, [[A, "archived"], [B, "deleted"]]);
  assert.equal(store.home.rows.has(B), false);
});

test("idle unload: no subscribers and no running turn, after the delay, emits closed", async () => {
  const store = new LockingStore();
  const m = new ThreadManager(store, { idleUnloadMs: 40 });
  const closed = closedLog(m);
  await m.create(params(A));
  await sleep(15);
  assert.equal(m.isLoaded(A), true, "not before the delay");
  await sleep(60);
  assert.equal(m.isLoaded(A), false);
  assert.deepEqual(closed, [[A, "idle"]]);
  assert.ok(store.opsFor(A).includes("shutdownThread"), "the writer was closed");
  assert.equal(store.home.locks.has(A), false, "and the lock released");
});

test("idle unload waits for the last subscriber to leave", async () => {
  const store = new LockingStore();
  const m = new ThreadManager(store, { idleUnloadMs: 30 });
  const closed = closedLog(m);
  await m.create(params(A));
  m.subscribe(A, "conn-1");
  m.subscribe(A, "conn-2");
  assert.deepEqual(m.subscribers(A).sort(), ["conn-1", "conn-2"]);
  await sleep(70);
  assert.equal(m.isLoaded(A), true, "subscribed threads stay loaded");
  assert.equal(m.unsubscribe(A, "conn-1"), true);
  assert.equal(m.unsubscribe(A, "conn-1"), false, "already gone");
  await sleep(70);
  assert.equal(m.isLoaded(A), true, "one subscriber left");
  m.unsubscribeAll("conn-2");
  await sleep(10);
  assert.equal(m.isLoaded(A), true, "the delay starts when the last one leaves");
  m.subscribe(A, "conn-3");
  await sleep(50);
  assert.equal(m.isLoaded(A), true, "a new subscriber cancels the countdown");
  m.unsubscribe(A, "conn-3");
  await sleep(70);
  assert.equal(m.isLoaded(A), false);
  assert.deepEqual(closed, [[A, "idle"]]);
  assert.throws(() => m.subscribe(A, "conn-4"), (e: unknown) => e instanceof ThreadStoreError && /not loaded/.test(e.message));
});

test("idle unload waits for a running turn to end", async () => {
  const store = new LockingStore();
  const m = new ThreadManager(store, { idleUnloadMs: 30 });
  const closed = closedLog(m);
  const live = await m.create(params(A));
  await m.appendItems(A, [ev("task_started", { turn_id: "t1" }), userMsg("long task")]);
  assert.equal(live.turnRunning, true);
  await sleep(80);
  assert.equal(m.isLoaded(A), true, "a running turn keeps the thread loaded");
  await m.appendItems(A, [agent("done"), ev("task_complete", { turn_id: "t1" })]);
  await sleep(10);
  assert.equal(m.isLoaded(A), true, "the delay starts at the turn's end");
  await sleep(60);
  assert.equal(m.isLoaded(A), false);
  assert.deepEqual(closed, [[A, "idle"]]);
});

test("default idle delay is 30 minutes", async () => {
  const m = new ThreadManager(new LockingStore());
  await m.create(params(A));
  await sleep(20);
  assert.equal(m.isLoaded(A), true);
  await m.shutdown();
});

test("a second owner in the same process (another manager, same store) gets a conflict", async () => {
  const store = new LockingStore();
  const m1 = new ThreadManager(store);
  const m2 = new ThreadManager(store);
  await m1.create(params(A));
  await assert.rejects(m2.resume(A), (e: unknown) => e instanceof ThreadStoreError && e.kind === "conflict" && /already open for writing/.test(e.message));
  await m1.unload(A);
  const live = await m2.resume(A);
  assert.equal(m2.get(A), live, "after the first owner unloads, the second can take it");
  await m2.shutdown();
});

test("a second writer in another process (the store's lock) gets a clear conflict error", async () => {
  const home = new Home();
  const p1 = new ThreadManager(new LockingStore(home));
  const p2 = new ThreadManager(new LockingStore(home));
  await p1.create(params(A));
  await assert.rejects(p2.resume(A), (e: unknown) => {
    assert.ok(e instanceof ThreadStoreError);
    assert.equal(e.kind, "conflict");
    assert.match(e.message, new RegExp(`thread ${A} is already open for writing elsewhere`));
    assert.match(e.message, /locked by another writer/);
    return true;
  });
  assert.equal(p2.isLoaded(A), false);
  await p1.shutdown();
  await p2.resume(A); // the lock is free again
  assert.equal(p2.isLoaded(A), true);
  await p2.shutdown();
});

test("a failed load leaves nothing behind", async () => {
  const store = new LockingStore();
  const m = new ThreadManager(store);
  await assert.rejects(m.resume("missing"), (e: unknown) => e instanceof ThreadStoreError && e.kind === "not_found");
  assert.deepEqual(m.loadedThreadIds(), []);
  const m2 = new ThreadManager(store);
  await assert.rejects(m2.resume("missing"), (e: unknown) => e instanceof ThreadStoreError && e.kind === "not_found", "no ownership left over");
});
