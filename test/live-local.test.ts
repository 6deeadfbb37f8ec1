// LiveThread and ThreadManager over the real LocalThreadStore: what reaches the rollout file is
// the persisted items only, metadata follows, and the store's writer lock makes a second writer
// (another store over the same home, as another process would be) fail with a clear conflict.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalThreadStore } from "../src/store/local/local-store.js";
import { ThreadManager } from "../src/live/thread-manager.js";
import { ThreadStoreError, type RolloutItem } from "../src/store/types.js";
import { agentMessage, createParams, userMessage } from "./helpers/store-conformance.js";

const dirs: string[] = [];
const stores: LocalThreadStore[] = [];
after(async () => {
  for (const s of stores) await s.close().catch(() => {});
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function home(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "spool-live-"));
  dirs.push(d);
  return d;
}
function store(h: string, now?: () => number): LocalThreadStore {
  const s = new LocalThreadStore({ home: h, defaultProvider: "openai", now });
  stores.push(s);
  return s;
}
const ev = (type: string, extra: Record<string, unknown> = {}): RolloutItem => ({ type: "event_msg", payload: { type, ...extra } as never });
const turnCtx = (model: string): RolloutItem => ({ type: "turn_context", payload: { turn_id: "t1", cwd: "/work/project", model, effort: "high" } });

function fileLines(file: string): { type: string; kind?: string }[] {
  return fs
    .readFileSync(file, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l))
    .map((o) => ({ type: o.type, kind: o.payload.type }));
}

test("a turn through LiveThread: the rollout holds the persisted items, the thread its derived metadata", async () => {
  const h = home();
  const s = store(h);
  const m = new ThreadManager(s);
  const p = createParams();
  const live = await m.create(p);
  await live.appendItems([
    ev("task_started", { turn_id: "t1" }),
    turnCtx("gpt-5"),
    userMessage("## My request for Codex:\nwrite the docs"),
    ev("agent_message_delta", { delta: "on it" }),
    ev("exec_command_begin", { call_id: "c1" }),
    agentMessage("on it"),
    ev("token_count", { info: { total_token_usage: { total_tokens: 321 } } }),
    ev("task_complete", { turn_id: "t1" }),
  ]);
  const t = await m.read(p.threadId);
  assert.ok(t.rolloutPath);
  assert.deepEqual(
    fileLines(t.rolloutPath!).map((l) => (l.type === "event_msg" ? l.kind : l.type)),
    ["session_meta", "task_started", "turn_context", "user_message", "agent_message", "token_count", "task_complete"],
  );
  assert.equal(t.preview, "write the docs");
  assert.equal(t.firstUserMessage, "write the docs");
  assert.equal(t.model, "gpt-5");
  assert.equal(t.reasoningEffort, "high");
  assert.equal(t.tokensUsed, 321);
  const page = await s.listThreads({ pageSize: 10 });
  assert.deepEqual(page.items.map((x) => x.threadId), [p.threadId]);
  await m.shutdown();
});

test("a second writer over the same home gets the store's conflict; after unload it can take over", async () => {
  const h = home();
  const m1 = new ThreadManager(store(h));
  const m2 = new ThreadManager(store(h));
  const p = createParams();
  await m1.create(p);
  await m1.appendItems(p.threadId, [userMessage("hello")]);
  await assert.rejects(m2.resume(p.threadId), (e: unknown) => {
    assert.ok(e instanceof ThreadStoreError, String(e));
    assert.equal(e.kind, "conflict");
    assert.match(e.message, new RegExp(`thread ${p.threadId} is already open for writing by`));
    return true;
  });
  await assert.rejects(m2.appendItems(p.threadId, [agentMessage("sneaky")]), (e: unknown) => e instanceof ThreadStoreError && e.kind === "conflict", "a cold append from the other writer too");
  await m1.unload(p.threadId);
  const live = await m2.resume(p.threadId);
  await live.appendItems([agentMessage("mine now")]);
  const t = await m2.read(p.threadId, { includeHistory: true });
  assert.equal(t.preview, "hello", "replayed from the history");
  assert.deepEqual(t.history!.map((i) => i.payload.type ?? i.type).slice(-2), ["user_message", "agent_message"]);
  await m2.shutdown();
});

test("cold writes go straight to the store and give the writer lock back", async () => {
  const h = home();
  const first = store(h);
  const p = createParams();
  await first.createThread(p);
  await first.appendItems(p.threadId, [userMessage("hi")]);
  await first.shutdownThread(p.threadId);
  const m = new ThreadManager(store(h));
  await m.appendItems(p.threadId, [agentMessage("cold reply"), ev("agent_message_delta", { delta: "x" })]);
  await m.setName(p.threadId, "Cold thread");
  assert.equal(m.isLoaded(p.threadId), false);
  // nobody holds the thread now: another store can open it for writing
  const other = new ThreadManager(store(h));
  const live = await other.resume(p.threadId);
  const history = await live.loadHistory();
  assert.deepEqual(
    history.map((i) => i.payload.type ?? i.type),
    ["session_meta", "user_message", "agent_message", "thread_name_updated"],
  );
  assert.equal((await other.read(p.threadId)).name, "Cold thread");
  await other.shutdown();
});

test("resume replays the history without touching updatedAt; the first append moves it", async () => {
  const h = home();
  let now = Date.UTC(2026, 4, 1);
  const s = store(h, () => now);
  const m = new ThreadManager(s, { now: () => now });
  const p = createParams();
  const live = await m.create(p);
  await live.appendItems([userMessage("q1"), agentMessage("a1")]);
  await m.unload(p.threadId);
  const before = await s.readThread(p.threadId);
  now += 60_000;
  await m.resume(p.threadId);
  await m.get(p.threadId)!.flush();
  assert.equal((await s.readThread(p.threadId)).updatedAtMs, before.updatedAtMs, "resume and flush leave updatedAt alone");
  now += 1_000;
  await m.appendItems(p.threadId, [userMessage("q2")]);
  const after = await s.readThread(p.threadId);
  assert.equal(after.updatedAtMs, now);
  assert.equal(after.preview, "q1");
  await m.shutdown();
});
