// Bad input never crashes the server: malformed lines, unknown methods, wrong params, corrupt
// rollout lines, a missing, corrupt or locked index all give a clear error or a skipped line.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { startSpool } from "./helpers/spool.js";
import { corpusHomes, rpcError } from "./helpers/corpus-homes.js";

const BASICS = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
const homes = corpusHomes();

const freshHome = homes.fresh;


const rolloutOf = (home: string, id: string) =>
  fs.readdirSync(path.join(home, "sessions"), { recursive: true }).map(String).filter((f) => f.endsWith(`${id}.jsonl`)).map((f) => path.join(home, "sessions", f))[0];

test("requests before initialize get Not initialized; a second initialize is refused", async () => {
  const c = startSpool(freshHome());
  try {
    assert.deepEqual(await rpcError(c, "thread/list", {}), { code: -32600, message: "Not initialized" });
    await c.initialize("bad-input");
    const again = await rpcError(c, "initialize", { clientInfo: { name: "x", version: "1" } });
    assert.equal(again.message, "Already initialized");
  } finally {
    await c.close();
  }
});

test("malformed lines, unknown methods and wrong params get clear errors and the server goes on", async () => {
  const c = startSpool(freshHome());
  try {
    await c.initialize("bad-input");
    c.sendRaw("{this is not json");
    c.sendRaw("[1,2,3]");
    const unknown = await rpcError(c, "no/such/method", {});
    assert.equal(unknown.code, -32600);
    assert.match(unknown.message, /unknown variant `no\/such\/method`/);
    assert.match((await rpcError(c, "thread/read", { threadId: 5 })).message, /^Invalid request: .*threadId/);
    assert.match((await rpcError(c, "thread/read", {})).message, /^Invalid request: .*threadId/);
    assert.match((await rpcError(c, "thread/read", { threadId: "abc" })).message, /^invalid thread id/);
    assert.match((await rpcError(c, "thread/list", { limit: "x" })).message, /^Invalid request: .*limit/);
    assert.match((await rpcError(c, "thread/list", { sortKey: "nope" })).message, /^Invalid request: .*sortKey/);
    assert.equal((await rpcError(c, "thread/list", { cursor: "garbage" })).message, "invalid cursor: garbage");
    assert.equal((await rpcError(c, "thread/items/list", { threadId: BASICS, cursor: "bad" })).code, -32600);
    assert.equal((await rpcError(c, "thread/turns/list", { threadId: BASICS, cursor: "bad" })).code, -32600);
    const errs = c.messages.filter((m) => m.id === null && m.error);
    assert.equal(errs.length, 2, "each malformed line is answered with an error (id null)");
    const list = (await c.request("thread/list", {})) as { data: unknown[] };
    assert.equal(list.data.length, 5);
  } finally {
    await c.close();
  }
});

test("a corrupt rollout line and a torn last line are skipped; the thread still reads", async () => {
  const home = freshHome();
  const file = rolloutOf(home, BASICS);
  const mtime = fs.statSync(file).mtime;
  const lines = fs.readFileSync(file, "utf8").split("\n");
  lines.splice(5, 0, '{"timestamp":"x","type":"event_msg","payload":{"type":"agent_mes', '{"type":"mystery_line","payload":{}}', "not json at all");
  fs.writeFileSync(file, lines.join("\n") + '{"timestamp":"2026-11-21T01:07:14.000Z","type":"event_msg","payload":{"ty');
  fs.utimesSync(file, mtime, mtime);
  const c = startSpool(home);
  try {
    await c.initialize("bad-input");
    const r = (await c.request("thread/read", { threadId: BASICS, includeTurns: true })) as { thread: { turns: unknown[]; preview: string } };
    assert.equal(r.thread.preview, "hello there");
    assert.equal(r.thread.turns.length, 9);
  } finally {
    await c.close();
  }
});

test("a corrupt index file is rebuilt, a locked one is replaced by a memory index", async () => {
  const home = freshHome();
  fs.mkdirSync(path.join(home, "spool"), { recursive: true });
  fs.writeFileSync(path.join(home, "spool", "index.sqlite"), "this is not a database".repeat(100));
  let c = startSpool(home);
  try {
    await c.initialize("bad-input");
    assert.equal(((await c.request("thread/list", {})) as { data: unknown[] }).data.length, 5);
  } finally {
    await c.close();
  }
  const locker = new Database(path.join(home, "spool", "index.sqlite"));
  locker.exec("BEGIN EXCLUSIVE");
  c = startSpool(home);
  try {
    await c.initialize("bad-input");
    assert.equal(((await c.request("thread/list", {})) as { data: unknown[] }).data.length, 5);
    assert.match(c.stderr, /in-memory index/);
  } finally {
    await c.close();
    locker.exec("ROLLBACK");
    locker.close();
  }
});

test("a missing index is built from the JSONL; `spool index rebuild` gives the same rows", async () => {
  const home = freshHome();
  const c = startSpool(home);
  let before: unknown;
  try {
    await c.initialize("bad-input");
    before = await c.request("thread/list", { sourceKinds: [], modelProviders: [] });
  } finally {
    await c.close();
  }
  const { execFileSync } = await import("node:child_process");
  const { spoolMain } = await import("./helpers/spool.js");
  const out = execFileSync(process.execPath, [spoolMain(), "index", "rebuild", "--home", home], { encoding: "utf8" });
  assert.match(out, /rebuilt .*: 6 rollouts/);
  const c2 = startSpool(home);
  try {
    await c2.initialize("bad-input");
    assert.deepEqual(await c2.request("thread/list", { sourceKinds: [], modelProviders: [] }), before);
  } finally {
    await c2.close();
  }
});
