// ThreadManager: one owner per loaded thread, loaded vs cold routing, subscribers, idle unload,
// and a clear conflict for a second writer (same process or, through the store's lock, another).
import { test, mock, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { ThreadManager, type CloseReason } from "../src/live/thread-manager.js";
import { InMemoryThreadStore } from "../src/store/memory/memory-store.js";
import { ThreadStoreError, type ThreadStore, type CreateThreadParams, type RolloutItem, type ThreadMetadataPatch } from "../src/store/types.js";

// ---- InMemoryThreadStore behind per-"process" views that hold a writer lock ----
// The in-memory store is the durable home; each view plays one process: it takes the thread's
// writer lock in createThread/resumeThread (conflict if another view holds it) and releases it
// in shutdownThread/discardThread, like the local store's lock file. Views record their calls.

type Call = { op: string; threadId: string; items?: RolloutItem[]; patch?: ThreadMetadataPatch };

class Home {
  readonly store = new InMemoryThreadStore();
  readonly locks = new Set<string>();
}

class ProcessView {
  readonly calls: Call[] = [];
  readonly store: ThreadStore;
  constructor(readonly home = new Home()) {
    const base = home.store;
    const lock = (id: string) => {
      if (home.locks.has(id)) throw ThreadStoreError.conflict("the rollout is locked by another writer");
      home.locks.add(id);
    };
    const record = (op: string, threadId: string, extra: Partial<Call> = {}) => this.calls.push({ op, threadId, ...extra });
    const overrides: Partial<ThreadStore> = {
      createThread: async (p: CreateThreadParams) => {
        record("createThread", p.threadId);
        await base.createThread(p);
        lock(p.threadId);
      },
      resumeThread: async (id: string, opts?: { includeArchived?: boolean }) => {
        record("resumeThread", id);
        await base.resumeThread(id, opts);
        lock(id);
      },
      shutdownThread: async (id: string) => {
        record("shutdownThread", id);
        home.locks.delete(id);
      },
      discardThread: async (id: string) => {
        home.locks.delete(id);
      },
      appendItems: async (id: string, items: RolloutItem[]) => {
        record("appendItems", id, { items });
        return base.appendItems(id, items);
      },
      flushThread: async (id: string) => {
        record("flushThread", id);
        return base.flushThread(id);
      },
      updateThreadMetadata: async (id: string, patch: ThreadMetadataPatch, opts?: { includeArchived?: boolean }) => {
        record("updateThreadMetadata", id, { patch });
        return base.updateThreadMetadata(id, patch, opts);
      },
      loadHistory: async (id: string, opts?: { includeArchived?: boolean }) => {
        record("loadHistory", id);
        return base.loadHistory(id, opts);
      },
      archiveThread: async (id: string) => {
        record("archiveThread", id);
        return base.archiveThread(id);
      },
      deleteThread: async (id: string) => {
        record("deleteThread", id);
        return base.deleteThread(id);
      },
    };
    this.store = new Proxy(base, {
      get: (target, prop, receiver) => {
        if (prop in overrides) return overrides[prop as keyof ThreadStore];
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    }) as ThreadStore;
  }

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
  const view = new ProcessView();
  const m = new ThreadManager(view.store);
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
  const view = new ProcessView();
  await view.store.createThread(params(A));
  await view.store.shutdownThread!(A);
  const m = new ThreadManager(view.store);
  const [x, y, z] = await Promise.all([m.resume(A), m.load(A), m.resume(A)]);
  assert.equal(x, y);
  assert.equal(y, z);
  assert.equal(view.calls.filter((c) => c.op === "resumeThread").length, 1);
  await m.shutdown();
});

test("loaded threads mutate through their LiveThread, cold threads straight through the store", async () => {
  const view = new ProcessView();
  const m = new ThreadManager(view.store, { touchIntervalMs: 60_000 });
  const live = await m.create(params(A));
  await m.appendItems(A, [userMsg("hello"), ev("agent_message_delta", { delta: "x" })]);
  assert.deepEqual(view.opsFor(A), ["createThread", "appendItems", "updateThreadMetadata"], "loaded: append then derived patch");
  await m.appendItems(A, [agent("throttled touch")]);
  let viaLive = 0;
  const orig = live.updateMetadata.bind(live);
  live.updateMetadata = (p) => (viaLive++, orig(p));
  const named = await m.setName(A, "Loaded name");
  assert.equal(viaLive, 1, "setName on a loaded thread goes through its LiveThread");
  assert.equal(named.name, "Loaded name");
  const patches = view.calls.filter((c) => c.threadId === A && c.op === "updateThreadMetadata").map((c) => c.patch);
  assert.deepEqual(Object.keys(patches.at(-2)!), ["updatedAtMs"], "the pending touch was flushed before the explicit edit");
  assert.deepEqual(patches.at(-1), { name: "Loaded name" });

  // a cold thread (in the store, not loaded)
  const other = new ProcessView(view.home);
  await other.store.createThread(params(B));
  await other.store.shutdownThread!(B);
  view.calls.length = 0;
  await m.appendItems(B, [userMsg("cold"), ev("exec_command_begin"), agent("reply")]);
  await m.setName(B, "Cold name");
  assert.equal(m.isLoaded(B), false, "cold mutations do not load the thread");
  assert.deepEqual(view.opsFor(B), ["appendItems", "shutdownThread", "updateThreadMetadata"], "no resume, no derived metadata; the writer opened for the cold append is given back");
  assert.equal(view.home.locks.has(B), false);
  assert.deepEqual(view.calls[0].items!.map((i) => i.payload.type), ["user_message", "agent_message"], "the policy still applies");
  assert.deepEqual(view.calls[2].patch, { name: "Cold name" });
  assert.equal((await m.read(B)).name, "Cold name");
  await m.setName(B, null);
  assert.equal((await m.read(B)).name, null, "null clears");
  await m.shutdown();
});

test("archive and delete unload a loaded thread first (closed event), then go to the store", async () => {
  const view = new ProcessView();
  const m = new ThreadManager(view.store);
  const closed = closedLog(m);
  await m.create(params(A));
  await m.appendItems(A, [userMsg("x")]);
  await m.archive(A);
  assert.equal(m.isLoaded(A), false);
  assert.deepEqual(view.opsFor(A).slice(-3), ["flushThread", "shutdownThread", "archiveThread"]);
  await m.create(params(B));
  await m.delete(B);
  assert.deepEqual(closed, [[A, "archived"], [B, "deleted"]]);
  await assert.rejects(view.home.store.readThread(B, { includeArchived: true }), (e: unknown) => e instanceof ThreadStoreError && e.kind === "not_found");
});

// Idle tests run on Node's mock clock: `idle(ms)` moves it and lets the unload's promises settle.
function mockClock(t: TestContext): (ms: number) => Promise<void> {
  mock.timers.enable({ apis: ["setTimeout"] });
  t.after(() => mock.timers.reset());
  return async (ms: number) => {
    mock.timers.tick(ms);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };
}

test("idle unload: no subscribers and no running turn, after the delay, emits closed", async (t) => {
  const idle = mockClock(t);
  const view = new ProcessView();
  const m = new ThreadManager(view.store, { idleUnloadMs: 1_000 });
  const closed = closedLog(m);
  await m.create(params(A));
  await idle(999);
  assert.equal(m.isLoaded(A), true, "not before the delay");
  await idle(1);
  assert.equal(m.isLoaded(A), false);
  assert.deepEqual(closed, [[A, "idle"]]);
  assert.ok(view.opsFor(A).includes("shutdownThread"), "the writer was closed");
  assert.equal(view.home.locks.has(A), false, "and the lock released");
});

test("idle unload waits for the last subscriber to leave", async (t) => {
  const idle = mockClock(t);
  const view = new ProcessView();
  const m = new ThreadManager(view.store, { idleUnloadMs: 1_000 });
  const closed = closedLog(m);
  await m.create(params(A));
  m.subscribe(A, "conn-1");
  m.subscribe(A, "conn-2");
  assert.deepEqual(m.subscribers(A).sort(), ["conn-1", "conn-2"]);
  await idle(5_000);
  assert.equal(m.isLoaded(A), true, "subscribed threads stay loaded");
  assert.equal(m.unsubscribe(A, "conn-1"), true);
  assert.equal(m.unsubscribe(A, "conn-1"), false, "already gone");
  await idle(5_000);
  assert.equal(m.isLoaded(A), true, "one subscriber left");
  m.unsubscribeAll("conn-2");
  await idle(600);
  assert.equal(m.isLoaded(A), true, "the delay starts when the last one leaves");
  m.subscribe(A, "conn-3");
  await idle(600);
  assert.equal(m.isLoaded(A), true, "a new subscriber cancels the countdown");
  m.unsubscribe(A, "conn-3");
  await idle(999);
  assert.equal(m.isLoaded(A), true, "a fresh countdown");
  await idle(1);
  assert.equal(m.isLoaded(A), false);
  assert.deepEqual(closed, [[A, "idle"]]);
  assert.throws(() => m.subscribe(A, "conn-4"), (e: unknown) => e instanceof ThreadStoreError && /not loaded/.test(e.message));
});

test("idle unload waits for a running turn to end", async (t) => {
  const idle = mockClock(t);
  const view = new ProcessView();
  const m = new ThreadManager(view.store, { idleUnloadMs: 1_000 });
  const closed = closedLog(m);
  const live = await m.create(params(A));
  await idle(500);
  await m.appendItems(A, [ev("task_started", { turn_id: "t1" }), userMsg("long task")]);
  assert.equal(live.turnRunning, true);
  await idle(10_000);
  assert.equal(m.isLoaded(A), true, "a running turn keeps the thread loaded");
  await m.appendItems(A, [agent("done"), ev("task_complete", { turn_id: "t1" })]);
  await idle(999);
  assert.equal(m.isLoaded(A), true, "the delay starts at the turn's end");
  await idle(1);
  assert.equal(m.isLoaded(A), false);
  assert.deepEqual(closed, [[A, "idle"]]);
});

test("a turn that ends while subscribers remain does not start the countdown", async (t) => {
  const idle = mockClock(t);
  const m = new ThreadManager(new ProcessView().store, { idleUnloadMs: 1_000 });
  await m.create(params(A));
  m.subscribe(A, "c");
  await m.appendItems(A, [ev("task_started", { turn_id: "t1" }), userMsg("x"), ev("task_complete", { turn_id: "t1" })]);
  await idle(10_000);
  assert.equal(m.isLoaded(A), true);
  await m.shutdown();
});

test("default idle delay is 30 minutes", async (t) => {
  const idle = mockClock(t);
  const m = new ThreadManager(new ProcessView().store);
  const closed = closedLog(m);
  await m.create(params(A));
  await idle(30 * 60 * 1000 - 1);
  assert.equal(m.isLoaded(A), true);
  await idle(1);
  assert.equal(m.isLoaded(A), false);
  assert.deepEqual(closed, [[A, "idle"]]);
});

test("a second owner in the same process (another manager, same store) gets a conflict", async () => {
  const view = new ProcessView();
  const m1 = new ThreadManager(view.store);
  const m2 = new ThreadManager(view.store);
  await m1.create(params(A));
  await assert.rejects(m2.resume(A), (e: unknown) => e instanceof ThreadStoreError && e.kind === "conflict" && /already open for writing/.test(e.message));
  await m1.unload(A);
  const live = await m2.resume(A);
  assert.equal(m2.get(A), live, "after the first owner unloads, the second can take it");
  await m2.shutdown();
});

test("a second writer in another process (the store's lock) gets a clear conflict error", async () => {
  const home = new Home();
  const p1 = new ThreadManager(new ProcessView(home).store);
  const p2 = new ThreadManager(new ProcessView(home).store);
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
  const view = new ProcessView();
  const m = new ThreadManager(view.store);
  await assert.rejects(m.resume("missing"), (e: unknown) => e instanceof ThreadStoreError && e.kind === "not_found");
  assert.deepEqual(m.loadedThreadIds(), []);
  const m2 = new ThreadManager(view.store);
  await assert.rejects(m2.resume("missing"), (e: unknown) => e instanceof ThreadStoreError && e.kind === "not_found", "no ownership left over");
});
