// Regressions from probing the JSON-RPC framing (finding 9): an unbounded request line, client
// input echoed whole in errors, ids that do not survive JSON numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startSpool } from "./helpers/spool.js";
import { corpusHomes, rpcError } from "./helpers/corpus-homes.js";
import type { RpcClient } from "./helpers/rpc-client.js";

const BASICS = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
const homes = corpusHomes();

async function started(): Promise<RpcClient> {
  const home = homes.fresh();
  const c = startSpool(home);
  await c.initialize("hardening");
  return c;
}


test("finding 9: a request line over 64 MiB is refused with -32600 and its id, and the connection goes on", async () => {
  const c = await started();
  try {
    const limit = 64 * 1024 * 1024;
    c.sendRaw(`{"id":"huge","method":"thread/list","params":{"cursor":"${"x".repeat(limit)}"}}`);
    const answer = await c.waitForMessage((m) => m.id === "huge", 170_000);
    assert.deepEqual(answer.error, { code: -32600, message: `Invalid request: message of ${limit + 59} bytes is larger than the limit of ${limit} bytes` });
    const list = (await c.request("thread/list", { limit: 1 })) as { data: unknown[] };
    assert.equal(list.data.length, 1);
  } finally {
    await c.close();
  }
});

test("finding 9: a 2 MB bogus cursor is quoted by its start only", async () => {
  const c = await started();
  try {
    const cursor = "y".repeat(2 * 1024 * 1024);
    const list = await rpcError(c, "thread/list", { cursor });
    assert.deepEqual(list, { code: -32600, message: `invalid cursor: ${"y".repeat(200)}… (2097152 characters)` });
    const turns = await rpcError(c, "thread/turns/list", { threadId: BASICS, cursor });
    assert.deepEqual(turns, { code: -32600, message: `invalid cursor: ${"y".repeat(200)}… (2097152 characters)` });
  } finally {
    await c.close();
  }
});

test("finding 9: an id beyond 2^53 is refused with -32600 instead of coming back altered", async () => {
  const c = await started();
  try {
    c.sendRaw('{"id":12345678901234567890123,"method":"thread/list","params":{"limit":1}}');
    c.sendRaw('{"id":9007199254740991,"method":"thread/list","params":{"limit":1}}');
    const refused = await c.waitForMessage((m) => m.id === null && m.error !== undefined);
    assert.deepEqual(refused.error, { code: -32600, message: "Invalid request: id must be a string or an integer between -(2^53-1) and 2^53-1" });
    const exact = await c.waitForMessage((m) => m.id === 9007199254740991);
    assert.equal(exact.error, undefined);
    const raw = c.lines.filter((l) => l.dir === "<<").map((l) => JSON.stringify(l.msg));
    assert.ok(!raw.some((l) => l.includes("12345678901234568")), "no altered id was answered");
  } finally {
    await c.close();
  }
});
