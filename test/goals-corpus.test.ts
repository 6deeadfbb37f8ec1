// The corpus `goal` thread replayed through Spool's goals: its turns, the usage Codex recorded
// (token_usage_record / token_count), its create_goal and update_goal calls, on a clock taken
// from the rollout's timestamps. Spool's tool outputs equal the ones Codex recorded byte for
// byte, its continuation prompt equals the one Codex injected, and thread/goal/get, answered by
// a real AppServer over a copy of the corpus home after a restart of the goal store, equals
// golden/goal.get.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { corpusFixtureDir } from "./helpers/paths.js";
import { copyCorpusHome } from "./helpers/compare.js";
import { GoalStore } from "../src/goals/store.js";
import { GoalRuntime } from "../src/goals/runtime.js";
import { toThreadGoal } from "../src/goals/types.js";
import type { ToolContext } from "../src/agent/tools/registry.js";
import type { RolloutItem } from "../src/store/types.js";
import { AppServer } from "../src/server/app.js";
import { Connection } from "../src/server/connection.js";
import { registerGoalMethods } from "../src/server/methods/goals.js";

const fixture = corpusFixtureDir();
const threads = JSON.parse(fs.readFileSync(path.join(fixture, "threads.json"), "utf8")) as Record<string, { id: string }>;
const GOAL_THREAD = threads.goal.id;
const golden = JSON.parse(fs.readFileSync(path.join(fixture, "golden", "goal.get.json"), "utf8"));

function rolloutLines(): any[] {
  const dir = path.join(fixture, "codex-home", "sessions");
  const file = (fs.readdirSync(dir, { recursive: true }) as string[]).find((p) => p.endsWith(`${GOAL_THREAD}.jsonl`));
  assert.ok(file, "the goal thread's rollout");
  return fs
    .readFileSync(path.join(dir, file), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

interface Replay {
  store: GoalStore;
  toolOutputs: Array<{ name: string; codex: string; spool: string }>;
  continuations: RolloutItem[][];
  injectedByCodex: { objective: string[]; internal: string[] };
  injectedBySpool: RolloutItem[];
}

/** Replays the goal thread's rollout into `store`. */
async function replay(store: GoalStore, clock: { now: number }): Promise<Replay> {
  const queue: Array<() => void> = [];
  const continuations: RolloutItem[][] = [];
  const rt = new GoalRuntime({ store, now: () => clock.now, schedule: (fn) => queue.push(fn), startContinuationTurn: (_id, input) => void continuations.push(input) });
  const tools = new Map(rt.tools().map((t) => [t.name, t]));
  rt.threadLoaded(GOAL_THREAD, { totals: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 } });
  const out: Replay = { store, toolOutputs: [], continuations, injectedByCodex: { objective: [], internal: [] }, injectedBySpool: [] };
  const calls = new Map<string, { name: string; args: string }>();
  let turnId = "";
  let roundHadCalls = false;
  for (const line of rolloutLines()) {
    clock.now = Date.parse(line.timestamp);
    const p = line.payload ?? {};
    if (line.type === "event_msg" && p.type === "task_started") {
      turnId = p.turn_id;
      rt.observe(GOAL_THREAD, { method: "turn/started", params: { threadId: GOAL_THREAD, turn: { id: turnId, status: "inProgress" } } });
      out.injectedBySpool.push(...rt.beforeModelRequest(GOAL_THREAD, turnId));
    } else if (line.type === "token_usage_record") {
      // the thread's totals as Codex knew them right after the response, before its tools ran
      rt.tokenUsage(GOAL_THREAD, p.thread_token_usage, p.usage);
    } else if (line.type === "event_msg" && p.type === "token_count") {
      rt.tokenUsage(GOAL_THREAD, p.info.total_token_usage, p.info.last_token_usage);
      if (roundHadCalls) out.injectedBySpool.push(...rt.beforeModelRequest(GOAL_THREAD, turnId));
      roundHadCalls = false;
    } else if (line.type === "response_item" && p.type === "function_call" && tools.has(p.name)) {
      calls.set(p.call_id, { name: p.name, args: p.arguments });
      roundHadCalls = true;
    } else if (line.type === "response_item" && p.type === "function_call_output" && calls.has(p.call_id)) {
      const c = calls.get(p.call_id)!;
      const ctx = { threadId: GOAL_THREAD, turnId, callId: p.call_id } as unknown as ToolContext;
      const r = await tools.get(c.name)!.handle(JSON.parse(c.args), ctx);
      out.toolOutputs.push({ name: c.name, codex: p.output, spool: r.output });
    } else if (line.type === "response_item" && p.type === "function_call_output" && p.name === "goal_objective") {
      out.injectedByCodex.objective.push(p.output);
    } else if (line.type === "response_item" && p.type === "message" && String(p.content?.[0]?.text ?? "").startsWith("<codex_internal_context")) {
      out.injectedByCodex.internal.push(p.content[0].text);
    } else if (line.type === "event_msg" && p.type === "task_complete") {
      rt.observe(GOAL_THREAD, { method: "turn/completed", params: { threadId: GOAL_THREAD, turn: { id: turnId, status: "completed", error: null } } });
      while (queue.length) queue.shift()!();
    }
  }
  return out;
}

test("replaying the corpus goal thread gives Codex's tool outputs, continuation prompt and goal", async () => {
  const clock = { now: 0 };
  const r = await replay(GoalStore.memory({ now: () => clock.now }), clock);
  assert.deepEqual(
    r.toolOutputs.map((o) => o.name),
    ["create_goal", "update_goal"],
  );
  for (const o of r.toolOutputs) assert.equal(o.spool, o.codex, `${o.name}: Codex's output byte for byte`);
  // the goal_objective context after create_goal
  assert.deepEqual(
    r.injectedBySpool.map((i) => i.payload),
    r.injectedByCodex.objective.map((output) => ({ type: "function_call_output", name: "goal_objective", namespace: "agent", output })),
  );
  // after the first turn, a continuation; after the second (goal complete), none
  assert.equal(r.continuations.length, 1);
  const prompt = r.continuations[0].map((i) => (i.payload.content as Array<{ text: string }>)?.[0]?.text);
  assert.deepEqual(prompt, r.injectedByCodex.internal, "the continuation prompt Codex injected (Tokens used: 140)");
  assert.deepEqual({ goal: toThreadGoal(r.store.get(GOAL_THREAD)!) }, golden, "goal.get.json");
});

test("thread/goal/get over the corpus home, after a restart, equals Codex's answer", async () => {
  const home = copyCorpusHome(fixture);
  try {
    const clock = { now: 0 };
    const writer = GoalStore.open(home, { now: () => clock.now });
    await replay(writer, clock);
    writer.close();
    assert.ok(fs.existsSync(path.join(home, "spool", "goals.sqlite")));

    const app = new AppServer({ home, memoryIndex: true });
    const store = GoalStore.open(home);
    const lines: any[] = [];
    try {
      await app.start();
      const broadcasts: unknown[] = [];
      registerGoalMethods(app, { store, broadcast: (method, params) => broadcasts.push({ method, params }) });
      const conn = new Connection(app, (l) => lines.push(JSON.parse(l)));
      await conn.handleLine(JSON.stringify({ id: 1, method: "initialize", params: { clientInfo: { name: "goals-test", version: "1" } } }));
      await conn.handleLine(JSON.stringify({ id: 2, method: "thread/goal/get", params: { threadId: GOAL_THREAD } }));
      await conn.handleLine(JSON.stringify({ id: 3, method: "thread/goal/get", params: { threadId: threads.basics.id } }));
      await conn.handleLine(JSON.stringify({ id: 4, method: "thread/goal/get", params: { threadId: "00000000-0000-0000-0000-000000000000" } }));
      assert.deepEqual(lines.find((l) => l.id === 2), { id: 2, result: golden });
      assert.deepEqual(lines.find((l) => l.id === 3), { id: 3, result: { goal: null } });
      assert.deepEqual(lines.find((l) => l.id === 4)?.error, { code: -32600, message: "thread not found: 00000000-0000-0000-0000-000000000000" });
      assert.deepEqual(broadcasts, []);
    } finally {
      store.close();
      await app.close();
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
