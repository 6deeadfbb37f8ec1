// Thread and turn methods of the live server over stdio: the same requests sent to the real
// Codex 0.169.0 and to Spool get the same errors and outcomes; then Spool alone: the order of
// turn/start and turn/interrupt answers around their events, steering, a turn/start that joins
// the running turn, reads of a running thread, approvals cancelled by an interrupt, forks with
// lastTurnId read back by a cold Codex, names, git metadata, archive/unarchive notifications,
// thread/loaded/list paging, and (in process) the retry error of a resume while the thread closes.
import { assertListOrder } from "./helpers/order.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startSpool } from "./helpers/spool.js";
import { useMockResponses, type MockHome } from "./helpers/mock-home.js";
import { startCodex } from "./helpers/codex.js";
import type { RpcClient } from "./helpers/rpc-client.js";
import { validateNotification, validateResponse, validateServerRequest } from "./helpers/schema.js";
import { AppServer } from "../src/server/app.js";
import { Connection } from "../src/server/connection.js";
import { copyCorpusHome, withoutStableIds } from "./helpers/compare.js";
import { corpusFixtureDir } from "./helpers/paths.js";

const fx = useMockResponses();
const { dirs } = fx;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeHome(approval = "on-request"): MockHome {
  return fx.makeHome({ prefix: "spool-life-", approval });
}

type Outcome = { ok: unknown } | { error: { code: number; message: string } };

async function outcome(c: RpcClient, method: string, params: unknown): Promise<Outcome> {
  try {
    return { ok: await c.request(method, params) };
  } catch (e: any) {
    if (!e.rpc) throw e;
    return { error: { code: e.rpc.code, message: e.rpc.message } };
  }
}

/** The same requests against one server; ids replaced by their roles. */
async function errorScenario(c: RpcClient, ws: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const fake = "01a1fba4-0000-7000-8000-000000000000";
  const ids = new Map<string, string>([[fake, "<fake>"]]);
  const norm = (o: Outcome) => {
    let s = JSON.stringify("error" in o ? o : { ok: "ok" in o && o.ok && typeof o.ok === "object" && "status" in (o.ok as object) ? o.ok : "ok" });
    for (const [id, role] of ids) s = s.split(id).join(role);
    return JSON.parse(s);
  };
  const rec = async (label: string, method: string, params: unknown) => (out[label] = norm(await outcome(c, method, params)));
  const text = (t: string) => [{ type: "text", text: t }];
  for (const [label, method, params] of [
    ["turn/start unknown", "turn/start", { threadId: fake, input: text("x") }],
    ["turn/steer unknown", "turn/steer", { threadId: fake, input: text("x"), expectedTurnId: "a" }],
    ["turn/interrupt unknown", "turn/interrupt", { threadId: fake, turnId: "a" }],
    ["thread/resume unknown", "thread/resume", { threadId: fake }],
    ["thread/fork unknown", "thread/fork", { threadId: fake }],
    ["thread/archive unknown", "thread/archive", { threadId: fake }],
    ["thread/unarchive unknown", "thread/unarchive", { threadId: fake }],
    ["thread/unsubscribe unknown", "thread/unsubscribe", { threadId: fake }],
    ["thread/name/set unknown", "thread/name/set", { threadId: fake, name: "n" }],
    ["thread/metadata/update unknown", "thread/metadata/update", { threadId: fake, gitInfo: { branch: "x" } }],
    ["turn/start bad id", "turn/start", { threadId: "bad", input: [] }],
    ["thread/resume bad id", "thread/resume", { threadId: "bad" }],
  ] as const)
    await rec(label, method, params);
  const t = (await c.request("thread/start", { cwd: ws })).thread.id as string;
  ids.set(t, "<thread>");
  await rec("steer, no turn", "turn/steer", { threadId: t, input: text("x"), expectedTurnId: "a" });
  await rec("interrupt, no turn", "turn/interrupt", { threadId: t, turnId: "a" });
  await rec("empty name", "thread/name/set", { threadId: t, name: "" });
  await rec("blank name", "thread/name/set", { threadId: t, name: "  " });
  const t0 = await c.request("turn/start", { threadId: t, input: text("hello") });
  ids.set(t0.turn.id, "<turn0>");
  await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === t0.turn.id);
  const ts = await c.request("turn/start", { threadId: t, input: text("slow: 20") });
  ids.set(ts.turn.id, "<slow>");
  await c.waitFor((n) => n.method === "item/started" && n.params.turnId === ts.turn.id && n.params.item.type === "agentMessage");
  await rec("steer, wrong turn", "turn/steer", { threadId: t, input: text("more"), expectedTurnId: "zzz" });
  await rec("steer", "turn/steer", { threadId: t, input: text("more"), expectedTurnId: ts.turn.id });
  out["turn/start joins the running turn"] = (await c.request("turn/start", { threadId: t, input: text("again") })).turn.id === ts.turn.id;
  await rec("interrupt, wrong turn", "turn/interrupt", { threadId: t, turnId: "zzz" });
  await rec("fork through the running turn", "thread/fork", { threadId: t, lastTurnId: ts.turn.id });
  await rec("interrupt", "turn/interrupt", { threadId: t, turnId: ts.turn.id });
  const done = await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === ts.turn.id);
  out["interrupted"] = done.params.turn.status;
  await rec("fork through an unknown turn", "thread/fork", { threadId: t, lastTurnId: "nope" });
  await rec("unsubscribe", "thread/unsubscribe", { threadId: t });
  await rec("unsubscribe again", "thread/unsubscribe", { threadId: t });
  await rec("archive", "thread/archive", { threadId: t });
  await rec("archive again", "thread/archive", { threadId: t });
  await rec("unarchive", "thread/unarchive", { threadId: t });
  await rec("unarchive again", "thread/unarchive", { threadId: t });
  return out;
}

test("the same requests get the same errors and outcomes from Codex and from Spool", async () => {
  const results: Record<string, unknown>[] = [];
  for (const start of [startCodex, startSpool]) {
    const { home, ws } = makeHome();
    const c = start(home, { cwd: ws });
    try {
      await c.initialize("errors");
      results.push(await errorScenario(c, ws));
    } finally {
      await c.close();
    }
  }
  const [codex, spool] = results;
  assert.deepEqual(spool, codex);
  assert.equal(codex["turn/start joins the running turn"], true);
  assert.equal(codex["interrupted"], "interrupted");
});

// ---------------------------------------------------------------------------------------------

/** Every message the client got validates against the schema. */
function assertValid(c: RpcClient, requests: Map<unknown, string>): void {
  for (const m of c.messages) {
    let errs: string[] = [];
    if (typeof m.method === "string") errs = m.id !== undefined ? validateServerRequest(m.method, m.params) : validateNotification(m.method, m.params);
    else if (m.result !== undefined && requests.has(m.id)) errs = validateResponse(requests.get(m.id)!, m.result);
    assert.deepEqual(errs, [], `${m.method ?? requests.get(m.id)} validates: ${JSON.stringify(m).slice(0, 300)}`);
  }
}

/** A label per message: `response <method>`, or the notification/request method (+ status). */
function labels(c: RpcClient, requests: Map<unknown, string>): string[] {
  return c.messages.map((m) => {
    if (typeof m.method !== "string") return `response ${requests.get(m.id)}${m.error ? " error" : ""}`;
    if (m.method === "thread/status/changed") return `${m.method} ${m.params.status.type}${m.params.status.activeFlags?.length ? `:${m.params.status.activeFlags}` : ""}`;
    if (m.method.startsWith("turn/")) return `${m.method} ${m.params.turn.status}`;
    return m.method;
  });
}

test("turns, forks, names, metadata, archive and loaded lists on Spool, in Codex's order", async () => {
  const { home, ws } = makeHome();
  const c = startSpool(home, { cwd: ws });
  const requests = new Map<unknown, string>();
  const req = async (method: string, params: unknown) => {
    requests.set(c.peekNextId(), method);
    return c.request(method, params);
  };
  const text = (t: string) => [{ type: "text", text: t }];
  try {
    await c.initialize("lifecycle");
    const started = await req("thread/start", { cwd: ws });
    const t = started.thread.id;
    assert.equal(started.thread.status.type, "idle");
    assert.equal(started.thread.historyMode, "legacy");
    assert.deepEqual(started.sandbox, { type: "workspaceWrite", writableRoots: [], networkAccess: false, excludeTmpdirEnvVar: false, excludeSlashTmp: false });
    await c.waitForNotification("thread/started", (p) => p.thread.id === t);
    assert.deepEqual(labels(c, requests).slice(-2), ["response thread/start", "thread/started"], "no status change for a new thread");
    // a thread with no rollout yet reads (its turns, as in Codex 0.169.0, not yet)
    const fresh = await req("thread/read", { threadId: t });
    assert.equal(fresh.thread.id, t);
    assert.equal(fresh.thread.status.type, "idle");
    await assert.rejects(req("thread/read", { threadId: t, includeTurns: true }), (e: any) => e.rpc?.code === -32601 && e.rpc.message === "list_turns is not supported yet");

    const t0 = await req("turn/start", { threadId: t, input: text("hello") });
    assert.deepEqual(t0.turn, { id: t0.turn.id, rootTurnId: t0.turn.id, items: [], itemsView: "notLoaded", status: "inProgress", error: null, startedAt: null, completedAt: null, durationMs: null });
    await c.waitForNotification("turn/completed", (p) => p.turn.id === t0.turn.id);
    const first = labels(c, requests);
    const i = first.indexOf("response turn/start");
    assert.notEqual(i, -1, first.join(", "));
    assert.deepEqual(first.slice(i, i + 3), ["response turn/start", "thread/status/changed active", "turn/started inProgress"]);
    assert.deepEqual(first.slice(-2), ["thread/status/changed idle", "turn/completed completed"]);

    // a running turn: read, interrupt (answered before the interrupted turn/completed)
    const ts = await req("turn/start", { threadId: t, input: text("slow: 20") });
    await c.waitFor((n) => n.method === "item/started" && n.params.turnId === ts.turn.id && n.params.item.type === "agentMessage");
    const running = await req("thread/read", { threadId: t, includeTurns: true });
    assert.deepEqual(running.thread.status, { type: "active", activeFlags: [] });
    assert.equal(running.thread.turns.at(-1).id, ts.turn.id);
    assert.equal(running.thread.turns.at(-1).status, "inProgress");
    const listed = await req("thread/list", {});
    assert.deepEqual(listed.data.find((x: any) => x.id === t)?.status, { type: "active", activeFlags: [] }, "thread/list shows the live status");
    await req("turn/interrupt", { threadId: t, turnId: ts.turn.id });
    await c.waitForNotification("turn/completed", (p) => p.turn.id === ts.turn.id);
    assert.deepEqual(labels(c, requests).slice(-3), ["response turn/interrupt", "thread/status/changed idle", "turn/completed interrupted"]);

    // an approval cancelled by an interrupt: serverRequest/resolved, then the interrupted turn
    c.approve = () => new Promise(() => {});
    const te = await req("turn/start", { threadId: t, input: text("esc: touch ../never.txt") });
    const approval = await c.waitForMessage((m) => m.method === "item/commandExecution/requestApproval");
    assert.equal(approval.id, 0, "server request ids count from 0");
    await c.waitForNotification("thread/status/changed", (p) => p.status.activeFlags?.includes("waitingOnApproval"));
    await req("turn/interrupt", { threadId: t, turnId: te.turn.id });
    await c.waitForNotification("turn/completed", (p) => p.turn.id === te.turn.id);
    const tail = labels(c, requests);
    const r = tail.lastIndexOf("item/commandExecution/requestApproval");
    assert.deepEqual(tail.slice(r), [
      "item/commandExecution/requestApproval",
      "serverRequest/resolved",
      "thread/status/changed active",
      // the usage of the response that asked for the command, held while the command was pending
      "thread/tokenUsage/updated",
      "response turn/interrupt",
      "thread/status/changed idle",
      "turn/completed interrupted",
    ]);
    assert.deepEqual(c.notifications.find((n) => n.method === "serverRequest/resolved")?.params, { threadId: t, requestId: 0 });
    c.approve = "accept";

    // names and git metadata
    await assert.rejects(req("thread/name/set", { threadId: t, name: " " }), /thread name must not be empty/);
    await req("thread/name/set", { threadId: t, name: "Lifecycle" });
    const named = await c.waitForNotification("thread/name/updated", (p) => p.threadId === t);
    assert.deepEqual(named.params, { threadId: t, threadName: "Lifecycle" });
    const git = await req("thread/metadata/update", { threadId: t, gitInfo: { sha: "abc123", branch: "main" } });
    assert.deepEqual(git.thread.gitInfo, { sha: "abc123", branch: "main", originUrl: null });
    const git2 = await req("thread/metadata/update", { threadId: t, gitInfo: { branch: null, originUrl: "https://example.com/r.git" } });
    assert.deepEqual(git2.thread.gitInfo, { sha: "abc123", branch: null, originUrl: "https://example.com/r.git" });

    // forks: the whole thread, and through the first turn only
    const f1 = await req("thread/fork", { threadId: t });
    assert.equal(f1.thread.forkedFromId, t);
    assert.equal(f1.thread.name, "Lifecycle");
    assert.deepEqual(
      f1.thread.turns.map((x: any) => x.status),
      ["completed", "interrupted", "interrupted"],
    );
    const f2 = await req("thread/fork", { threadId: t, lastTurnId: t0.turn.id });
    assert.deepEqual(
      f2.thread.turns.map((x: any) => x.id),
      [t0.turn.id],
    );
    await c.waitForNotification("thread/started", (p) => p.thread.id === f2.thread.id);
    const tf = await req("turn/start", { threadId: f2.thread.id, input: text("in the fork") });
    await c.waitForNotification("turn/completed", (p) => p.turn.id === tf.turn.id);
    const model = fx.mock.requests.at(-1)!.body.input.filter((x: any) => x.type === "message" && x.role === "user").map((x: any) => x.content[0].text);
    assert.deepEqual(
      model.filter((s: string) => !s.startsWith("<")),
      ["hello", "in the fork"],
      "the fork's model input is the copied history",
    );

    // a rejoin with a first page of turns (thread/turns/list's answer)
    const rejoin = await req("thread/resume", { threadId: t, initialTurnsPage: { limit: 2, sortDirection: "desc", itemsView: "summary" } });
    assert.equal(rejoin.initialTurnsPage.data.length, 2);
    assert.deepEqual(
      rejoin.initialTurnsPage.data.map((x: any) => x.id),
      rejoin.thread.turns.slice(-2).reverse().map((x: any) => x.id),
    );
    assert.notEqual(rejoin.initialTurnsPage.nextCursor, null);

    // loaded list, paged
    const all = (await req("thread/loaded/list", {})).data;
    assert.deepEqual(all, [t, f1.thread.id, f2.thread.id].sort());
    const p1 = await req("thread/loaded/list", { limit: 2 });
    assert.deepEqual(p1.data, all.slice(0, 2));
    const p2 = await req("thread/loaded/list", { limit: 2, cursor: p1.nextCursor });
    assert.deepEqual(p2, { data: all.slice(2), nextCursor: null });

    // archive a loaded thread: notLoaded, the answer, thread/archived; unarchive
    await req("thread/archive", { threadId: f1.thread.id });
    await c.waitForNotification("thread/archived", (p) => p.threadId === f1.thread.id);
    assert.deepEqual(labels(c, requests).slice(-3), ["thread/status/changed notLoaded", "response thread/archive", "thread/archived"]);
    assert.ok(!(await req("thread/loaded/list", {})).data.includes(f1.thread.id));
    const un = await req("thread/unarchive", { threadId: f1.thread.id });
    assert.equal(un.thread.id, f1.thread.id);
    assert.equal(un.thread.status.type, "notLoaded");
    await c.waitForNotification("thread/unarchived", (p) => p.threadId === f1.thread.id);
    assertValid(c, requests);
  } finally {
    await c.close();
  }

  // a cold Codex reads the forks as Spool does
  const spool = startSpool(home);
  const codex = startCodex(home);
  try {
    await spool.initialize("cold");
    await codex.initialize("cold");
    const list = await spool.request("thread/list", {});
    assert.equal(list.data.length, 3);
    // requests for one thread run in arrival order: a turn/start sent right behind a cold resume finds the thread loaded
    const target = list.data.find((x: any) => x.forkedFromId === null).id;
    const [resumed, turn] = await Promise.all([
      spool.request("thread/resume", { threadId: target }),
      spool.request("turn/start", { threadId: target, input: [{ type: "text", text: "pipelined" }] }),
    ]);
    assert.equal(resumed.thread.id, target);
    await spool.waitForNotification("turn/completed", (p) => p.turn.id === turn.turn.id);
    for (const th of list.data) {
      const s = (await spool.request("thread/read", { threadId: th.id, includeTurns: true })).thread;
      const x = (await codex.request("thread/read", { threadId: th.id, includeTurns: true })).thread;
      assert.deepEqual(withoutStableIds(s.turns), withoutStableIds(x.turns), `${th.id}: turns (but the live ids and times Spool keeps)`);
      for (const k of ["preview", "name", "forkedFromId", "gitInfo"]) assert.deepEqual(s[k], x[k], `${th.id}: ${k}`);
    }
  } finally {
    await spool.close();
    await codex.close();
  }
});

// ---------------------------------------------------------------------------------------------

test("a resume while the thread is closing gets the retry error; after thread/closed it loads again", async () => {
  const { home, ws } = makeHome();
  const app = new AppServer({ home, memoryIndex: true, idleUnloadMs: 20 });
  const seen: any[] = [];
  const conn = new Connection(app, (line) => seen.push(JSON.parse(line)));
  app.attach(conn);
  let nextId = 1;
  const call = async (method: string, params: unknown) => {
    const id = nextId++;
    await conn.handleLine(JSON.stringify({ id, method, params }));
    const m = seen.find((x) => x.id === id && !x.method);
    if (m.error) throw Object.assign(new Error(m.error.message), { rpc: m.error });
    return m.result;
  };
  try {
    await app.start();
    await call("initialize", { clientInfo: { name: "inproc", version: "1" } });
    const t = (await call("thread/start", { cwd: ws })).thread.id;
    const turn = (await call("turn/start", { threadId: t, input: [{ type: "text", text: "hello" }] })).turn.id;
    while (!seen.some((m) => m.method === "turn/completed" && m.params.turn.id === turn)) await sleep(5);
    // hold the unload halfway
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const manager = app.threads.manager;
    const unload = manager.unload.bind(manager);
    manager.unload = async (id, reason) => {
      await gate;
      return unload(id, reason);
    };
    assert.deepEqual(await call("thread/unsubscribe", { threadId: t }), { status: "unsubscribed" });
    while (!app.threads.isClosing(t)) await sleep(5);
    await assert.rejects(call("thread/resume", { threadId: t }), (e: any) => e.rpc.code === -32600 && e.rpc.message === `thread ${t} is closing; retry thread/resume after the thread is closed`);
    await assert.rejects(call("turn/start", { threadId: t, input: [{ type: "text", text: "x" }] }), new RegExp(`thread not found: ${t}`));
    release();
    while (!seen.some((m) => m.method === "thread/closed")) await sleep(5);
    const closing = seen.filter((m) => m.method === "thread/status/changed" || m.method === "thread/closed").map((m) => m.method + (m.params.status ? ` ${m.params.status.type}` : ""));
    assert.deepEqual(closing.slice(-2), ["thread/status/changed notLoaded", "thread/closed"]);
    manager.unload = unload;
    const r = await call("thread/resume", { threadId: t });
    assert.equal(r.thread.id, t);
    assert.equal(r.thread.status.type, "idle");
  } finally {
    conn.close();
    await app.close();
  }
});

test("forks of threads Codex wrote (paginated, and a paginated fork) are legacy copies a cold Codex reads with the same turns", async () => {
  const home = copyCorpusHome(corpusFixtureDir(), { filesOnly: true });
  dirs.push(home);
  const threads = JSON.parse(fs.readFileSync(path.join(corpusFixtureDir(), "threads.json"), "utf8"));
  const shape = (t: any) => t.turns.map((x: any) => `${x.status}:${x.items.filter((i: any) => i.type !== "commandExecution").map((i: any) => i.type).join("+")}`);
  const s = startSpool(home);
  const forks: Array<{ id: string; expected: string[] }> = [];
  try {
    await s.initialize("fork-codex");
    for (const tag of ["basics-after-resume", "fork", "approvals"]) {
      const src = (await s.request("thread/read", { threadId: threads[tag].id, includeTurns: true })).thread;
      const f = (await s.request("thread/fork", { threadId: src.id })).thread;
      assert.equal(f.historyMode, "legacy");
      assert.equal(f.forkedFromId, src.id);
      assert.deepEqual(shape(f), shape(src), `${tag}: the fork has the source's turns`);
      assert.ok(f.turns.length > 0);
      forks.push({ id: f.id, expected: shape(src) });
    }
  } finally {
    await s.close();
  }
  const c = startCodex(home);
  try {
    await c.initialize("fork-codex");
    for (const f of forks) assert.deepEqual(shape((await c.request("thread/read", { threadId: f.id, includeTurns: true })).thread), f.expected, "Codex reads the fork");
  } finally {
    await c.close();
  }
});

test("file change approvals: item/fileChange/requestApproval, declined then accepted, each resolved before the item completes", async () => {
  // the patches write next to the workspace, in the temp dir: Codex's workspace-write allows /tmp
  // and $TMPDIR, so they are excluded here to make that write need an approval
  const { home, ws, root } = fx.makeHome({ prefix: "spool-life-", approval: "on-request", extra: "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n" });
  const c = startSpool(home, { cwd: ws });
  const decisions = ["decline", "accept"];
  c.approve = () => ({ result: { decision: decisions.shift() } });
  try {
    await c.initialize("file-approvals");
    const t = (await c.request("thread/start", { cwd: ws })).thread.id;
    const patch = (name: string) => `applypatch:\n*** Begin Patch\n*** Add File: ../${name}\n+outside\n*** End Patch`;
    const statuses: string[] = [];
    for (const name of ["declined.md", "accepted.md"]) {
      const turn = await c.request("turn/start", { threadId: t, input: [{ type: "text", text: patch(name) }] });
      await c.waitForNotification("turn/completed", (p) => p.turn.id === turn.turn.id);
      const mine = c.messages.filter((m) => m.params?.turnId === turn.turn.id || (m.method === "serverRequest/resolved" && m.params.threadId === t));
      const req = mine.find((m) => m.method === "item/fileChange/requestApproval");
      assert.ok(req, "a file change approval was requested");
      assert.deepEqual(validateServerRequest(req!.method!, req!.params), []);
      const order = c.messages.map((m) => (m.method === "item/completed" ? `item/completed ${m.params.item.type}` : m.method ?? "response"));
      const at = c.messages.indexOf(req!);
      const rest = order.slice(at);
      assertListOrder(rest, ["serverRequest/resolved", "item/completed fileChange"], rest.join(", "));
      statuses.push(c.notifications.filter((n) => n.method === "item/completed" && n.params.turnId === turn.turn.id && n.params.item.type === "fileChange").at(-1)!.params.item.status);
    }
    assert.deepEqual(statuses, ["declined", "completed"]);
    assert.ok(!fs.existsSync(path.join(root, "declined.md")));
    assert.equal(fs.readFileSync(path.join(root, "accepted.md"), "utf8"), "outside\n");
    const ids = c.serverRequests.map((r) => r.id);
    assert.deepEqual(ids, [0, 1], "one server counter, from 0");
  } finally {
    await c.close();
  }
});
