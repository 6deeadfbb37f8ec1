// thread/inject_items through `spool app-server`, side by side with the real Codex 0.169.0 (both
// run against the scripted Responses server): the errors for bad input and their order, the `{}`
// answer, the next model request carrying the injected items where Codex puts them, the
// `response_item` line in the rollout, and a cold Codex resuming Spool's thread with them.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { useMockResponses } from "./helpers/mock-home.js";
import { startSpool } from "./helpers/spool.js";
import { startCodex } from "./helpers/codex.js";
import { RpcError, type RpcClient } from "./helpers/rpc-client.js";
import { validateResponse } from "./helpers/schema.js";

const fx = useMockResponses();
const clients: RpcClient[] = [];
after(async () => {
  for (const c of clients) await c.close();
});

const NOTE = { type: "message", role: "user", content: [{ type: "input_text", text: "injected note" }] };
const MISSING = "00000000-0000-0000-0000-000000000000";

type Side = "codex" | "spool";
async function open(side: Side, home: string): Promise<RpcClient> {
  const c = side === "codex" ? startCodex(home) : startSpool(home, { env: { SPOOL_LOG: "error" } });
  clients.push(c);
  await c.initialize("inject-items-test");
  return c;
}

async function errorOf(c: RpcClient, params: unknown): Promise<{ code: number; message: string }> {
  try {
    await c.request("thread/inject_items", params);
  } catch (e) {
    if (e instanceof RpcError) return { code: e.rpc.code, message: e.rpc.message };
    throw e;
  }
  throw new Error(`thread/inject_items ${JSON.stringify(params)} succeeded`);
}

async function runTurn(c: RpcClient, threadId: string, text: string): Promise<void> {
  const t = await c.request("turn/start", { threadId, input: [{ type: "text", text }] });
  await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === t.turn.id, 30_000);
}

/** The messages of the last model request made for a thread, as `role: text`. */
function lastMessages(threadId: string): string[] {
  const bodies = fx.mock.requests.filter((r) => r.body.prompt_cache_key === threadId).map((r) => r.body);
  const input = bodies.at(-1)?.input as { type: string; role?: string; content?: { text?: string }[] }[];
  return input.filter((i) => i.type === "message" && i.role !== "developer").map((i) => `${i.role}: ${(i.content ?? []).map((x) => x.text ?? "").join("")}`);
}

for (const side of ["codex", "spool"] as const) {
  test(`${side}: thread/inject_items errors, answer and the next request`, { timeout: 90_000 }, async () => {
    const { home, ws } = fx.makeHome({ prefix: `spool-inject-${side}-` });
    const c = await open(side, home);
    const thread = (await c.request("thread/start", { cwd: ws })).thread;
    assert.deepEqual(await errorOf(c, { threadId: MISSING, items: [] }), { code: -32600, message: `thread not found: ${MISSING}` });
    assert.deepEqual(await errorOf(c, { threadId: "bad", items: [NOTE] }), { code: -32600, message: "invalid thread id: invalid length: expected length 32 for simple format, found 3" });
    assert.deepEqual(await errorOf(c, { threadId: thread.id, items: [] }), { code: -32600, message: "items must not be empty" });
    assert.deepEqual(await errorOf(c, { threadId: thread.id, items: [NOTE, { foo: 1 }] }), { code: -32600, message: "items[1] is not a valid response item: missing field `type`" });
    assert.equal((await errorOf(c, { threadId: thread.id })).code, -32600);

    await runTurn(c, thread.id, "one");
    const answer = await c.request("thread/inject_items", { threadId: thread.id, items: [NOTE] });
    assert.deepEqual(answer, {});
    assert.deepEqual(validateResponse("thread/inject_items", answer), []);
    await runTurn(c, thread.id, "two");
    assert.deepEqual(lastMessages(thread.id).slice(-4), ["user: one", "assistant: Echo: one", "user: injected note", "user: two"]);

    const lines = fs.readFileSync(thread.path, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const injected = lines.filter((l) => l.type === "response_item" && l.payload.content?.[0]?.text === "injected note");
    assert.equal(injected.length, 1);
    assert.equal(injected[0].payload.role, "user");

    const read = await c.request("thread/read", { threadId: thread.id, includeTurns: true });
    assert.deepEqual(validateResponse("thread/read", read), []);
    // injected items are model history only: no turn and no item of their own
    const shown = read.thread.turns.map((t: { items: { type: string }[] }) => t.items.map((i) => i.type));
    assert.deepEqual(shown, [["userMessage", "agentMessage"], ["userMessage", "agentMessage"]]);

    // during a turn: queued like steered input, so the turn makes one more request that answers it
    const slow = await c.request("turn/start", { threadId: thread.id, input: [{ type: "text", text: "slow: 5" }] });
    await c.waitFor((n) => n.method === "item/agentMessage/delta" && n.params.turnId === slow.turn.id, 30_000);
    assert.deepEqual(await c.request("thread/inject_items", { threadId: thread.id, items: [{ ...NOTE, content: [{ type: "input_text", text: "mid note" }] }] }), {});
    await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === slow.turn.id, 30_000);
    assert.deepEqual(lastMessages(thread.id).slice(-3), ["user: slow: 5", "assistant: tick tick tick tick tick ", "user: mid note"]);
  });
}

test("a cold Codex resuming Spool's thread sends the injected items to the model", { timeout: 90_000 }, async () => {
  const { home, ws } = fx.makeHome({ prefix: "spool-inject-cold-" });
  const spool = await open("spool", home);
  const thread = (await spool.request("thread/start", { cwd: ws })).thread;
  await runTurn(spool, thread.id, "one");
  await spool.request("thread/inject_items", { threadId: thread.id, items: [NOTE] });
  await spool.close();

  const codex = await open("codex", home);
  await codex.request("thread/resume", { threadId: thread.id });
  await runTurn(codex, thread.id, "two");
  // Codex restates the environment on resume, between the restored history and the new input
  const sent = lastMessages(thread.id);
  const at = sent.indexOf("user: one");
  assert.deepEqual(sent.slice(at, at + 3), ["user: one", "assistant: Echo: one", "user: injected note"]);
  assert.equal(sent.at(-1), "user: two");
});
