// The goals runtime on Spool's turn engine: the goal tools through the ToolRegistry hook, the
// turn notifications fed to `observe`, the goal charged for the responses after create_goal, and
// a continuation turn started by the policy when the first turn completes with an active goal.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AgentSession } from "../src/agent/session.js";
import { ResponsesClient } from "../src/agent/model-client.js";
import { resolveProvider } from "../src/agent/config.js";
import type { TurnNotification } from "../src/agent/events.js";
import type { SpoolConfig } from "../src/config/config.js";
import { GoalStore, type GoalEvent } from "../src/goals/store.js";
import { GoalRuntime } from "../src/goals/runtime.js";
import { useMockResponses } from "./helpers/mock-home.js";

const fx = useMockResponses({
  // a goal turn (its input is goal internal context): the model completes the goal
  script: (ctx) => {
    const last = ctx.last;
    const text = last?.type === "message" && last.role === "user" ? String(last.content?.[0]?.text ?? "") : "";
    if (!text.startsWith('<codex_internal_context source="goal">')) return false;
    ctx.beginStream();
    const rid = ctx.nextId("resp");
    ctx.sse("response.output_item.done", { item: { type: "function_call", name: "update_goal", call_id: ctx.nextId("call"), arguments: JSON.stringify({ status: "complete" }) } });
    ctx.completed(rid, { input: 400, output: 20, cached: 100 });
    return true;
  },
});
const { dirs } = fx;

test("goal tools and accounting on the turn engine, with a continuation turn", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-goals-agent-"));
  dirs.push(root);
  const threadId = "01a1fba4-a2a8-7a62-985a-848ae84fbe5b";
  const store = GoalStore.memory();
  const events: GoalEvent[] = [];
  store.subscribe((e) => events.push(e));
  const notes: TurnNotification[] = [];
  let session!: AgentSession;
  const turns: Array<Promise<unknown>> = [];
  const rt = new GoalRuntime({
    store,
    // Spool's turn engine takes user input only: the test starts the goal turn with the prompt as text
    startContinuationTurn: (id, input) => {
      const text = (input[input.length - 1].payload.content as Array<{ text: string }>)[0].text;
      turns.push(session.startTurn([{ type: "text", text }]).done);
    },
  });
  const provider = resolveProvider({ modelProvider: "mock", model_providers: { mock: { base_url: fx.mock.url, request_max_retries: 0, stream_max_retries: 0 } } } as unknown as SpoolConfig);
  session = new AgentSession({
    threadId,
    cwd: root,
    model: "mock-model",
    client: new ResponsesClient(provider),
    extraTools: rt.tools(threadId),
    onEvent: (n) => {
      rt.observe(threadId, n);
      notes.push(n);
    },
  });
  rt.threadLoaded(threadId, { totals: session.tokenUsage().total });

  const first = await session.startTurn([{ type: "text", text: "goal: ship the thread store" }]).done;
  assert.equal(first.status, "completed");
  // the continuation starts on its own once the turn completed
  while (turns.length === 0) await new Promise((r) => setTimeout(r, 10));
  assert.equal(turns.length, 1, "one continuation turn");
  await turns[0];
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(turns.length, 1, "the goal is complete: no more");

  const goal = store.get(threadId)!;
  assert.equal(goal.objective, "ship the thread store");
  assert.equal(goal.status, "complete");
  assert.equal(goal.tokenBudget, 50000);
  // charged: the usage reported after create_goal ran (response 2 of turn 1) and the goal turn's
  // response that called update_goal; not turn 1's first response, nor anything after complete
  const usage = notes.filter((n) => n.method === "thread/tokenUsage/updated").map((n) => (n.params as any).tokenUsage.last);
  const charge = (u: any) => u.inputTokens - u.cachedInputTokens + u.outputTokens;
  assert.equal(usage.length, 4);
  assert.equal(goal.tokensUsed, charge(usage[1]) + charge(usage[2]));
  const turnIds = notes.filter((n) => n.method === "turn/started").map((n) => (n.params as any).turn.id);
  assert.deepEqual(
    events.map((e) => (e.type === "updated" ? `${e.cause}:${e.goal.status}:${e.turnId === turnIds[0] ? 1 : e.turnId === turnIds[1] ? 2 : e.turnId}` : e.type)),
    ["created:active:1", "usage:active:1", "usage:active:2", "updated:complete:2"],
  );
});
