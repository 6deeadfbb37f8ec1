// thread/goal/set, thread/goal/get, thread/goal/clear: Codex's params, results, errors, and the
// notifications (after the response, to every connection; cleared only when something was
// removed; changes made by tools and accounting broadcast with their turn id).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AppServer, MethodHandler } from "../src/server/app.js";
import type { Connection } from "../src/server/connection.js";
import { RpcError } from "../src/server/errors.js";
import { registerGoalMethods, type GoalThreadKind } from "../src/server/methods/goals.js";
import { GoalStore } from "../src/goals/store.js";
import { GoalRuntime } from "../src/goals/runtime.js";

const T = "01a1fc0d-403d-7b91-a406-b9d08c6fc52e";
const EPH = "01a1fc0d-51c9-7b91-ba97-dd04be3b102b";
const MISSING = "01a1fc0c-0000-7000-8000-000000000000";

const nextTick = () => new Promise<void>((r) => setImmediate(r));

function setup(opts: { enabled?: boolean } = {}) {
  const methods = new Map<string, MethodHandler>();
  const app = { register: (m: string, h: MethodHandler) => methods.set(m, h) } as unknown as AppServer;
  const store = GoalStore.memory({ now: () => 1_795_230_090_000 });
  const queue: Array<() => void> = [];
  const started: string[] = [];
  const runtime = new GoalRuntime({ store, schedule: (fn) => queue.push(fn), startContinuationTurn: (id) => void started.push(id) });
  const sent: Array<{ method: string; params: any }> = [];
  const kinds: Record<string, GoalThreadKind> = { [T]: "persisted", [EPH]: "ephemeral" };
  registerGoalMethods(app, {
    runtime,
    broadcast: (method, params) => sent.push({ method, params }),
    lookupThread: (id) => kinds[id] ?? "missing",
    enabled: opts.enabled === false ? () => false : undefined,
  });
  const call = async (method: string, params: unknown) => methods.get(method)!(params, {} as Connection) as Promise<any>;
  const fails = async (method: string, params: unknown, message: string, code = -32600) => {
    await assert.rejects(call(method, params), (e: unknown) => e instanceof RpcError && e.code === code && e.message === message, `${method} ${JSON.stringify(params)}: ${message}`);
  };
  return { call, fails, sent, store, runtime, queue, started, methods };
}

test("the three methods are registered", () => {
  const h = setup();
  assert.deepEqual([...h.methods.keys()], ["thread/goal/set", "thread/goal/get", "thread/goal/clear"]);
});

test("thread errors: not found, ephemeral, invalid id, feature disabled", async () => {
  const h = setup();
  for (const m of ["thread/goal/get", "thread/goal/set", "thread/goal/clear"]) {
    await h.fails(m, { threadId: MISSING, objective: "x" }, `thread not found: ${MISSING}`);
    await h.fails(m, { threadId: EPH, objective: "e" }, `ephemeral thread does not support goals: ${EPH}`);
  }
  await assert.rejects(h.call("thread/goal/get", { threadId: "nope" }), (e: unknown) => e instanceof RpcError && e.code === -32600 && e.message.startsWith("invalid thread id"));
  await assert.rejects(h.call("thread/goal/get", {}), (e: unknown) => e instanceof RpcError && e.code === -32600);
  const off = setup({ enabled: false });
  await off.fails("thread/goal/get", { threadId: T }, "goals feature is disabled");
  assert.equal(h.sent.length, 0);
});

test("set / get / clear with Codex's results and errors", async () => {
  const h = setup();
  assert.deepEqual(await h.call("thread/goal/get", { threadId: T }), { goal: null });
  await h.fails("thread/goal/set", { threadId: T, status: "paused" }, `cannot update goal for thread ${T}: no goal exists`);
  await h.fails("thread/goal/set", { threadId: T, objective: "   " }, "goal objective must not be empty");
  await h.fails("thread/goal/set", { threadId: T, objective: "y".repeat(4001) }, "goal objective must be at most 4000 characters");
  await h.fails("thread/goal/set", { threadId: T, objective: "y", tokenBudget: 0 }, "goal budgets must be positive when provided");
  await h.fails("thread/goal/set", { threadId: T, objective: "y", tokenBudget: -3 }, "goal budgets must be positive when provided");
  await assert.rejects(h.call("thread/goal/set", { threadId: T, objective: "y", status: "done" }), (e: unknown) => e instanceof RpcError && e.code === -32600);
  await nextTick();
  assert.equal(h.sent.length, 0, "failed requests notify nothing");

  const goal = { threadId: T, objective: "first objective", status: "paused", tokenBudget: 1000, tokensUsed: 0, timeUsedSeconds: 0, createdAt: 1795230090, updatedAt: 1795230090 };
  const res = await h.call("thread/goal/set", { threadId: T, objective: "  first objective  ", status: "paused", tokenBudget: 1000 });
  assert.deepEqual(res, { goal });
  assert.equal(h.sent.length, 0, "the notification follows the response");
  await nextTick();
  assert.deepEqual(h.sent, [{ method: "thread/goal/updated", params: { threadId: T, turnId: null, goal } }]);
  assert.deepEqual(await h.call("thread/goal/get", { threadId: T }), { goal });

  assert.equal((await h.call("thread/goal/set", { threadId: T, tokenBudget: null })).goal.tokenBudget, null, "null removes the budget");
  assert.equal((await h.call("thread/goal/set", { threadId: T })).goal.tokenBudget, null, "absent leaves it");
  assert.equal((await h.call("thread/goal/set", { threadId: T, status: "budgetLimited" })).goal.status, "budgetLimited");
  assert.equal((await h.call("thread/goal/set", { threadId: T, objective: "second objective", origin: "user" })).goal.objective, "second objective");
  const limited = await h.call("thread/goal/set", { threadId: T, status: "paused", tokenBudget: 10 });
  assert.equal(limited.goal.status, "budgetLimited", "paused asked of a budgetLimited goal");
  assert.equal(limited.goal.tokenBudget, 10);
  await nextTick();
  assert.deepEqual(
    h.sent.map((n) => `${n.method}:${n.params.goal?.status}:${n.params.goal?.tokenBudget}`),
    [
      "thread/goal/updated:paused:1000",
      "thread/goal/updated:paused:null",
      "thread/goal/updated:paused:null",
      "thread/goal/updated:budgetLimited:null",
      "thread/goal/updated:budgetLimited:null",
      "thread/goal/updated:budgetLimited:10",
    ],
    "every set notifies, even one that changes nothing",
  );

  h.sent.length = 0;
  assert.deepEqual(await h.call("thread/goal/clear", { threadId: T }), { cleared: true });
  assert.deepEqual(await h.call("thread/goal/clear", { threadId: T }), { cleared: false });
  await nextTick();
  assert.deepEqual(h.sent, [{ method: "thread/goal/cleared", params: { threadId: T } }], "cleared only when something was removed");
  assert.deepEqual(await h.call("thread/goal/get", { threadId: T }), { goal: null });
});

test("setting an active goal on an idle loaded thread starts a goal turn after the notification", async () => {
  const h = setup();
  h.runtime.threadLoaded(T);
  const order: string[] = [];
  const res = await h.call("thread/goal/set", { threadId: T, objective: "fresh thread goal" });
  assert.equal(res.goal.status, "active");
  // the response is out; the notification and then the continuation start come after
  await nextTick();
  order.push(...h.sent.map((n) => n.method));
  while (h.queue.length) h.queue.shift()!();
  order.push(...h.started.map(() => "start"));
  assert.deepEqual(order, ["thread/goal/updated", "start"]);
});

test("goal changes made by tools and accounting are broadcast as they happen, with the turn id", async () => {
  const h = setup();
  h.store.create(T, { objective: "o" }, { turnId: "turn-1" });
  h.store.accountDelta(T, 220, 0, { turnId: "turn-1" });
  assert.deepEqual(
    h.sent.map((n) => [n.method, n.params.turnId, n.params.goal.tokensUsed]),
    [
      ["thread/goal/updated", "turn-1", 0],
      ["thread/goal/updated", "turn-1", 220],
    ],
  );
  h.store.clear(T);
  assert.deepEqual(h.sent[2], { method: "thread/goal/cleared", params: { threadId: T } });
});
