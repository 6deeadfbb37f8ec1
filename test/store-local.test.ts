// LocalThreadStore specifics: Codex's file layout and line format, the writer lock across stores
// and processes, torn tails, the index kept in step after fsync, names in session_index.jsonl,
// archive/unarchive/delete on disk, metadata that survives a restart and an index rebuild, and
// threads written by Codex itself.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { LocalThreadStore } from "../src/store/local/local-store.js";
import { HomeIndex } from "../src/store/local/home-index.js";
import { indexPath } from "../src/store/local/index-db.js";
import { lockPath, acquireThreadLock } from "../src/store/local/lock.js";
import { readRollout, newStats } from "../src/rollout/reader.js";
import { ThreadStoreError } from "../src/store/types.js";
import { agentMessage, createParams, newThreadId, responseMessage, userMessage } from "./helpers/store-conformance.js";
import { copyCorpusHome } from "./helpers/compare.js";
import { corpusFixtureDir, repoRoot } from "./helpers/paths.js";

const homes: string[] = [];
after(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});
function freshHome(): string {
  const h = fs.mkdtempSync(path.join(os.tmpdir(), "spool-local-"));
  homes.push(h);
  return h;
}
const pad = (n: number) => String(n).padStart(2, "0");

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof ThreadStoreError ? e.kind : `other: ${(e as Error).message}`;
  }
}

test("layout and line format follow Codex: lazy file, session_meta first, no ordinals", async () => {
  const home = freshHome();
  const store = await LocalThreadStore.open({ home });
  const createdAt = new Date(2026, 2, 4, 5, 6, 7, 890); // local time, like Codex's file names
  const p = createParams({ createdAt, cwd: "/w", modelProvider: "mock", parentThreadId: null });
  await store.createThread(p);
  const dir = path.join(home, "sessions", "2026", "03", "04");
  const file = path.join(dir, `rollout-2026-03-04T${pad(5)}-${pad(6)}-${pad(7)}-${p.threadId}.jsonl`);
  assert.equal(fs.existsSync(file), false, "no file before the first append");
  assert.equal((await store.readThread(p.threadId)).rolloutPath, file);
  await store.appendItems(p.threadId, [userMessage("hi"), agentMessage("yo")]);
  assert.ok(fs.existsSync(file));
  const text = fs.readFileSync(file, "utf8");
  assert.ok(text.endsWith("\n"));
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, 3);
  const first = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(first), ["timestamp", "type", "payload"]);
  assert.equal(first.type, "session_meta");
  assert.deepEqual(Object.keys(first.payload), ["session_id", "id", "timestamp", "cwd", "originator", "cli_version", "source", "model_provider", "base_instructions", "history_mode", "spool_items"]);
  assert.deepEqual(first.payload.base_instructions, { text: "You are a test." });
  assert.equal(first.payload.timestamp, createdAt.toISOString());
  assert.equal(first.payload.history_mode, "legacy");
  assert.equal(first.payload.spool_items, 1, "Spool's mark: its reader shows this thread's command items too");
  for (const l of lines) {
    assert.match(l, /^\{"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","type":"[a-z_]+","payload":\{/);
    assert.ok(!l.includes('"ordinal"'));
  }
  assert.equal(JSON.parse(lines[1]).payload.message, "hi");
  await store.close();
});

test("the index row follows each durable batch and equals a rebuild from the JSONL", async () => {
  const home = freshHome();
  const store = await LocalThreadStore.open({ home });
  const p = createParams();
  await store.createThread(p);
  await store.appendItems(p.threadId, [responseMessage("user", "list me"), userMessage("list me")]);
  const row = store.index.get(p.threadId)!;
  const file = (await store.readThread(p.threadId)).rolloutPath!;
  assert.ok(row, "listed right after the append");
  assert.equal(row.scan_offset, fs.statSync(file).size);
  assert.equal(row.preview, "list me", "the index derives its preview from the rollout");
  await Promise.all(Array.from({ length: 50 }, (_, i) => store.appendItems(p.threadId, [agentMessage(`a${i}`)])));
  const stats = store.writerStats(p.threadId)!;
  assert.ok(stats.batches < 20, `50 concurrent appends took ${stats.batches} batches (group commit)`);
  const rebuilt = new HomeIndex({ home, defaultProvider: "openai", memory: true });
  await rebuilt.sync();
  assert.deepEqual(rebuilt.get(p.threadId), store.index.get(p.threadId));
  rebuilt.close();
  await store.close();
});

test("one writer per thread: a second store gets a conflict, a dead holder's lock is taken over", async () => {
  const home = freshHome();
  const a = await LocalThreadStore.open({ home });
  const b = await LocalThreadStore.open({ home });
  const p = createParams();
  await a.createThread(p);
  assert.equal(await kindOf(b.createThread(p)), "conflict", "create of an id another store reserved");
  await a.appendItems(p.threadId, [userMessage("mine")]);
  const err = await b.appendItems(p.threadId, [userMessage("theirs")]).catch((e) => e);
  assert.ok(err instanceof ThreadStoreError && err.kind === "conflict", String(err));
  assert.match(err.message, /already open for writing by another store in this process/);
  assert.equal(await kindOf(b.resumeThread(p.threadId)), "conflict");
  assert.equal(await kindOf(b.archiveThread(p.threadId)), "conflict");
  assert.equal(await kindOf(b.deleteThread(p.threadId)), "conflict");
  assert.equal(await kindOf(b.updateThreadMetadata(p.threadId, { name: "x" })), "conflict", "a name is history: it needs the writer");
  assert.equal(await kindOf(b.updateThreadMetadata(p.threadId, { preview: "metadata only" })), "conflict", "a metadata patch of a thread another writer holds is refused too");
  await a.shutdownThread(p.threadId);
  // a cold append takes the lock for that write only
  await b.appendItems(p.threadId, [userMessage("b, cold")]);
  assert.equal(fs.existsSync(lockPath(home, p.threadId)), false, "lock given back after a cold append");
  await b.resumeThread(p.threadId);
  await b.appendItems(p.threadId, [userMessage("b, resumed")]);
  assert.equal(await kindOf(a.appendItems(p.threadId, [userMessage("a again")])), "conflict");
  assert.equal(await kindOf(a.resumeThread(p.threadId)), "conflict");
  await b.close();
  await a.appendItems(p.threadId, [userMessage("a again")]);
  assert.deepEqual(
    (await a.loadHistory(p.threadId)).slice(1).map((i) => i.payload.message),
    ["mine", "b, cold", "b, resumed", "a again"],
  );
  await a.close();

  // another process holds it
  const id = newThreadId();
  const holder = spawn(process.execPath, [
    "--input-type=module",
    "-e",
    `import { acquireThreadLock } from ${JSON.stringify(path.join(repoRoot(), "dist/src/store/local/lock.js"))};
     await acquireThreadLock(${JSON.stringify(home)}, ${JSON.stringify(id)}, "test holder");
     process.stdout.write("held\\n"); setInterval(() => {}, 1000);`,
  ]);
  await new Promise<void>((res, rej) => {
    holder.stdout.on("data", (d) => String(d).includes("held") && res());
    holder.on("exit", (c) => rej(new Error(`holder exited ${c}`)));
  });
  const e2 = await acquireThreadLock(home, id).catch((e) => e);
  assert.ok(e2 instanceof ThreadStoreError && e2.kind === "conflict");
  assert.match(e2.message, new RegExp(`pid ${holder.pid} on `));
  holder.kill("SIGKILL");
  await new Promise((r) => holder.on("close", r));
  const lock = await acquireThreadLock(home, id);
  assert.equal(JSON.parse(fs.readFileSync(lockPath(home, id), "utf8")).pid, process.pid, "stale lock of a dead pid taken over");
  await lock.release();
  assert.equal(fs.existsSync(lockPath(home, id)), false);

  // an unparsable lock: young = being written (conflict), old = stale
  fs.writeFileSync(lockPath(home, id), "");
  assert.equal(await kindOf(acquireThreadLock(home, id)), "conflict");
  const old = (Date.now() - 60_000) / 1000;
  fs.utimesSync(lockPath(home, id), old, old);
  await (await acquireThreadLock(home, id)).release();
  // a pid that is alive but started at another time (reused pid) is stale
  fs.writeFileSync(lockPath(home, id), JSON.stringify({ pid: process.pid, start: "1", host: os.hostname(), token: "t", acquiredAt: "then", purpose: "old" }));
  await (await acquireThreadLock(home, id)).release();
});

test("a torn tail is truncated when the file is opened for appending", async () => {
  const home = freshHome();
  let store = await LocalThreadStore.open({ home });
  const p = createParams();
  await store.createThread(p);
  await store.appendItems(p.threadId, [userMessage("one"), agentMessage("two")]);
  const file = (await store.readThread(p.threadId)).rolloutPath!;
  await store.close();
  const good = fs.statSync(file).size;
  fs.appendFileSync(file, '{"timestamp":"2026-01-01T00:00:00.000Z","type":"event_msg","payload":{"type":"agent_mes');
  const stats = newStats();
  for await (const _ of readRollout(file, stats)) void _;
  assert.equal(stats.truncatedTail, true);
  store = await LocalThreadStore.open({ home });
  await store.resumeThread(p.threadId);
  assert.ok(store.writerStats(p.threadId)!.tornBytes > 0, "the torn tail was cut when the thread was reopened");
  await store.appendItems(p.threadId, [agentMessage("three")]);
  const after = newStats();
  const items = [];
  for await (const { line } of readRollout(file, after)) items.push(line);
  assert.equal(after.malformed + after.unknown, 0);
  assert.equal(after.truncatedTail, false);
  assert.deepEqual(items.map((l) => l.payload.message ?? l.type), ["session_meta", "one", "two", "three"]);
  assert.ok(fs.statSync(file).size > good);
  await store.close();
});

test("names go to the rollout and session_index.jsonl; clearing rewrites the index file", async () => {
  const home = freshHome();
  const store = await LocalThreadStore.open({ home });
  const p = createParams();
  const other = createParams();
  await store.createThread(p);
  await store.createThread(other);
  await store.appendItems(other.threadId, [userMessage("o")]);
  await store.updateThreadMetadata(other.threadId, { name: "Other" });
  // a name on a never-written thread creates its file first
  const t = await store.updateThreadMetadata(p.threadId, { name: "First name" });
  assert.equal(t.name, "First name");
  const idx = () => fs.readFileSync(path.join(home, "session_index.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(idx().map((e) => [e.id, e.thread_name]), [[other.threadId, "Other"], [p.threadId, "First name"]]);
  assert.match(idx()[1].updated_at, /Z$/);
  const lines = fs.readFileSync(t.rolloutPath!, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.type), ["session_meta", "event_msg"]);
  assert.deepEqual(lines[1].payload, { type: "thread_name_updated", thread_id: p.threadId, thread_name: "First name" });
  assert.equal(store.index.get(p.threadId)!.name, "First name", "the index sees the name at once");
  await store.updateThreadMetadata(p.threadId, { name: null });
  assert.deepEqual(idx().map((e) => e.id), [other.threadId]);
  assert.equal((await store.readThread(p.threadId)).name, null);
  assert.equal((await store.readThread(other.threadId)).name, "Other");
  // a cold thread's name: the writer lock is taken for the line and given back
  await store.shutdownThread(other.threadId);
  await store.updateThreadMetadata(other.threadId, { name: "Cold rename" });
  assert.equal(fs.existsSync(lockPath(home, other.threadId)), false);
  assert.equal((await store.readThread(other.threadId)).name, "Cold rename");
  await store.close();
});

test("archive, unarchive and delete move and remove the files", async () => {
  const home = freshHome();
  const store = await LocalThreadStore.open({ home });
  const p = createParams({ createdAt: new Date(2025, 11, 31, 23, 59, 58) });
  await store.createThread(p);
  await store.appendItems(p.threadId, [userMessage("archive me")]);
  const active = (await store.readThread(p.threadId)).rolloutPath!;
  const name = path.basename(active);
  await store.archiveThread(p.threadId);
  const archived = path.join(home, "archived_sessions", name);
  assert.equal(fs.existsSync(active), false);
  assert.ok(fs.existsSync(archived));
  assert.equal((await store.readThread(p.threadId, { includeArchived: true })).rolloutPath, archived);
  assert.equal(store.index.get(p.threadId)!.archived, 1);
  const old = (Date.now() - 3600_000) / 1000;
  fs.utimesSync(archived, old, old);
  const un = await store.unarchiveThread(p.threadId);
  assert.equal(un.rolloutPath, active, "back into its date directory");
  assert.ok(fs.statSync(active).mtimeMs > old * 1000, "mtime touched");
  // an archived thread written by another process (no metadata row): archivedAt/updatedAt from the file
  await store.archiveThread(p.threadId);
  await store.deleteThread(p.threadId);
  assert.equal(fs.existsSync(archived), false);
  assert.equal(store.index.get(p.threadId), null);
  assert.equal(await kindOf(store.readThread(p.threadId, { includeArchived: true })), "not_found");
  await store.close();
});

test("metadata survives a restart and `spool index rebuild`; the JSONL alone rebuilds the index", async () => {
  const home = freshHome();
  let store = await LocalThreadStore.open({ home });
  const p = createParams();
  await store.createThread(p);
  await store.appendItems(p.threadId, [userMessage("persist")]);
  const before = await store.updateThreadMetadata(p.threadId, { preview: "persist", model: "gpt-5", gitInfo: { branch: "dev" }, advanceRecencyAtMs: 9e12, name: "Kept" });
  await store.close();
  for (const f of [indexPath(home), `${indexPath(home)}-wal`, `${indexPath(home)}-shm`]) fs.rmSync(f, { force: true });
  store = await LocalThreadStore.open({ home });
  const afterRestart = await store.readThread(p.threadId);
  assert.deepEqual(afterRestart, before);
  assert.equal((await store.listThreads({ pageSize: 5 })).items[0].threadId, p.threadId);
  await store.close();
});

test("threads written by Codex: derived metadata, only patched fields overlay it", async () => {
  const home = copyCorpusHome(corpusFixtureDir(), { filesOnly: true });
  homes.push(home);
  const store = await LocalThreadStore.open({ home });
  const basics = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
  const t = await store.readThread(basics);
  assert.equal(t.preview, "hello there");
  assert.equal(t.historyMode, "paginated");
  assert.equal(t.modelProvider, "mock");
  assert.ok(t.name, "named in session_index.jsonl");
  const mtime = Math.floor(fs.statSync(t.rolloutPath!).mtimeMs);
  assert.equal(t.updatedAtMs, mtime);
  const list = await store.listThreads({ pageSize: 50 });
  assert.equal(list.items.length, 5, "five active corpus threads");
  const archived = await store.listThreads({ pageSize: 50, archived: true });
  assert.equal(archived.items.length, 1);
  assert.ok(archived.items[0].archivedAtMs !== null);
  const p = await store.updateThreadMetadata(basics, { model: "patched-model" });
  assert.equal(p.model, "patched-model");
  assert.equal(p.preview, "hello there", "unpatched fields still come from the rollout");
  assert.equal(p.updatedAtMs, mtime);
  const h = await store.loadHistory(basics);
  assert.equal(h[0].type, "session_meta");
  assert.equal(h.length, fs.readFileSync(t.rolloutPath!, "utf8").trim().split("\n").length);
  await store.close();
});
