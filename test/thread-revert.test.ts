// thread/revert through `spool app-server`, side by side with the real Codex 0.169.0 (scripted
// Responses server): errors for an unknown thread and turn, the answer (validated against the
// schema) and `thread/reverted`, the next model request without the reverted turns, thread/read
// after, and a cold Codex resuming the thread Spool reverted.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { useMockResponses } from "./helpers/mock-home.js";
import { startSpool } from "./helpers/spool.js";
import { startCodex } from "./helpers/codex.js";
import { RpcError, type RpcClient } from "./helpers/rpc-client.js";
import { validateNotification, validateResponse } from "./helpers/schema.js";

const fx = useMockResponses();
const clients: RpcClient[] = [];
after(async () => {
  for (const c of clients) await c.close();
});
const MISSING = "00000000-0000-0000-0000-000000000000";

async function open(side: "codex" | "spool", home: string): Promise<RpcClient> {
  const c = side === "codex" ? startCodex(home) : startSpool(home, { env: { SPOOL_LOG: "error" } });
  clients.push(c);
  await c.initialize("revert-test");
  return c;
}

async function errorOf(c: RpcClient, params: unknown): Promise<{ code: number; message: string }> {
  try {
    await c.request("thread/revert", params);
  } catch (e) {
    if (e instanceof RpcError) return { code: e.rpc.code, message: e.rpc.message };
    throw e;
  }
  throw new Error(`thread/revert ${JSON.stringify(params)} succeeded`);
}

async function runTurn(c: RpcClient, threadId: string, text: string): Promise<string> {
  const t = await c.request("turn/start", { threadId, input: [{ type: "text", text }] });
  await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === t.turn.id, 30_000);
  return t.turn.id;
}

/** The conversation of the last model request made for a thread, as `role: text` (no context messages). */
function lastMessages(threadId: string): string[] {
  const bodies = fx.mock.requests.filter((r) => r.body.prompt_cache_key === threadId).map((r) => r.body);
  const input = bodies.at(-1)?.input as { type: string; role?: string; content?: { text?: string }[] }[];
  return input
    .filter((i) => i.type === "message" && i.role !== "developer")
    .map((i) => `${i.role}: ${(i.content ?? []).map((x) => x.text ?? "").join("")}`)
    .filter((m) => !m.startsWith("user: <"));
}

type ItemText = { text?: string; content?: { text: string }[] };
/** Each turn's item texts (a user message's text is in its content). */
const texts = (turns: { items: ItemText[] }[]) => turns.map((t) => t.items.map((i) => i.text ?? i.content?.[0]?.text));

for (const side of ["codex", "spool"] as const) {
  test(`${side}: thread/revert errors, answer, the next request and thread/read`, { timeout: 90_000 }, async () => {
    const { home, ws } = fx.makeHome({ prefix: `spool-revert-${side}-` });
    const c = await open(side, home);
    const thread = (await c.request("thread/start", { cwd: ws })).thread;
    const turns: string[] = [];
    for (const text of ["one", "two", "three"]) turns.push(await runTurn(c, thread.id, text));
    assert.deepEqual(await errorOf(c, { threadId: MISSING, beforeTurnId: turns[1] }), { code: -32600, message: `thread not found: ${MISSING}` });
    assert.deepEqual(await errorOf(c, { threadId: thread.id, beforeTurnId: "nope" }), { code: -32600, message: "turn not found: nope" });
    assert.equal((await errorOf(c, { threadId: thread.id })).code, -32600);

    const answer = await c.request("thread/revert", { threadId: thread.id, beforeTurnId: turns[1] });
    assert.deepEqual(validateResponse("thread/revert", answer), []);
    assert.equal(answer.thread.id, thread.id);
    assert.deepEqual(answer.thread.turns, []);
    const reverted = await c.waitFor((n) => n.method === "thread/reverted", 10_000);
    assert.deepEqual(reverted.params, { threadId: thread.id });
    assert.deepEqual(validateNotification("thread/reverted", reverted.params), []);
    assert.deepEqual(await errorOf(c, { threadId: thread.id, beforeTurnId: turns[2] }), { code: -32600, message: `turn not found: ${turns[2]}` });

    await runTurn(c, thread.id, "four");
    assert.deepEqual(lastMessages(thread.id), ["user: one", "assistant: Echo: one", "user: four"]);
    const read = await c.request("thread/read", { threadId: thread.id, includeTurns: true });
    assert.deepEqual(validateResponse("thread/read", read), []);
    assert.deepEqual(texts(read.thread.turns), [["one", "Echo: one"], ["four", "Echo: four"]]);
  });
}

test("a cold Codex resuming a thread Spool reverted leaves the reverted turns out", { timeout: 90_000 }, async () => {
  const { home, ws } = fx.makeHome({ prefix: "spool-revert-cold-" });
  const spool = await open("spool", home);
  const thread = (await spool.request("thread/start", { cwd: ws })).thread;
  const turns: string[] = [];
  for (const text of ["one", "two", "three"]) turns.push(await runTurn(spool, thread.id, text));
  await spool.request("thread/revert", { threadId: thread.id, beforeTurnId: turns[1] });
  await spool.close();

  const codex = await open("codex", home);
  const resumed = await codex.request("thread/resume", { threadId: thread.id });
  assert.deepEqual(texts(resumed.thread.turns), [["one", "Echo: one"]]);
  await runTurn(codex, thread.id, "four");
  assert.deepEqual(lastMessages(thread.id), ["user: one", "assistant: Echo: one", "user: four"]);
});
