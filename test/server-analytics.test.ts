// Analytics through `spool app-server` (issue 7): the corpus scenario (the driver port of
// test/server-corpus.test.ts, variant a: three server processes on one home) runs against
// Spool with analytics on (the default), then `spool analytics events --home DIR --json` must
// print, from what the servers stored:
//  - one codex_thread_initialized per thread and process (new, forked, resumed);
//  - a codex_turn_event per turn, with the turn's status;
//  - a command-execution event per command, with duration_ms >= 0;
//  - codex_goal_events created, usage_accounted and status_changed with the goal's id;
// and with `[analytics] enabled = false` nothing is stored.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { startMockResponses, type MockResponses } from "./helpers/mock-responses.js";
import { startSpool, spoolMain } from "./helpers/spool.js";
import type { RpcClient, TranscriptLine } from "./helpers/rpc-client.js";
import { GoalStore } from "../src/goals/store.js";

let mock: MockResponses;
const dirs: string[] = [];
before(async () => {
  mock = await startMockResponses();
});
after(async () => {
  await mock.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeHome(extra = ""): { root: string; home: string; ws: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-analytics-"));
  dirs.push(root);
  const home = path.join(root, "work", "home");
  const ws = path.join(root, "work", "ws");
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(ws, { recursive: true });
  fs.writeFileSync(
    path.join(home, "config.toml"),
    `model = "mock-model"\nmodel_provider = "mock"\napproval_policy = "on-request"\nsandbox_mode = "workspace-write"\n${extra}\n[model_providers.mock]\nname = "Mock"\nbase_url = "${mock.url}"\nwire_api = "responses"\nrequest_max_retries = 0\nstream_max_retries = 0\nsupports_websockets = false\n`,
  );
  return { root, home, ws };
}

// ---------------------------------------------------------------------------------------------
// the corpus driver (variant a), as ported in test/server-corpus.test.ts

interface Run {
  home: string;
  threads: Record<string, string>;
  transcripts: Record<string, TranscriptLine[]>;
  stderr: string[];
}

const T = {
  basics: ["hello there", "cmd: echo hi > out.txt && cat out.txt", "think: a plan", "patch: notes.md hello world", "search: codex threads", "cmd: false", "fail: boom", "after the failure"],
  name: "Basics thread",
  approvals: ["esc: touch ../outside-a.txt", "esc: rm -rf ../nothing-here"],
  interrupt: ["slow: 40", "resume after interrupt"],
  goal: ["goal: ship the thread store", "goaldone"],
  archived: ["to be archived"],
  fork: ["in the fork"],
  resume: ["back again"],
};

async function runScenario(home: string, ws: string, env: Record<string, string> = {}): Promise<Run> {
  const run: Run = { home, threads: {}, transcripts: {}, stderr: [] };
  let client!: RpcClient;
  const open = async (name: string) => {
    client = startSpool(home, { cwd: ws, env: { SPOOL_HOME: home, SPOOL_LOG: "warn", ...env } });
    await client.initialize(`corpus-${name}`);
  };
  const close = async (name: string) => {
    await client.close();
    run.transcripts[name] = client.lines;
    run.stderr.push(client.stderr);
  };
  const turn = async (tid: string, text: string, o: { approve?: "accept" | "decline"; interruptAfterMs?: number } = {}) => {
    client.approve = o.approve ?? "accept";
    const t = await client.request("turn/start", { threadId: tid, input: [{ type: "text", text }] });
    if (o.interruptAfterMs) {
      await sleep(o.interruptAfterMs);
      await client.request("turn/interrupt", { threadId: tid, turnId: t.turn.id });
    }
    const done = await client.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === t.turn.id, 90_000);
    return done.params.turn;
  };
  const read = async (tag: string, tid: string) => {
    await client.request("thread/read", { threadId: tid, includeTurns: true });
    run.threads[tag] = tid;
  };

  await open("s1-basics");
  let s = await client.request("thread/start", { cwd: ws });
  const t1 = s.thread.id;
  for (const text of T.basics) await turn(t1, text);
  await client.request("thread/name/set", { threadId: t1, name: T.name });
  await read("basics", t1);

  s = await client.request("thread/start", { cwd: ws });
  const t2 = s.thread.id;
  await turn(t2, T.approvals[0], { approve: "accept" });
  await turn(t2, T.approvals[1], { approve: "decline" });
  await read("approvals", t2);

  s = await client.request("thread/start", { cwd: ws });
  const t3 = s.thread.id;
  await turn(t3, T.interrupt[0], { interruptAfterMs: 1200 });
  await turn(t3, T.interrupt[1]);
  await read("interrupt", t3);

  s = await client.request("thread/start", { cwd: ws });
  const t4 = s.thread.id;
  await turn(t4, T.goal[0]);
  await turn(t4, T.goal[1]);
  await client.request("thread/goal/get", { threadId: t4 });
  await read("goal", t4);

  s = await client.request("thread/start", { cwd: ws });
  const t5 = s.thread.id;
  await turn(t5, T.archived[0]);
  await read("archived", t5);
  await client.request("thread/archive", { threadId: t5 });

  const f = await client.request("thread/fork", { threadId: t1 });
  const t6 = f.thread.id;
  await turn(t6, T.fork[0]);
  await read("fork", t6);
  for (const params of [{}, { sortKey: "updated_at", sortDirection: "asc" }, { archived: true }, { limit: 2 }, { searchTerm: "hello" }]) await client.request("thread/list", params);
  await client.request("thread/loaded/list", {});
  await close("s1-basics");

  await open("s2-resume");
  await client.request("thread/resume", { threadId: t1 });
  await turn(t1, T.resume[0]);
  await read("basics-after-resume", t1);
  await close("s2-resume");

  await open("s3-final");
  for (const [tag, id] of Object.entries(run.threads)) if (tag !== "basics") await client.request("thread/read", { threadId: id, includeTurns: true });
  await close("s3-final");
  return run;
}

// ---------------------------------------------------------------------------------------------

interface Event {
  event_type: string;
  event_params: Record<string, any>;
}

function analyticsEvents(home: string, args: string[] = []): { events: Event[]; stdout: string; status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [spoolMain(), "analytics", "events", "--home", home, "--json", ...args], { encoding: "utf8", env: { ...process.env, SPOOL_LOG: "error" } });
  const events = r.stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .map((o) => (o.event_type ? o : (o.event ?? o)) as Event);
  return { events, stdout: r.stdout, status: r.status, stderr: r.stderr };
}

const notificationsOf = (lines: TranscriptLine[], method: string) => lines.filter((l) => l.dir === "<<" && (l.msg as any)?.method === method && (l.msg as any).id === undefined).map((l) => (l.msg as any).params);

let run: Run;
let events: Event[];

test("the corpus scenario through spool app-server stores the events issue 7 asks for", { timeout: 240_000 }, async () => {
  const { home, ws } = makeHome();
  run = await runScenario(home, ws);
  const out = analyticsEvents(home);
  assert.equal(out.status, 0, out.stderr);
  events = out.events;
  const ofType = (t: string) => events.filter((e) => e.event_type === t).map((e) => e.event_params);
  const s1 = run.transcripts["s1-basics"];
  const s2 = run.transcripts["s2-resume"];

  // one codex_thread_initialized per thread and process
  const init = ofType("codex_thread_initialized").map((p) => [p.thread_id, p.initialization_mode]);
  const th = run.threads;
  assert.deepEqual(init, [
    [th.basics, "new"],
    [th.approvals, "new"],
    [th.interrupt, "new"],
    [th.goal, "new"],
    [th.archived, "new"],
    [th.fork, "forked"],
    [th.basics, "resumed"],
  ]);
  for (const p of ofType("codex_thread_initialized")) {
    assert.equal(p.thread_source, "user");
    assert.equal(p.model, "mock-model");
    assert.equal(p.app_server_client.rpc_transport, "stdio");
    assert.match(p.app_server_client.client_name, /^corpus-s[12]-/);
  }

  // a turn event per turn, with its status
  const completed = [...notificationsOf(s1, "turn/completed"), ...notificationsOf(s2, "turn/completed")];
  assert.equal(completed.length, 17);
  assert.deepEqual(
    ofType("codex_turn_event").map((p) => [p.thread_id, p.turn_id, p.status]),
    completed.map((n) => [n.threadId, n.turn.id, n.turn.status]),
  );
  assert.deepEqual(
    ofType("codex_turn_event")
      .map((p) => p.status)
      .sort(),
    [...Array(15).fill("completed"), "failed", "interrupted"].sort(),
  );

  // a command-execution event per command, with an observed duration
  const commands = [...notificationsOf(s1, "item/completed"), ...notificationsOf(s2, "item/completed")].filter((n) => n.item.type === "commandExecution");
  assert.ok(commands.length >= 4, `commands: ${commands.length}`);
  const cmds = ofType("codex_command_execution_event");
  assert.deepEqual(
    cmds.map((p) => p.item_id),
    commands.map((n) => n.item.id),
  );
  for (const p of cmds) {
    assert.equal(typeof p.duration_ms, "number");
    assert.ok(p.duration_ms >= 0, `duration_ms ${p.duration_ms}`);
  }

  // goal events with the goal's id (the goal row Spool stored)
  const store = GoalStore.open(home);
  let goalId: string;
  try {
    goalId = store.get(th.goal)!.goalId;
  } finally {
    store.close();
  }
  const goal = ofType("codex_goal_event");
  for (const kind of ["created", "usage_accounted", "status_changed"]) assert.ok(goal.some((p) => p.event_kind === kind), `a ${kind} goal event`);
  for (const p of goal) {
    assert.equal(p.goal_id, goalId);
    assert.equal(p.thread_id, th.goal);
    assert.equal(p.has_token_budget, true);
  }
  assert.deepEqual(
    goal.map((p) => [p.event_kind, p.goal_status, p.cumulative_tokens_accounted]),
    [
      ["created", "active", null],
      ["usage_accounted", "active", goal[1].cumulative_tokens_accounted],
      ["usage_accounted", "active", goal[2].cumulative_tokens_accounted],
      ["status_changed", "complete", null],
    ],
  );
  assert.ok(goal[2].cumulative_tokens_accounted > goal[1].cumulative_tokens_accounted);

  // nothing missing: no analytics warnings from the servers
  for (const err of run.stderr) assert.doesNotMatch(err, /analytics/i);
});

test("[analytics] enabled = false: the scenario's first session stores nothing", { timeout: 120_000 }, async () => {
  const { home, ws } = makeHome("\n[analytics]\nenabled = false\n");
  const c = startSpool(home, { cwd: ws, env: { SPOOL_HOME: home, SPOOL_LOG: "error" } });
  try {
    await c.initialize("corpus-s1-basics");
    const tid = (await c.request("thread/start", { cwd: ws })).thread.id;
    for (const text of ["hello there", "cmd: echo hi", "goal: ship the thread store", "goaldone"]) {
      const t = await c.request("turn/start", { threadId: tid, input: [{ type: "text", text }] });
      await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === t.turn.id, 60_000);
    }
  } finally {
    await c.close();
  }
  assert.equal(fs.existsSync(path.join(home, "spool", "analytics.sqlite")), false, "no analytics database");
  const out = analyticsEvents(home);
  assert.equal(out.events.length, 0);
});
