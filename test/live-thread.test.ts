// LiveThread: policy → observers → append → metadata patch, in that order, with the metadata
// rules of ThreadMetadataSync (deferred first patch, throttle, explicit edits win, resume replay).
import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveThread, MetadataUpdateError, type HistoryObserver } from "../src/live/live-thread.js";
import {
  ThreadStoreError,
  type CreateThreadParams,
  type ListThreadsParams,
  type RolloutItem,
  type StoredThread,
  type ThreadMetadataPatch,
  type ThreadPage,
  type ThreadStore,
} from "../src/store/types.js";

// ---- a small in-memory store that records every call (stand-in until src/store/memory lands) ----

type Call = { op: string; threadId?: string; items?: RolloutItem[]; patch?: ThreadMetadataPatch };

class FakeStore implements ThreadStore {
  readonly calls: Call[] = [];
  readonly rows = new Map<string, StoredThread>();
  readonly histories = new Map<string, RolloutItem[]>();
  failNextUpdate: Error | null = null;
  failNextAppend: Error | null = null;

  async createThread(p: CreateThreadParams): Promise<void> {
    this.calls.push({ op: "createThread", threadId: p.threadId });
    if (this.rows.has(p.threadId)) throw ThreadStoreError.conflict(`thread exists: ${p.threadId}`);
    const now = p.createdAt?.getTime() ?? 0;
    this.rows.set(p.threadId, {
      threadId: p.threadId, sessionId: p.sessionId ?? p.threadId, forkedFromId: null, parentThreadId: null, rolloutPath: null,
      preview: "", firstUserMessage: null, name: null, modelProvider: p.modelProvider, model: null, reasoningEffort: null,
      createdAtMs: now, updatedAtMs: now, recencyAtMs: now, archivedAtMs: null, cwd: p.cwd, cliVersion: p.cliVersion,
      originator: p.originator, source: p.source, threadSource: null, agentNickname: null, agentRole: null, gitInfo: null,
      historyMode: "legacy", tokensUsed: 0,
    });
    this.histories.set(p.threadId, []);
  }
  async appendItems(threadId: string, items: RolloutItem[]): Promise<void> {
    this.calls.push({ op: "appendItems", threadId, items });
    if (this.failNextAppend) {
      const e = this.failNextAppend;
      this.failNextAppend = null;
      throw e;
    }
    const h = this.histories.get(threadId);
    if (!h) throw ThreadStoreError.notFound(threadId);
    h.push(...items);
  }
  async flushThread(threadId: string): Promise<void> {
    this.calls.push({ op: "flushThread", threadId });
  }
  async updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch): Promise<StoredThread> {
    this.calls.push({ op: "updateThreadMetadata", threadId, patch });
    if (this.failNextUpdate) {
      const e = this.failNextUpdate;
      this.failNextUpdate = null;
      throw e;
    }
    const row = this.rows.get(threadId);
    if (!row) throw ThreadStoreError.notFound(threadId);
    const { advanceRecencyAtMs, gitInfo, ...rest } = patch;
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) (row as unknown as Record<string, unknown>)[k] = v;
    if (advanceRecencyAtMs !== undefined) row.recencyAtMs = Math.max(row.recencyAtMs, advanceRecencyAtMs);
    if (gitInfo) row.gitInfo = { sha: null, branch: null, originUrl: null, ...row.gitInfo, ...(gitInfo as object) } as StoredThread["gitInfo"];
    return { ...row };
  }
  async readThread(threadId: string): Promise<StoredThread> {
    const row = this.rows.get(threadId);
    if (!row) throw ThreadStoreError.notFound(threadId);
    return { ...row };
  }
  async loadHistory(threadId: string): Promise<RolloutItem[]> {
    this.calls.push({ op: "loadHistory", threadId });
    const h = this.histories.get(threadId);
    if (!h) throw ThreadStoreError.notFound(threadId);
    return [...h];
  }
  async listThreads(_p: ListThreadsParams): Promise<ThreadPage> {
    return { items: [...this.rows.values()], nextCursor: null };
  }
  async archiveThread(threadId: string): Promise<void> {
    this.calls.push({ op: "archiveThread", threadId });
  }
  async unarchiveThread(threadId: string): Promise<StoredThread> {
    return this.readThread(threadId);
  }
  async deleteThread(threadId: string): Promise<void> {
    this.calls.push({ op: "deleteThread", threadId });
    this.rows.delete(threadId);
    this.histories.delete(threadId);
  }
  async close(): Promise<void> {}

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
  const store = new FakeStore();
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
  const store = new FakeStore();
  const obs = new RecordingObserver(store.calls, "a");
  const live = await LiveThread.create(store, params(), { observers: [obs] });
  store.calls.length = 0;
  const res = await live.appendItems([delta("x"), ev("exec_approval_request")]);
  assert.deepEqual(store.ops(), ["observe:a"]);
  assert.deepEqual(res.persisted, []);
  assert.equal(res.metadataPatch, null);
});

test("the metadata patch waits for the first user item; a thread with no message never gets one", async () => {
  const store = new FakeStore();
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

  const quiet = new FakeStore();
  const t2 = await LiveThread.create(quiet, params(), {});
  await t2.appendItems([ev("task_started"), turnCtx("m"), agent("no user here")]);
  await t2.flush();
  await t2.shutdown();
  assert.deepEqual(quiet.patches(), []);
});

test("no patch when the append fails; the facts are applied with the next successful append", async () => {
  const store = new FakeStore();
  const live = await LiveThread.create(store, params(), {});
  store.failNextAppend = new Error("disk full");
  await assert.rejects(live.appendItems([userMsg("lost?")]), /disk full/);
  assert.deepEqual(store.patches(), []);
  await live.appendItems([userMsg("again")]);
  assert.equal(store.patches()[0].preview, "again");
});

test("a failed metadata update is reported as such, stays pending and is retried", async () => {
  const store = new FakeStore();
  const live = await LiveThread.create(store, params(), {});
  store.failNextUpdate = new Error("db locked");
  await assert.rejects(live.appendItems([userMsg("hi")]), (e: unknown) => e instanceof MetadataUpdateError && e.appended && /db locked/.test(e.message));
  assert.equal(store.histories.get(ID)!.length, 1, "the history is there");
  await live.flush();
  const patches = store.patches();
  assert.equal(patches.length, 2);
  assert.equal(patches[1].preview, "hi", "retried on flush");
});

test("touch throttle: plain appends bump updatedAt at most once per interval", async () => {
  const store = new FakeStore();
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
  const store = new FakeStore();
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
  const store = new FakeStore();
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
  const store = new FakeStore();
  const live = await LiveThread.create(store, params(), {});
  await live.updateMetadata({ name: "named early" });
  assert.deepEqual(store.patches(), [{ name: "named early" }]);
});

test("resume loads history, replays it without bumping updatedAt, and applies it with the first append", async () => {
  const store = new FakeStore();
  const c = clock();
  await store.createThread(params());
  const history: RolloutItem[] = [
    { type: "session_meta", payload: { id: ID, timestamp: "2026-01-02T03:04:05Z", cwd: "/work/ws", model_provider: "openai", cli_version: "0.169.0" } },
    ev("task_started", { turn_id: "t1" }),
    turnCtx("gpt-5"),
    userMsg("old question"),
    agent("old answer"),
    ev("task_complete", { turn_id: "t1" }),
  ];
  await store.appendItems(ID, history);
  store.calls.length = 0;
  const live = await LiveThread.resume(store, ID, { now: c.now });
  assert.deepEqual(store.ops(), ["loadHistory"], "resume reads history and writes nothing");
  await live.flush();
  assert.deepEqual(store.patches(), [], "not even on flush: the replay waits for an append");
  c.advance(1);
  await live.appendItems([ev("task_started", { turn_id: "t2" }), userMsg("new question")]);
  const [p] = store.patches();
  assert.equal(p.preview, "old question");
  assert.equal(p.firstUserMessage, "old question");
  assert.equal(p.updatedAtMs, c.now(), "updatedAt is the append's time");
  assert.equal(p.advanceRecencyAtMs, c.now());
  assert.equal(live.runningTurnId, "t2", "the history's finished turn is not running; the new one is");
});

test("resume with given history skips loadHistory; a replay-only thread is unchanged until appended to", async () => {
  const store = new FakeStore();
  await store.createThread(params());
  store.calls.length = 0;
  const live = await LiveThread.resume(store, ID, { history: [userMsg("given")] });
  await live.shutdown();
  assert.deepEqual(store.ops(), ["flushThread"]);
  assert.deepEqual(store.patches(), []);
});

test("resume of an unknown thread fails with not_found", async () => {
  const store = new FakeStore();
  await assert.rejects(LiveThread.resume(store, "nope"), (e: unknown) => e instanceof ThreadStoreError && e.kind === "not_found");
});

test("appends are serialized: concurrent calls reach the store in call order, each followed by its patch", async () => {
  const store = new FakeStore();
  const c = clock();
  const live = await LiveThread.create(store, params(), { now: c.now, touchIntervalMs: 0 });
  await Promise.all([live.appendItems([userMsg("1")]), live.appendItems([agent("2")]), live.appendItems([agent("3")])]);
  const seq = store.calls.filter((x) => x.op !== "createThread").map((x) => (x.op === "appendItems" ? `append:${String(x.items![0].payload.message)}` : "patch"));
  assert.deepEqual(seq, ["append:1", "patch", "append:2", "patch", "append:3", "patch"]);
});

test("turn tracking, and shutdown: pending patch flushed, later mutations refused", async () => {
  const store = new FakeStore();
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
  const store = new FakeStore();
  await LiveThread.create(store, params(), {});
  await assert.rejects(LiveThread.create(store, params(), {}), (e: unknown) => e instanceof ThreadStoreError && e.kind === "conflict" && /thread exists/.test(e.message));
});

test("resume refused by the store's writer lock says another writer owns the thread", async () => {
  const store = new FakeStore();
  await store.createThread(params());
  const locked = Object.assign(store, {
    resumeThread: async (id: string) => {
      throw ThreadStoreError.conflict(`${id}.jsonl is locked by pid 4242`);
    },
  });
  await assert.rejects(LiveThread.resume(locked, ID), (e: unknown) =>
    e instanceof ThreadStoreError && e.kind === "conflict" && e.message.includes(`thread ${ID} is already open for writing elsewhere`) && e.message.includes("locked by pid 4242"),
  );
});
