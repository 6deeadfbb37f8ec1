// The live server over WebSocket: two clients on one thread both see every event; a client that
// disconnects mid-approval, reconnects and resumes gets the pending approval replayed (same id,
// same params) and its answer wins; idle unload after the configured delay; the overload error
// for a connection with too many requests in flight; a slow consumer is disconnected without
// holding back the others; a token is required off loopback.
import { assertListOrder } from "./helpers/order.js";
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startSpoolWs, WsRpcClient, type SpoolWsServer } from "./helpers/ws-client.js";
import { useMockResponses } from "./helpers/mock-home.js";
import type { Notification } from "./helpers/rpc-client.js";
import { validateNotification, validateServerRequest } from "./helpers/schema.js";
import { AppServer } from "../src/server/app.js";
import { serveWebSocket } from "../src/server/websocket.js";

const servers: SpoolWsServer[] = [];
const clients: WsRpcClient[] = [];

// registered first, so it runs before the mock server closes
after(async () => {
  for (const c of clients) c.terminate();
  for (const s of servers) await s.stop();
});
const fx = useMockResponses();
const makeHome = () => fx.makeHome({ prefix: "spool-ws-" });

async function server(env: Record<string, string> = {}) {
  const h = makeHome();
  const s = await startSpoolWs(h.home, { SPOOL_LOG: "error", ...env });
  servers.push(s);
  return { ...h, server: s };
}

async function client(url: string, name: string, approve: "accept" | "manual" = "accept"): Promise<WsRpcClient> {
  const c = await WsRpcClient.open(url, { approve });
  clients.push(c);
  await c.initialize(name);
  return c;
}

/** Notifications about one thread, as JSON (emittedAtMs included: one encoding is shared by every receiver). */
const threadEvents = (c: WsRpcClient, threadId: string) => c.notifications.filter((n) => n.params?.threadId === threadId || n.params?.thread?.id === threadId).map((n) => JSON.stringify(n));

function assertValid(c: WsRpcClient): void {
  for (const m of c.messages) {
    if (typeof m.method !== "string") continue;
    const errs = m.id !== undefined ? validateServerRequest(m.method, m.params) : validateNotification(m.method, m.params);
    assert.deepEqual(errs, [], `${m.method} validates`);
  }
}

test("two WebSocket clients on one thread both see every event; a client that drops mid-approval resumes and gets it replayed", async () => {
  const { server: s, ws, root } = await server();
  const a = await client(s.url, "client-a", "manual");
  const b = await client(s.url, "client-b", "manual");
  const started = await a.request("thread/start", { cwd: ws });
  const tid = started.thread.id;
  const r = await b.request("thread/resume", { threadId: tid });
  assert.equal(r.thread.status.type, "idle");

  // a whole turn with a command: both see the same events, in the same order
  const t1 = await a.request("turn/start", { threadId: tid, input: [{ type: "text", text: "cmd: echo hi" }] });
  await a.waitForNotification("turn/completed", (p) => p.turn.id === t1.turn.id);
  await b.waitForNotification("turn/completed", (p) => p.turn.id === t1.turn.id);
  // (thread/started went to both too: it is a broadcast)
  const ea = threadEvents(a, tid);
  const eb = threadEvents(b, tid);
  assert.ok(ea.length >= 10, `a saw ${ea.length} events`);
  assert.deepEqual(eb, ea, "both clients saw every event of the thread, in the same order");

  // an escalated command: the approval goes to both (same id, same params)
  const t2 = await a.request("turn/start", { threadId: tid, input: [{ type: "text", text: "esc: touch ../replayed.txt" }] });
  const reqA = await a.waitForMessage((m) => m.method === "item/commandExecution/requestApproval");
  const reqB = await b.waitForMessage((m) => m.method === "item/commandExecution/requestApproval");
  assert.equal(reqA.id, reqB.id);
  assert.deepEqual(reqA.params, reqB.params);
  assert.equal(typeof reqA.id, "number");
  await a.waitForNotification("thread/status/changed", (p) => p.status.type === "active" && p.status.activeFlags.includes("waitingOnApproval"));

  // b drops without answering; a new connection resumes the running thread
  b.terminate();
  await b.closed;
  const b2 = await client(s.url, "client-b-again", "manual");
  const resumed = await b2.request("thread/resume", { threadId: tid });
  assert.deepEqual(resumed.thread.status, { type: "active", activeFlags: ["waitingOnApproval"] });
  const last = resumed.thread.turns.at(-1);
  assert.equal(last.id, t2.turn.id);
  assert.equal(last.status, "inProgress", "the running turn is merged in progress");
  assert.equal(resumed.thread.turns.filter((t: any) => t.status === "inProgress").length, 1);
  const replay = await b2.waitForMessage((m) => m.method === "item/commandExecution/requestApproval");
  assert.equal(replay.id, reqA.id, "replayed with the original id");
  assert.deepEqual(replay.params, reqA.params, "and the original params");
  // Codex's order: the response, the token usage, then the replayed request
  const order = b2.messages.map((m) => (m.method ? m.method : m.result?.thread ? "resume response" : "response"));
  assertListOrder(order, ["resume response", "thread/tokenUsage/updated", "item/commandExecution/requestApproval"], order.join(", "));

  // the reconnected client answers; its answer wins, a late one is ignored
  b2.answer(replay.id as number, { decision: "accept" });
  const resolvedA = await a.waitForNotification("serverRequest/resolved", (p) => p.requestId === reqA.id);
  await b2.waitForNotification("serverRequest/resolved", (p) => p.requestId === reqA.id);
  assert.deepEqual(resolvedA.params, { threadId: tid, requestId: reqA.id });
  a.answer(reqA.id as number, { decision: "decline" });
  const done = await a.waitForNotification("turn/completed", (p) => p.turn.id === t2.turn.id);
  await b2.waitForNotification("turn/completed", (p) => p.turn.id === t2.turn.id);
  assert.equal(done.params.turn.status, "completed");
  const cmd = a.notifications.find((n) => n.method === "item/completed" && n.params.item.type === "commandExecution" && n.params.turnId === t2.turn.id);
  assert.equal(cmd?.params.item.status, "completed", "the first answer (accept) decided");
  assert.ok(fs.existsSync(path.join(root, "replayed.txt")));
  // after the replay, b2 saw the rest of the turn exactly as a did
  const afterResolved = (c: WsRpcClient) => {
    const all = threadEvents(c, tid);
    return all.slice(all.findIndex((n) => n.includes('"serverRequest/resolved"')));
  };
  assert.deepEqual(afterResolved(b2), afterResolved(a));
  assertValid(a);
  assertValid(b2);
});

test("optOutNotificationMethods: a client that opted out of deltas and status changes gets neither, the rest as usual", async () => {
  const { server: s, ws } = await server();
  const all = await client(s.url, "everything");
  const quiet = await WsRpcClient.open(s.url);
  clients.push(quiet);
  await quiet.initialize("quiet", { experimentalApi: true, optOutNotificationMethods: ["item/agentMessage/delta", "thread/status/changed", "no/such/method"] });
  const tid = (await all.request("thread/start", { cwd: ws })).thread.id;
  await quiet.request("thread/resume", { threadId: tid });
  const t = await all.request("turn/start", { threadId: tid, input: [{ type: "text", text: "a reply long enough to come in several deltas" }] });
  await all.waitForNotification("turn/completed", (p) => p.turn.id === t.turn.id);
  await quiet.waitForNotification("turn/completed", (p) => p.turn.id === t.turn.id);
  const methods = (c: WsRpcClient) => c.notifications.filter((n) => n.params?.threadId === tid).map((n) => n.method);
  assert.ok(methods(all).includes("item/agentMessage/delta") && methods(all).includes("thread/status/changed"));
  assert.deepEqual(
    methods(quiet).filter((m) => m !== "thread/tokenUsage/updated"),
    methods(all).filter((m) => m !== "item/agentMessage/delta" && m !== "thread/status/changed" && m !== "thread/tokenUsage/updated"),
  );
});

test("an idle thread unloads after the configured delay: notLoaded, then thread/closed; a resume loads it again", async () => {
  const { server: s, ws } = await server({ SPOOL_IDLE_UNLOAD_MS: "300" });
  const a = await client(s.url, "idle-a");
  const watcher = await client(s.url, "idle-watcher");
  const tid = (await a.request("thread/start", { cwd: ws })).thread.id;
  const t = await a.request("turn/start", { threadId: tid, input: [{ type: "text", text: "hello" }] });
  await a.waitForNotification("turn/completed", (p) => p.turn.id === t.turn.id);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual((await a.request("thread/loaded/list", {})).data, [tid], "a subscriber keeps it loaded");
  assert.deepEqual(await a.request("thread/unsubscribe", { threadId: tid }), { status: "unsubscribed" });
  assert.deepEqual(await a.request("thread/unsubscribe", { threadId: tid }), { status: "notSubscribed" });
  const closed = await watcher.waitForNotification("thread/closed", (p) => p.threadId === tid, 5000);
  const evs = watcher.notifications.filter((n) => n.params?.threadId === tid).map((n: Notification) => `${n.method}${n.method === "thread/status/changed" ? ` ${n.params.status.type}` : ""}`);
  assert.deepEqual(evs.slice(-2), ["thread/status/changed notLoaded", "thread/closed"]);
  assert.deepEqual(closed.params, { threadId: tid });
  assert.deepEqual((await a.request("thread/loaded/list", {})).data, []);
  assert.deepEqual(await a.request("thread/unsubscribe", { threadId: tid }), { status: "notLoaded" });
  const r = await a.request("thread/resume", { threadId: tid });
  assert.equal(r.thread.turns.length, 1);
  const idle = watcher.notifications.filter((n) => n.method === "thread/status/changed" && n.params.threadId === tid).at(-1);
  assert.equal(idle?.params.status.type, "idle", "a cold resume announces the thread idle");
  assertValid(watcher);
});

test("too many requests in flight get -32001 \"Server overloaded; retry later.\", a slow consumer is disconnected, the others go on", async () => {
  const { server: s, ws } = await server({ SPOOL_MAX_INFLIGHT: "1", SPOOL_WS_MAX_OUTBOUND_BYTES: String(1 << 20) });
  const a = await client(s.url, "burst");
  // a burst: the first request is in flight while the next ones arrive
  const answers = await Promise.allSettled(Array.from({ length: 100 }, () => a.request("thread/list", {})));
  const overloaded = answers.filter((x) => x.status === "rejected" && (x.reason as any).rpc?.code === -32001);
  assert.ok(overloaded.length > 0, "some requests were refused");
  assert.equal((overloaded[0] as PromiseRejectedResult).reason.rpc.message, "Server overloaded; retry later.");
  assert.equal(answers.filter((x) => x.status === "fulfilled").length + overloaded.length, 100, "every request got an answer");

  // a subscriber that stops reading while a command prints about 20 MB, 64 KB every 10 ms (a
  // pace a reading client keeps up with; the outbound bound is 1 MB)
  const fast = await client(s.url, "fast");
  const slow = await client(s.url, "slow");
  const tid = (await fast.request("thread/start", { cwd: ws })).thread.id;
  await slow.request("thread/resume", { threadId: tid });
  (slow.ws as any)._socket.pause();
  const t = await fast.request("turn/start", { threadId: tid, input: [{ type: "text", text: "cmd: for i in $(seq 1 300); do head -c 65536 /dev/zero | tr '\\0' a; sleep 0.01; done" }] });
  const done = await fast.waitForNotification("turn/completed", (p) => p.turn.id === t.turn.id);
  assert.equal(done.params.turn.status, "completed");
  const printed = fast.notifications.filter((n) => n.method === "item/commandExecution/outputDelta" && n.params.turnId === t.turn.id).reduce((k, n) => k + n.params.delta.length, 0);
  assert.equal(printed, 300 * 65536, "the fast client got every byte");
  (slow.ws as any)._socket.resume();
  const closed = await slow.closed;
  assert.ok(closed.code === 1008 || closed.code === 1006, `slow consumer closed (${closed.code})`);
  // the server is fine
  assert.equal((await fast.request("thread/loaded/list", {})).data.length, 1);
});

test("a token is required to listen off loopback, and checked when set", async () => {
  const { home } = makeHome();
  const app = new AppServer({ home, memoryIndex: true });
  try {
    await assert.rejects(serveWebSocket(app, { host: "0.0.0.0", port: 0 }), /without a token/);
    const h = await serveWebSocket(app, { host: "127.0.0.1", port: 0, token: "s3cret" });
    try {
      await assert.rejects(WsRpcClient.open(h.url), /401/);
      const c = await WsRpcClient.open(h.url, { headers: { Authorization: "Bearer s3cret" } });
      clients.push(c);
      const init = await c.initialize("token");
      assert.equal(init.codexHome, home);
    } finally {
      await h.close();
    }
  } finally {
    await app.close();
  }
});
