// Reasoning across turns through `spool app-server`: `model_reasoning_effort` from config.toml goes
// into `reasoning.effort` next to the summary setting, `include` asks for encrypted reasoning, and a
// reasoning item's `encrypted_content` is sent back with the following requests (the model keeps
// its reasoning across turns, as with Codex's requests).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { useMockResponses } from "./helpers/mock-home.js";
import { startSpool } from "./helpers/spool.js";
import type { RpcClient } from "./helpers/rpc-client.js";

const fx = useMockResponses({
  script: (ctx) => {
    if (ctx.text !== "think hard" || ctx.last.type === "function_call_output") return false;
    ctx.beginStream();
    ctx.sse("response.created", { response: { id: "r" } });
    ctx.sse("response.output_item.done", { item: { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "**Plan**" }], encrypted_content: "opaque-blob-1" } });
    ctx.sse("response.output_item.done", { item: { type: "message", role: "assistant", id: "msg_r", content: [{ type: "output_text", text: "thought" }] } });
    ctx.completed("r");
    return true;
  },
});

let c: RpcClient | null = null;
after(async () => {
  await c?.close();
});

test("reasoning effort from config, encrypted reasoning requested and carried to the next turn", { timeout: 60_000 }, async () => {
  const { home, ws } = fx.makeHome({ prefix: "spool-reasoning-", extra: 'model_reasoning_effort = "high"\nmodel_reasoning_summary = "detailed"\n' });
  c = startSpool(home, { env: { SPOOL_LOG: "error" } });
  await c.initialize("reasoning-test");
  const thread = (await c.request("thread/start", { cwd: ws })).thread.id as string;
  for (const text of ["think hard", "and then?"]) {
    const t = await c.request("turn/start", { threadId: thread, input: [{ type: "text", text }] });
    await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === t.turn.id, 30_000);
  }
  const [first, second] = fx.mock.requests.filter((r) => r.body.prompt_cache_key === thread).map((r) => r.body);
  assert.deepEqual(first.reasoning, { effort: "high", summary: "detailed" });
  assert.deepEqual(first.include, ["reasoning.encrypted_content"]);
  const carried = second.input.filter((i: { type: string }) => i.type === "reasoning");
  assert.deepEqual(carried, [{ type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "**Plan**" }], encrypted_content: "opaque-blob-1" }]);
});
