// LiveThread: policy → observers → append → metadata patch, in that order, with the metadata
// rules of ThreadMetadataSync (deferred first patch, throttle, explicit edits win, resume replay).
import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveThread, MetadataUpdateError, type HistoryObserver } from "../src/live/live-thread.js";
import { InMemoryThreadStore } from "../src/store/memory/memory-store.js";
import {
  ThreadStoreError,
  type CreateThreadParams,
  type RolloutItem,
  type StoredThread,
  type ThreadMetadataPatch,
} from "../src/store/types.js";

// ---- InMemoryThreadStore, recording every call (and able to fail one) ----

type Call = { op: string; threadId?: string; items?: RolloutItem[]; patch?: ThreadMetadataPatch };

class RecordingStore extends InMemoryThreadStore {
  readonly calls: Call[] = [];
  failNextUpdate: Error | null = null;
  failNextAppend: Error | null = null;

  override async createThread(p: CreateThreadParams): Promise<void> {
    this.calls.push({ op: "createThread", threadId: p.threadId });
    return super.createThread(p);
  }
  override async resumeThread(threadId: string, opts?: { includeArchived?: boolean }): Promise<void> {
    this.calls.push({ op: "resumeThread", threadId });
    return super.resumeThread(threadId, opts);
  }
  override async appendItems(threadId: string, items: RolloutItem[]): Promise<void> {
    this.calls.push({ op: "appendItems", threadId, items });
    const e = this.failNextAppend;
    this.failNextAppend = null;
    if (e) throw e;
    return super.appendItems(threadId, items);
  }
  override async flushThread(threadId: string): Promise<void> {
    this.calls.push({ op: "flushThread", threadId });
    return super.flushThread(threadId);
  }
  override async shutdownThread(threadId: string): Promise<void> {
    this.calls.push({ op: "shutdownThread", threadId });
    return super.shutdownThread(threadId);
  }
  override async updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch, opts?: { includeArchived?: boolean }): Promise<StoredThread> {
    this.calls.push({ op: "updateThreadMetadata", threadId, patch });
    const e = this.failNextUpdate;
    this.failNextUpdate = null;
    if (e) throw e;
    return super.updateThreadMetadata(threadId, patch, opts);
  }
  override async loadHistory(threadId: string, opts?: { includeArchived?: boolean }): Promise<RolloutItem[]> {
    this.calls.push({ op: "loadHistory", threadId });
    return super.loadHistory(threadId, opts);
  }

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }
  patches(): ThreadMetadataPatch[] {
    return this.calls.filter((c) => c.op === "updateThreadMetadata").map((c) => c.patch!);
  }
}

// ---- items ----

const ID = "01a1fba4-0000-7000-8000-0000000000aa";
const params = (over: Partial<CreateThreadParams> = {}): CreateThreadParams => ({
  threadId: ID, source: "vscode", originator: "spool-test", cliVersion: "0.169.0", cwd: "/work/ws", modelProvider: "openai", ...over,
});
const ev = (type: string, extra: Record<string, unknown> = {}): RolloutItem => ({ type: "event_msg", payload: { type, ...extra } as never });
const userMsg = (text: string) => ev("user_message", { message: text, images: [] });
const turnCtx = (model: string): RolloutItem => ({ type: "turn_context", payload: { turn_id: "t1", cwd: "/work/ws", model, effort: "medium" } });
const delta = (d: string) => ev("agent_message_delta", { delta: d });
const agent = (text: string) => ev("agent_message", { message: text });

function clock(start = 1_800_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Records into the same call log as the store, so the order across both is visible. */
class RecordingObserver implements HistoryObserver {
  constructor(
    private readonly log: Call[],
    private readonly name: string,
  ) {}
  readonly seen: { persisted: RolloutItem[]; raw: RolloutItem[] }[] = [];
  observeAppend(persisted: RolloutItem[], raw: RolloutItem[]): unknown[] {
    this.log.push({ op: `observe:${this.name}` });
    this.seen.push({ persisted, raw });
    return [{ observer: this.name, n: persisted.length }];
  }
}

test("append order: policy filter, then observers, then store append, then the metadata patch", async () => {
  const store = new RecordingStore();
  const c = clock();
  const o1 = new RecordingObserver(store.calls, "a");
  const o2 = new RecordingObserver(store.calls, "b");
  const live = await LiveThread.create(store, params(), { now: c.now, observers: [o1, o2] });
  store.calls.length = 0;
  const raw = [ev("task_started", { turn_id: "t1" }), turnCtx("gpt-5"), userMsg("hello"), delta("he"), delta("llo"), agent("hello"), ev("exec_command_begin")];
  const res = await live.appendItems(raw);
  assert.deepEqual(store.ops(), ["observe:a", "observe:b", "appendItems", "updateThreadMetadata"]);
  const kinds = (items: RolloutItem[]) => items.map((i) => (i.type === "event_msg" ? String(i.payload.type) : i.type));
  assert.deepEqual(kinds(store.calls[2].items!), ["task_started", "turn_context", "user_message", "agent_message"], "the store gets the persisted items only");
  assert.equal(o1.seen[0].raw, raw, "observers get the raw items too");
  assert.deepEqual(kinds(o1.seen[0].persisted), kinds(store.calls[2].items!));
  assert.deepEqual(res.mutations, [{ observer: "a", n: 4 }, { observer: "b", n: 4 }]);
  assert.deepEqual(kinds(res.persisted), kinds(store.calls[2].items!));
  assert.equal(res.metadataPatch?.preview, "hello");
});

test("nothing persisted: no store call, no patch; observers still run", async () => {
  const store = new RecordingStore();
  const obs = new RecordingObserver(store.calls, "a");
  const live = await LiveThread.create(store, params(), { observers: [obs] });
  store.calls.length = 0;
  const res = await live.appendItems([delta("x"), ev("exec_approval_request")]);
  assert.deepEqual(store.ops(), ["observe:a"]);
  assert.deepEqual(res.persisted, []);
  assert.equal(res.metadataPatch, null);
});

test("the metadata patch waits for the first user item; a thread with no message never gets one", async () => {
  const store = new RecordingStore();
  const c = clock();
  const live = await LiveThread.create(store, params(), { now: c.now });
  await live.appendItems([ev("task_started", { turn_id: "t1" }), turnCtx("gpt-5")]);
  await live.flush();
  assert.deepEqual(store.patches(), [], "no patch before a user item, not even on flush");
  c.advance(100);
  await live.appendItems([userMsg("first words")]);
  const [p] = store.patches();
  assert.equal(p.preview, "first words");
  assert.equal(p.firstUserMessage, "first words");
  assert.equal(p.model, "gpt-5");
  assert.equal(p.createdAtMs, c.now() - 100);
  assert.equal(p.updatedAtMs, c.now());
  assert.equal(p.modelProvider, "openai");
  const row = await store.readThread(ID);
  assert.equal(row.preview, "first words");

  const quiet = new RecordingStore();
  const t2 = await LiveThread.create(quiet, params(), {});
  await t2.appendItems([ev("task_started"), turnCtx("m"), agent("no user here")]);
  await t2.flush();
  await t2.shutdown();
  assert.deepEqual(quiet.patches(), []);
});

test("no patch when the append fails; the facts are applied with the next successful append", async () => {
  const store = new RecordingStore();
  const live = await LiveThread.create(store, params(), {});
  store.failNextAppend = new Error("disk full");
  await assert.rejects(live.appendItems([userMsg("lost?")]), /disk full/);
  assert.deepEqual(store.patches(), []);
  await live.appendItems([userMsg("again")]);
  assert.equal(store.patches()[0].preview, "again");
});

test("a failed metadata update is reported as such, stays pending and is retried", async () => {
  const store = new RecordingStore();
  const live = await LiveThread.create(store, params(), {});
  store.failNextUpdate = new Error("db locked");
  await assert.rejects(live.appendItems([userMsg("hi")]), (e: unknown) => e instanceof MetadataUpdateError && e.appended && /db locked/.test(e.message));
  assert.deepEqual((await store.loadHistory(ID)).map((i) => i.type), ["session_meta", "event_msg"], "the history is there");
  await live.flush();
  const patches = store.patches();
  assert.equal(patches.length, 2);
  assert.equal(patches[1].preview, "hi", "retried on flush");
});

test("touch throttle: plain appends bump updatedAt at most once per interval", async () => {
  const store = new RecordingStore();
  const c = clock();
  const live = await LiveThread.create(store, params(), { now: c.now, touchIntervalMs: 50 });
  await live.appendItems([userMsg("hi")]);
  for (let i = 0; i < 4; i++) {
    c.advance(10);
    await live.appendItems([agent(`a${i}`)]);
  }
  assert.equal(store.patches().length, 1, "40 ms of plain appends: no touch");
  c.advance(15);
  await live.appendItems([agent("late")]);
  assert.equal(store.patches().length, 2);
  assert.deepEqual(store.patches()[1], { updatedAtMs: c.now() });
  assert.equal(store.calls.filter((x) => x.op === "appendItems").length, 6, "every append reached the store");
});

test("flush writes a throttled touch once history exists", async () => {
  const store = new RecordingStore();
  const c = clock();
  const live = await LiveThread.create(store, params(), { now: c.now, touchIntervalMs: 5_000 });
  await live.appendItems([userMsg("hi")]);
  c.advance(10);
  await live.appendItems([agent("x")]);
  assert.equal(store.patches().length, 1);
  await live.flush();
  assert.deepEqual(store.patches()[1], { updatedAtMs: c.now() });
  assert.deepEqual(store.ops().slice(-2), ["flushThread", "updateThreadMetadata"]);
});

test("explicit edit wins: the pending derived patch is applied first, then the explicit one", async () => {
  const store = new RecordingStore();
  const c = clock();
  const live = await LiveThread.create(store, params(), { now: c.now, touchIntervalMs: 5_000 });
  await live.appendItems([userMsg("derived preview")]);
  c.advance(10);
  await live.appendItems([agent("x")]); // a throttled touch stays pending
  const row = await live.updateMetadata({ name: "My thread", preview: "explicit preview" });
  const patches = store.patches();
  assert.deepEqual(patches[1], { updatedAtMs: c.now() }, "the pending patch went first");
  assert.deepEqual(patches[2], { name: "My thread", preview: "explicit preview" });
  assert.equal(row.preview, "explicit preview");
  assert.equal(row.name, "My thread");
  await live.flush();
  assert.equal(store.patches().length, 3, "nothing left pending to overwrite the edit");
});

test("explicit edit before any user item does not force the deferred creation patch", async () => {
  const store = new RecordingStore();
  const live = await LiveThread.create(store, params(), {});
  await live.updateMetadata({ name: "named early" });
  assert.deepEqual(store.patches(), [{ name: "named early" }]);
});

test("resume loads history, replays it without bumping updatedAt, and applies it with the first append", async () => {
  const store = new RecordingStore();
  const c = clock();
  await store.createThread(params({ createdAt: new Date("2026-01-02T03:04:05Z") })); // the store writes session_meta
  const history: RolloutItem[] = [
    ev("task_started", { turn_id: "t1" }),
    turnCtx("gpt-5"),
    userMsg("old question"),
    agent("old answer"),
    ev("task_complete", { turn_id: "t1" }),
  ];
  await store.appendItems(ID, history);
  store.calls.length = 0;
  const live = await LiveThread.resume(store, ID, { now: c.now });
  assert.deepEqual(store.ops(), ["resumeThread", "loadHistory"], "resume reopens the writer, reads history and writes nothing");
  await live.flush();
  assert.deepEqual(store.patches(), [], "not even on flush: the replay waits for an append");
  c.advance(1);
  await live.appendItems([ev("task_started", { turn_id: "t2" }), userMsg("new question")]);
  const [p] = store.patches();
  assert.equal(p.preview, "old question");
  assert.equal(p.firstUserMessage, "old question");
  assert.equal(p.updatedAtMs, c.now(), "updatedAt is the append's time");
  assert.equal(p.advanceRecencyAtMs, c.now());
  assert.equal(p.createdAtMs, Date.parse("2026-01-02T03:04:05Z"), "from the stored session_meta");
  assert.equal(p.model, "gpt-5");
  const row = await store.readThread(ID);
  assert.equal(row.preview, "old question");
  assert.equal(row.updatedAtMs, c.now());
  assert.equal(live.runningTurnId, "t2", "the history's finished turn is not running; the new one is");
});

test("resume with given history skips loadHistory; a replay-only thread is unchanged until appended to", async () => {
  const store = new RecordingStore();
  await store.createThread(params());
  store.calls.length = 0;
  const live = await LiveThread.resume(store, ID, { history: [userMsg("given")] });
  await live.shutdown();
  assert.deepEqual(store.ops(), ["resumeThread", "flushThread", "shutdownThread"]);
  assert.deepEqual(store.patches(), []);
});

test("resume of an unknown thread fails with not_found", async () => {
  const store = new RecordingStore();
  await assert.rejects(LiveThread.resume(store, "nope"), (e: unknown) => e instanceof ThreadStoreError && e.kind === "not_found");
});

test("appends are serialized: concurrent calls reach the store in call order, each followed by its patch", async () => {
  const store = new RecordingStore();
  const c = clock();
  const live = await LiveThread.create(store, params(), { now: c.now, touchIntervalMs: 0 });
  await Promise.all([live.appendItems([userMsg("1")]), live.appendItems([agent("2")]), live.appendItems([agent("3")])]);
  const seq = store.calls.filter((x) => x.op !== "createThread").map((x) => (x.op === "appendItems" ? `append:${String(x.items![0].payload.message)}` : "patch"));
  assert.deepEqual(seq, ["append:1", "patch", "append:2", "patch", "append:3", "patch"]);
});

test("turn tracking, and shutdown: pending patch flushed, later mutations refused", async () => {
  const store = new RecordingStore();
  const c = clock();
  const live = await LiveThread.create(store, params(), { now: c.now, touchIntervalMs: 5_000 });
  const events: string[] = [];
  live.on("turnStarted", (id) => events.push(`start:${id}`));
  live.on("turnEnded", (id) => events.push(`end:${id}`));
  await live.appendItems([ev("task_started", { turn_id: "t1" }), userMsg("hi")]);
  assert.equal(live.turnRunning, true);
  assert.equal(live.runningTurnId, "t1");
  c.advance(1);
  await live.appendItems([agent("done"), ev("task_complete", { turn_id: "t1" })]);
  assert.equal(live.turnRunning, false);
  assert.deepEqual(events, ["start:t1", "end:t1"]);
  const before = store.patches().length;
  await live.shutdown();
  assert.equal(store.patches().length, before + 1, "the throttled touch is written at shutdown");
  assert.equal(live.isClosed, true);
  await live.shutdown(); // idempotent
  await assert.rejects(live.appendItems([agent("late")]), (e: unknown) => e instanceof ThreadStoreError && e.kind === "not_found");
});

test("create of an existing thread surfaces the store's conflict", async () => {
  const store = new RecordingStore();
  await LiveThread.create(store, params(), {});
  await assert.rejects(LiveThread.create(store, params(), {}), (e: unknown) => e instanceof ThreadStoreError && e.kind === "conflict" && /already exists/.test(e.message));
});

test("resume refused by the store's writer lock says another writer owns the thread", async () => {
  const store = new RecordingStore();
  await store.createThread(params());
  const locked = Object.assign(store, {
    resumeThread: async (id: string) => {
      throw ThreadStoreError.conflict(`rollout ${id.slice(0, 8)}….jsonl is locked by pid 4242`);
    },
  });
  await assert.rejects(LiveThread.resume(locked, ID), (e: unknown) =>
    e instanceof ThreadStoreError && e.kind === "conflict" && e.message.includes(`thread ${ID} is already open for writing elsewhere`) && e.message.includes("locked by pid 4242"),
  );
  // a message that names the thread already (the local store's lock) is passed through
  locked.resumeThread = async (id: string) => {
    throw ThreadStoreError.conflict(`thread ${id} is already open for writing by pid 7 on host since 2026-01-01T00:00:00Z (writer)`);
  };
  await assert.rejects(LiveThread.resume(locked, ID), { message: `thread ${ID} is already open for writing by pid 7 on host since 2026-01-01T00:00:00Z (writer)` });
});
