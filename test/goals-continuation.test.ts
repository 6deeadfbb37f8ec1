// The continuation policy: when a thread with an active goal becomes idle its next turn starts by
// itself; after a resume only once the resume is fully answered ("ready"); a deferral stops it;
// paused, blocked, usageLimited, budgetLimited and complete goals never continue.
import { assertOrder } from "./helpers/order.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { corpusFixtureDir } from "./helpers/paths.js";
import { ContinuationPolicy } from "../src/goals/continuation.js";
import { GoalStore } from "../src/goals/store.js";
import { GoalRuntime } from "../src/goals/runtime.js";
import { continuationPrompt } from "../src/goals/prompts.js";
import { GOAL_STATUSES, type GoalStatus } from "../src/goals/types.js";
import type { RolloutItem } from "../src/store/types.js";

const T = "01a1fc0d-403d-7b91-a406-b9d08c6fc52e";

function policy(initial: GoalStatus | null = "active") {
  let status: GoalStatus | null = initial;
  let deferred = false;
  const queue: Array<() => void> = [];
  const starts: string[] = [];
  let fail = false;
  const p = new ContinuationPolicy({
    goalStatus: () => status,
    isDeferred: () => deferred,
    startContinuationTurn: (id) => {
      if (fail) throw new Error("cannot start");
      starts.push(id);
    },
    schedule: (fn) => queue.push(fn),
  });
  return {
    p,
    starts,
    queue,
    setStatus: (s: GoalStatus | null) => (status = s),
    setDeferred: (d: boolean) => (deferred = d),
    setFail: (f: boolean) => (fail = f),
    flush() {
      while (queue.length) queue.shift()!();
    },
  };
}

/** The continuation prompt Codex 0.169.0 sent (corpus rollouts/goal.jsonl: 140 of 50,000 tokens used). */
function recordedContinuation(): string {
  const file = path.join(corpusFixtureDir(), "rollouts", "goal.jsonl");
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.includes("Continue working toward the active thread goal")) continue;
    const l = JSON.parse(line) as { type: string; payload: { type?: string; content?: Array<{ text?: string }> } };
    if (l.type === "response_item" && l.payload.type === "message") return l.payload.content![0].text!;
  }
  throw new Error(`no continuation prompt in ${file}`);
}

test("an idle thread with an active goal continues after a completed turn, once", () => {
  const h = policy();
  h.p.attach(T, { running: true });
  h.p.turnStarted(T);
  h.p.turnEnded(T, "completed");
  assert.equal(h.queue.length, 1, "scheduled, not started inline");
  assert.equal(h.starts.length, 0);
  h.p.goalChanged(T);
  assert.equal(h.queue.length, 1, "not twice");
  h.flush();
  assert.deepEqual(h.starts, [T]);
  assert.equal(h.p.isRunning(T), true, "the started turn counts as running");
  h.p.goalChanged(T);
  assert.equal(h.queue.length, 0, "nothing while it runs");
  h.p.turnStarted(T);
  h.p.turnEnded(T, "completed");
  h.flush();
  assert.deepEqual(h.starts, [T, T], "and again after it (no cap in Codex 0.169)");
});

test("interrupted and failed turns do not continue", () => {
  for (const how of ["interrupted", "failed"] as const) {
    const h = policy();
    h.p.attach(T);
    h.flush();
    h.starts.length = 0;
    h.p.turnStarted(T);
    h.p.turnEnded(T, how);
    h.flush();
    assert.deepEqual(h.starts, [], how);
  }
});

test("only an active goal continues", () => {
  for (const s of [...GOAL_STATUSES, null]) {
    const h = policy(s);
    h.p.attach(T);
    h.p.turnStarted(T);
    h.p.turnEnded(T, "completed");
    h.flush();
    assert.equal(h.starts.length, s === "active" ? 1 : 0, `goal ${s}`);
  }
});

test("a deferral stops continuation until it is lifted", () => {
  const h = policy();
  h.setDeferred(true);
  h.p.attach(T);
  h.p.turnEnded(T, "completed");
  h.flush();
  assert.deepEqual(h.starts, []);
  h.setDeferred(false);
  h.p.goalChanged(T);
  h.flush();
  assert.deepEqual(h.starts, [T]);
});

test("after a resume nothing starts before ready()", () => {
  const h = policy();
  h.p.attach(T, { awaitingReady: true });
  h.p.goalChanged(T);
  h.p.turnEnded(T, "completed");
  h.flush();
  assert.deepEqual(h.starts, [], "the resume response and replays are not out yet");
  h.p.ready(T);
  h.flush();
  assert.deepEqual(h.starts, [T]);
});

test("everything is checked again when the scheduled start fires", () => {
  const paused = policy();
  paused.p.attach(T);
  paused.setStatus("paused");
  paused.flush();
  assert.deepEqual(paused.starts, [], "paused between scheduling and start");

  const user = policy();
  user.p.attach(T);
  user.p.turnStarted(T); // the user's turn/start got there first
  user.flush();
  assert.deepEqual(user.starts, []);

  const gone = policy();
  gone.p.attach(T);
  gone.p.detach(T);
  gone.flush();
  assert.deepEqual(gone.starts, [], "unloaded meanwhile");

  const deferred = policy();
  deferred.p.attach(T);
  deferred.setDeferred(true);
  deferred.flush();
  assert.deepEqual(deferred.starts, []);
});

test("a start that throws leaves the thread idle", () => {
  const h = policy();
  h.setFail(true);
  h.p.attach(T);
  h.flush();
  assert.equal(h.p.isRunning(T), false);
  h.setFail(false);
  h.p.goalChanged(T);
  h.flush();
  assert.deepEqual(h.starts, [T]);
});

test("through the runtime: set active on an idle thread, resume readiness, the continuation input", () => {
  let now = 1_795_223_233_000;
  const store = GoalStore.memory({ now: () => now });
  const queue: Array<() => void> = [];
  const started: Array<{ id: string; input: RolloutItem[] }> = [];
  const rt = new GoalRuntime({ store, now: () => now, schedule: (fn) => queue.push(fn), startContinuationTurn: (id, input) => void started.push({ id, input }) });
  const flush = () => {
    while (queue.length) queue.shift()!();
  };
  rt.threadLoaded(T, { totals: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 } });
  rt.setGoal(T, { objective: "fresh thread goal", status: "paused" });
  flush();
  assert.equal(started.length, 0, "paused: no turn");
  rt.setGoal(T, { status: "active", tokenBudget: 5000 });
  flush();
  assert.equal(started.length, 1, "active on an idle thread: a goal turn starts");
  const [objective, prompt] = started[0].input;
  assert.deepEqual(objective.payload, { type: "function_call_output", name: "goal_objective", namespace: "agent", output: "fresh thread goal" });
  const text = (prompt.payload.content as Array<{ text: string }>)[0].text;
  assert.equal(text, recordedContinuation().replace("- Tokens used: 140\n- Token budget: 50000\n- Tokens remaining: 49860\n", "- Tokens used: 0\n- Token budget: 5000\n- Tokens remaining: 5000\n"));
  assert.ok(text.includes("Budget:\n- Tokens used: 0\n- Token budget: 5000\n- Tokens remaining: 5000\n"));
  assert.ok(!text.includes("Progress visibility"), "no update_plan tool, no progress paragraph");

  // the started turn runs; pausing meanwhile ends the loop
  rt.observe(T, { method: "turn/started", params: { turn: { id: "c1" } } });
  rt.setGoal(T, { status: "paused" });
  rt.observe(T, { method: "turn/completed", params: { turn: { id: "c1", status: "completed" } } });
  flush();
  assert.equal(started.length, 1);

  // deferral by a client, lifted by a user set
  rt.setGoal(T, { status: "active" });
  rt.defer(T); // too late for the start already scheduled? no: it is checked when it fires
  flush();
  assert.equal(started.length, 1, "deferred before the start fired");
  rt.setGoal(T, { objective: "fresh thread goal" }, { origin: "automatic" });
  flush();
  assert.equal(started.length, 1, "an automatic set does not lift a deferral");
  rt.setGoal(T, { objective: "fresh thread goal" }, { origin: "user" });
  flush();
  assert.equal(started.length, 2, "a user's set does");
  assert.equal(started[1].input.length, 1, "the objective did not change: no goal_objective item");

  // a resumed thread waits for ready
  rt.threadUnloaded(T);
  rt.threadLoaded(T, { resumed: true });
  flush();
  assert.equal(started.length, 2);
  assert.deepEqual(rt.snapshot(T), { method: "thread/goal/updated", params: { threadId: T, turnId: null, goal: { threadId: T, objective: "fresh thread goal", status: "active", tokenBudget: 5000, tokensUsed: 0, timeUsedSeconds: 0, createdAt: 1795223233, updatedAt: 1795223233 } } });
  rt.resumeReady(T);
  flush();
  assert.equal(started.length, 3);
  rt.clearGoal(T);
  assert.deepEqual(rt.snapshot(T), { method: "thread/goal/cleared", params: { threadId: T } });
  now += 1;
});

test("the continuation prompt with an update_plan tool has Codex's progress paragraph", () => {
  const p = continuationPrompt({ tokenBudget: null, tokensUsed: 220 }, { updatePlan: true });
  assert.ok(p.includes("- Tokens used: 220\n- Token budget: none\n- Tokens remaining: unbounded\n"));
  assert.ok(p.includes("\n\nProgress visibility:\nIf update_plan is available"));
  assertOrder([["Progress visibility", p.indexOf("Progress visibility")], ["Fidelity:", p.indexOf("Fidelity:")]]);
});
