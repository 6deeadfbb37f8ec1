// What the Codex TUI relies on in loaded threads, against the real Codex 0.169.0 where it can be
// run side by side:
//  - a thread with no user message yet: thread/turns/list, thread/items/list and thread/read
//    includeTurns answer Codex's errors (not "thread not loaded");
//  - ephemeral threads (thread/start `ephemeral: true`): run in memory, never written to the home,
//    never listed, refused by the methods that need a rollout with Codex's errors, gone once
//    unloaded;
//  - stable item ids: the ids (and times) a client saw live are the ones thread/read,
//    thread/resume and thread/turns/list give afterwards, in the same process and cold, and a
//    reasoning turn reads back with its reply;
//  - turn/diff/updated (the turn's aggregated diff, in Codex's git format and places) and an
//    agent message's phase from its start.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startSpool } from "./helpers/spool.js";
import { startCodex } from "./helpers/codex.js";
import { useMockResponses } from "./helpers/mock-home.js";
import type { RpcClient } from "./helpers/rpc-client.js";
import { validateNotification, validateResponse } from "./helpers/schema.js";

/** "phase:" answers with a message whose phase the model announces when the item is added (as Codex's own model does). */
const fx = useMockResponses({
  script: (ctx) => {
    if (!ctx.text.startsWith("phase:") || ctx.last.type !== "message") return false;
    ctx.beginStream();
    const rid = ctx.nextId("resp");
    const id = ctx.nextId("msg");
    ctx.sse("response.created", { response: { id: rid } });
    ctx.sse("response.output_item.added", { output_index: 0, item: { type: "message", role: "assistant", id, content: [], phase: "final_answer" } });
    ctx.sse("response.output_text.delta", { item_id: id, delta: "done", output_index: 0, content_index: 0 });
    ctx.sse("response.output_item.done", { output_index: 0, item: { type: "message", role: "assistant", id, phase: "final_answer", content: [{ type: "output_text", text: "done" }] } });
    ctx.completed(rid);
    return true;
  },
});
const text = (t: string) => [{ type: "text", text: t }];

type Outcome = { ok: any } | { error: { code: number; message: string } };

/** A request's answer or error, the answer validated against Codex's schema. */
async function outcome(c: RpcClient, method: string, params: unknown): Promise<Outcome> {
  try {
    const ok = await c.request(method, params);
    assert.deepEqual(validateResponse(method, ok), [], `${method} validates`);
    return { ok };
  } catch (e: any) {
    if (!e.rpc) throw e;
    return { error: { code: e.rpc.code, message: e.rpc.message } };
  }
}

/** Files under the home other than config.toml and Codex's own bookkeeping (skills, sqlite, logs). */
function writtenFiles(home: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(home, p));
    }
  };
  walk(home);
  return out.filter((f) => f !== "config.toml").sort();
}

/** The requests the TUI's side work makes of an ephemeral and of a just-started thread; ids replaced by roles. */
async function ephemeralScenario(c: RpcClient, ws: string): Promise<{ id: string; out: Record<string, unknown> }> {
  const out: Record<string, unknown> = {};
  const started = await c.request("thread/start", { cwd: ws, ephemeral: true });
  const id: string = started.thread.id;
  const fresh = (await c.request("thread/start", { cwd: ws })).thread.id as string;
  const norm = (o: Outcome) => JSON.parse(JSON.stringify(o).split(id).join("<ephemeral>").split(fresh).join("<fresh>"));
  const rec = async (label: string, method: string, params: unknown, pick?: (r: any) => unknown) => {
    const o = await outcome(c, method, params);
    out[label] = norm("ok" in o ? { ok: pick ? pick(o.ok) : "ok" } : o);
  };
  out["start"] = { ephemeral: started.thread.ephemeral, path: started.thread.path, preview: started.thread.preview, historyMode: started.thread.historyMode };

  await rec("fresh turns/list", "thread/turns/list", { threadId: fresh });
  await rec("fresh items/list", "thread/items/list", { threadId: fresh });
  await rec("fresh read includeTurns", "thread/read", { threadId: fresh, includeTurns: true });
  await rec("fresh read", "thread/read", { threadId: fresh }, (r) => r.thread.turns);

  await c.request("turn/start", { threadId: id, input: text("hello") });
  await c.waitForNotification("turn/completed", (p) => p.threadId === id);
  const threadFields = (r: any) => ({ ephemeral: r.thread.ephemeral, path: r.thread.path, preview: r.thread.preview, historyMode: r.thread.historyMode, status: r.thread.status, turns: r.thread.turns });
  await rec("read", "thread/read", { threadId: id }, threadFields);
  await rec("read includeTurns", "thread/read", { threadId: id, includeTurns: true });
  await rec("turns/list", "thread/turns/list", { threadId: id });
  await rec("items/list", "thread/items/list", { threadId: id });
  await rec("list", "thread/list", {}, (r) => r.data.map((t: any) => t.id));
  await rec("loaded/list", "thread/loaded/list", {}, (r) => r.data.includes(id));
  await rec("resume", "thread/resume", { threadId: id });
  await rec("fork", "thread/fork", { threadId: id });
  await rec("name/set", "thread/name/set", { threadId: id, name: "title" });
  await rec("archive", "thread/archive", { threadId: id });
  await rec("read after refusals", "thread/read", { threadId: id }, (r) => r.thread.status);
  return { id, out };
}

test("ephemeral threads and threads without a user message answer as the real Codex does; nothing ephemeral reaches the home", { timeout: 120_000 }, async () => {
  const results: Record<string, Record<string, unknown>> = {};
  const ephemeralFiles: Record<string, string[]> = {};
  for (const kind of ["codex", "spool"] as const) {
    const h = fx.makeHome({ prefix: `spool-ephemeral-${kind}-` });
    const c = kind === "codex" ? startCodex(h.home) : startSpool(h.home);
    try {
      await c.initialize("live-semantics");
      const { id, out } = await ephemeralScenario(c, h.ws);
      results[kind] = out;
      await c.close(); // a server writes what it keeps on shutdown
      const files = writtenFiles(h.home);
      ephemeralFiles[kind] = files.filter((f) => f.includes(id) || (f.endsWith(".jsonl") && fs.readFileSync(path.join(h.home, f), "utf8").includes(id)));
    } finally {
      await c.close();
    }
  }
  assert.deepEqual(results.spool, results.codex);
  // literal expectations (what the binary answered when this test was written)
  const s = results.spool;
  assert.deepEqual(s["start"], { ephemeral: true, path: null, preview: "", historyMode: "paginated" });
  assert.deepEqual(s["fresh turns/list"], { error: { code: -32600, message: "thread <fresh> is not materialized yet; thread/turns/list is unavailable before first user message" } });
  assert.deepEqual(s["fresh items/list"], { error: { code: -32601, message: "thread/items/list is not supported yet" } });
  assert.deepEqual(s["fresh read includeTurns"], { error: { code: -32601, message: "list_turns is not supported yet" } });
  assert.deepEqual(s["read includeTurns"], { error: { code: -32600, message: "ephemeral threads do not support includeTurns" } });
  assert.deepEqual(s["turns/list"], { error: { code: -32600, message: "ephemeral threads do not support thread/turns/list" } });
  assert.deepEqual(s["resume"], { error: { code: -32600, message: "no rollout found for thread id <ephemeral>" } });
  assert.deepEqual(s["name/set"], { error: { code: -32600, message: "ephemeral thread does not support metadata updates: <ephemeral>" } });
  assert.deepEqual(s["list"], { ok: [] }, "neither the ephemeral nor the unwritten thread is listed");
  // no file of the home names the ephemeral thread (no rollout, no session_index line)
  assert.deepEqual(ephemeralFiles.codex, []);
  assert.deepEqual(ephemeralFiles.spool, []);
});

test("an ephemeral thread is gone once unloaded", { timeout: 60_000 }, async () => {
  const h = fx.makeHome({ prefix: "spool-ephemeral-unload-" });
  const c = startSpool(h.home, { env: { SPOOL_IDLE_UNLOAD_MS: "200" } });
  try {
    await c.initialize("live-semantics");
    const id = (await c.request("thread/start", { cwd: h.ws, ephemeral: true })).thread.id;
    await c.request("turn/start", { threadId: id, input: text("name this") });
    await c.waitForNotification("turn/completed", (p) => p.threadId === id);
    assert.deepEqual(await c.request("thread/unsubscribe", { threadId: id }), { status: "unsubscribed" });
    await c.waitForNotification("thread/closed", (p) => p.threadId === id);
    assert.deepEqual((await c.request("thread/loaded/list", {})).data, []);
    assert.deepEqual(await outcome(c, "thread/read", { threadId: id }), { error: { code: -32600, message: `thread not loaded: ${id}` } });
    assert.deepEqual(await outcome(c, "thread/resume", { threadId: id }), { error: { code: -32600, message: `no rollout found for thread id ${id}` } });
    assert.deepEqual(writtenFiles(h.home).filter((f) => !f.startsWith("spool/") && f !== "installation_id"), [], "nothing but Spool's own files (and analytics' installation_id, as Codex)");
    assert.ok(!fs.existsSync(path.join(h.home, "spool", "locks", `${id}.lock`)));
  } finally {
    await c.close();
  }
});

/** item/completed ids and times of a turn, in order. */
function liveItems(c: RpcClient, turnId: string): string[] {
  return c.notifications.filter((n) => n.method === "item/completed" && n.params.turnId === turnId).map((n) => `${n.params.item.type}:${n.params.item.id}@${n.params.item.startedAtMs}-${n.params.item.completedAtMs}`);
}
const itemsOf = (turns: any[]) => turns.map((t: any) => t.items.map((i: any) => `${i.type}:${i.id}@${i.startedAtMs}-${i.completedAtMs}`));

test("the ids and times a client saw live are what thread/read, resume and turns/list give back, loaded and cold; a reasoning turn keeps its reply", { timeout: 90_000 }, async () => {
  const h = fx.makeHome({ prefix: "spool-stable-ids-", approval: "never" });
  let c = startSpool(h.home);
  const live: string[][] = [];
  let id = "";
  try {
    await c.initialize("live-semantics");
    id = (await c.request("thread/start", { cwd: h.ws })).thread.id;
    for (const t of ["think: a plan", "cmd: echo hi", "patch: notes.md hello", "search: codex", "hello"]) {
      const turn = (await c.request("turn/start", { threadId: id, input: text(t) })).turn;
      await c.waitForNotification("turn/completed", (p) => p.turn.id === turn.id);
      live.push(liveItems(c, turn.id));
    }
    // the reasoning turn: the user's message, the reasoning, the reply (as the mock scripts it)
    assert.deepEqual(
      live[0].map((s) => s.split(":")[0]),
      ["userMessage", "reasoning", "agentMessage"],
    );
    assert.ok(live.flat().every((s) => !/:item-\d+@/.test(s)));
    const read = await outcome(c, "thread/read", { threadId: id, includeTurns: true });
    assert.ok("ok" in read);
    assert.deepEqual(itemsOf(read.ok.thread.turns), live, "thread/read of the loaded thread");
    const page = await outcome(c, "thread/turns/list", { threadId: id, itemsView: "full", sortDirection: "asc" });
    assert.ok("ok" in page);
    assert.deepEqual(itemsOf(page.ok.data), live, "thread/turns/list of the loaded thread");
    const resumed = await outcome(c, "thread/resume", { threadId: id });
    assert.ok("ok" in resumed);
    assert.deepEqual(itemsOf(resumed.ok.thread.turns), live, "thread/resume of the loaded thread");
  } finally {
    await c.close();
  }
  c = startSpool(h.home);
  try {
    await c.initialize("live-semantics-cold");
    const read = await outcome(c, "thread/read", { threadId: id, includeTurns: true });
    assert.ok("ok" in read);
    assert.deepEqual(itemsOf(read.ok.thread.turns), live, "cold thread/read");
    const page = await outcome(c, "thread/turns/list", { threadId: id, itemsView: "full", sortDirection: "asc" });
    assert.ok("ok" in page);
    assert.deepEqual(itemsOf(page.ok.data), live, "cold thread/turns/list (projections)");
    const resumed = await outcome(c, "thread/resume", { threadId: id });
    assert.ok("ok" in resumed);
    assert.deepEqual(itemsOf(resumed.ok.thread.turns), live, "cold thread/resume");
    assert.equal(resumed.ok.thread.turns[0].items[2].text, "Echo: think: a plan", "the reasoning turn's reply");
  } finally {
    await c.close();
  }
});

test("turn/diff/updated: the turn's whole diff in git's format after the file change, after the round and before turn/completed; a message's phase shows from its start", { timeout: 60_000 }, async () => {
  const h = fx.makeHome({ prefix: "spool-turn-diff-", approval: "never" });
  fs.writeFileSync(path.join(h.ws, "existing.txt"), "one\ntwo\n");
  const c = startSpool(h.home);
  try {
    await c.initialize("live-semantics");
    const id = (await c.request("thread/start", { cwd: h.ws })).thread.id;
    const patch = "applypatch:\n*** Begin Patch\n*** Update File: existing.txt\n@@\n one\n-two\n+three\n*** Add File: new.md\n+hi\n*** End Patch";
    const turn = (await c.request("turn/start", { threadId: id, input: text(patch) })).turn;
    await c.waitForNotification("turn/completed", (p) => p.turn.id === turn.id);
    const mine = c.notifications.filter((n) => n.params?.turnId === turn.id || n.params?.turn?.id === turn.id || (n.method === "thread/status/changed" && n.params.threadId === id));
    const order = mine
      .map((n) => (n.method === "item/completed" || n.method === "item/started" ? `${n.method} ${n.params.item.type}` : n.method))
      .filter((m) => !m.includes("delta") && !m.includes("Delta") && !m.includes("userMessage"));
    assert.deepEqual(order, [
      "thread/status/changed",
      "turn/started",
      "item/started fileChange",
      "item/completed fileChange",
      "turn/diff/updated",
      "thread/tokenUsage/updated",
      "turn/diff/updated",
      "item/started agentMessage",
      "item/completed agentMessage",
      "thread/tokenUsage/updated",
      "turn/diff/updated",
      "thread/status/changed",
      "turn/completed",
    ]);
    const diffs = mine.filter((n) => n.method === "turn/diff/updated").map((n) => n.params);
    const expected =
      "diff --git a/existing.txt b/existing.txt\nindex 814f4a422927b82f5f8a43f8fab6d3839e3983f2..4c7442bcf5acd0f1e2a95fe4f12b12c6b779b585\n--- a/existing.txt\n+++ b/existing.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+three\n" +
      "diff --git a/new.md b/new.md\nnew file mode 100644\nindex 0000000000000000000000000000000000000000..45b983be36b73c0788dc9cbcb76cbb80fc7bb057\n--- /dev/null\n+++ b/new.md\n@@ -0,0 +1 @@\n+hi\n";
    assert.deepEqual(diffs, [0, 1, 2].map(() => ({ threadId: id, turnId: turn.id, diff: expected })));
    for (const n of mine) assert.deepEqual(validateNotification(n.method, n.params), [], n.method);

    // a turn without file changes sends none
    c.clearNotifications();
    const plain = (await c.request("turn/start", { threadId: id, input: text("phase: answer") })).turn;
    await c.waitForNotification("turn/completed", (p) => p.turn.id === plain.id);
    assert.equal(c.notifications.filter((n) => n.method === "turn/diff/updated").length, 0);
    const started = c.notifications.find((n) => n.method === "item/started" && n.params.item.type === "agentMessage");
    assert.equal(started?.params.item.phase, "final_answer");
  } finally {
    await c.close();
  }
});
