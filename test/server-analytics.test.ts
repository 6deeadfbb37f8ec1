// Analytics through `spool app-server` (issue 7): the corpus scenario (the driver port in
// helpers/corpus-scenario.ts, variant a: three server processes on one home) runs against
// Spool with analytics on (the default), then `spool analytics events --home DIR --json` must
// print, from what the servers stored:
//  - one codex_thread_initialized per thread and process (new, forked, resumed);
//  - a codex_turn_event per turn, with the turn's status;
//  - a command-execution event per command, with duration_ms >= 0;
//  - codex_goal_events created, usage_accounted and status_changed with the goal's id;
// and with `[analytics] enabled = false` nothing is stored.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { startSpool, spoolMain } from "./helpers/spool.js";
import type { TranscriptLine } from "./helpers/rpc-client.js";
import { runCorpusScenario, type CorpusRun } from "./helpers/corpus-scenario.js";
import { useMockResponses, type MockHome } from "./helpers/mock-home.js";
import { GoalStore } from "../src/goals/store.js";

const fx = useMockResponses();

function makeHome(extra = ""): MockHome {
  return fx.makeHome({ prefix: "spool-analytics-", under: "work", extra });
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

let run: CorpusRun;
let events: Event[];

test("the corpus scenario through spool app-server stores the events issue 7 asks for", async () => {
  const { home, ws } = makeHome();
  // SPOOL_LOG=warn: the servers' analytics warnings are checked below
  run = await runCorpusScenario(home, ws, { env: { SPOOL_LOG: "warn" } });
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
    assert.equal(p.thread_source, null, "Codex 0.169 names no source for a client's thread");
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

test("[analytics] enabled = false: the scenario's first session stores nothing", async () => {
  const { home, ws } = makeHome("\n[analytics]\nenabled = false\n");
  const c = startSpool(home, { cwd: ws, env: { SPOOL_HOME: home, SPOOL_LOG: "error" } });
  try {
    await c.initialize("corpus-s1-basics");
    const tid = (await c.request("thread/start", { cwd: ws })).thread.id;
    for (const text of ["hello there", "cmd: echo hi", "goal: ship the thread store", "goaldone"]) {
      const t = await c.request("turn/start", { threadId: tid, input: [{ type: "text", text }] });
      await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === t.turn.id);
    }
  } finally {
    await c.close();
  }
  assert.equal(fs.existsSync(path.join(home, "spool", "analytics.sqlite")), false, "no analytics database");
  const out = analyticsEvents(home);
  assert.equal(out.events.length, 0);
});
