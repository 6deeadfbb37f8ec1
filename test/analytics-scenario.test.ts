// The corpus scenario through analytics: every JSON-RPC line of the corpus transcripts (Codex's
// own traffic, test/fixtures/corpus/transcripts) is replayed into an AnalyticsClient the way the
// server calls it (client requests and responses, server requests and the client's answers,
// server notifications, goal facts from the goal notifications), one client per transcript (one
// server process each), into local storage. The stored events must hold one
// codex_thread_initialized per thread, a turn event per turn, a command-execution event per
// command with duration_ms >= 0, and goal events created / usage_accounted / status_changed with
// the goal's id. The CLI then reads the same database.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import Database from "better-sqlite3";
import { AnalyticsClient } from "../src/analytics/client.js";
import { LocalSink, openAnalyticsDbReadonly, readEvents, type StoredEvent } from "../src/analytics/sinks/local.js";
import { corpusFixtureDir, repoRoot } from "./helpers/paths.js";

interface Line {
  dir: ">>" | "<<";
  t: number;
  msg: { id?: number | string; method?: string; params?: unknown; result?: unknown; error?: { code: number; message: string } };
}

const transcripts = path.join(corpusFixtureDir(), "transcripts");
const readLines = (name: string): Line[] =>
  fs
    .readFileSync(path.join(transcripts, name), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Line);

/** The corpus goal rows' ids (Codex keeps them in goals_1.sqlite; the wire goal has none). */
function corpusGoalIds(): Map<string, string> {
  const db = new Database(path.join(corpusFixtureDir(), "codex-home", "goals_1.sqlite"), { readonly: true, fileMustExist: true });
  try {
    return new Map((db.prepare("SELECT thread_id, goal_id FROM thread_goals").all() as Array<{ thread_id: string; goal_id: string }>).map((r) => [r.thread_id, r.goal_id]));
  } finally {
    db.close();
  }
}

/** Replays one transcript as one server process with one connection; returns the client's stats. */
async function replay(home: string, name: string, connectionId: number) {
  let now = 0;
  const warnings: string[] = [];
  const goalIds = corpusGoalIds();
  const client = new AnalyticsClient({
    sinks: [LocalSink.open(home)],
    clock: () => now,
    log: { warn: (_o, m) => warnings.push(m), debug: () => {} },
    // Goal facts from the goal notifications, the goal id from the goal's row.
    goalsFromNotifications: (threadId) => goalIds.get(threadId) ?? null,
  });
  const clientRequests = new Map<number | string, { method: string; params: unknown }>();
  for (const { dir, t, msg } of readLines(name)) {
    now = t;
    if (dir === ">>") {
      if (msg.method !== undefined && msg.id !== undefined) {
        clientRequests.set(msg.id, { method: msg.method, params: msg.params });
        client.trackClientRequest(connectionId, msg.id, msg.method, msg.params);
      } else if (msg.method === undefined && msg.id !== undefined) {
        client.trackServerResponse(connectionId, msg.id, msg.result, msg.error);
      }
      continue;
    }
    if (msg.method !== undefined && msg.id !== undefined) {
      // Approvals in the corpus go to the one connection subscribed to the thread: targeted.
      client.trackServerRequest(connectionId, msg.id, msg.method, msg.params);
    } else if (msg.id !== undefined) {
      const req = clientRequests.get(msg.id);
      clientRequests.delete(msg.id);
      if (!req) continue;
      if (msg.error) client.trackClientError(connectionId, msg.id, msg.error);
      else if (req.method === "initialize") client.trackInitialize(connectionId, req.params as never, { transport: "stdio" });
      else client.trackClientResponse(connectionId, msg.id, req.method, msg.result);
    } else if (msg.method !== undefined) {
      client.trackNotification(msg.method, msg.params);
    }
  }
  await client.close();
  return { stats: client.stats(), warnings };
}

let home: string;
let events: StoredEvent[];
const stats: Array<Awaited<ReturnType<typeof replay>>> = [];
const s1 = readLines("s1-basics.jsonl");
const s2 = readLines("s2-resume.jsonl");

before(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "spool-analytics-scenario-"));
  stats.push(await replay(home, "s1-basics.jsonl", 1));
  stats.push(await replay(home, "s2-resume.jsonl", 1));
  stats.push(await replay(home, "s3-final.jsonl", 1));
  const db = openAnalyticsDbReadonly(home)!;
  events = readEvents(db);
  db.close();
});
after(() => fs.rmSync(home, { recursive: true, force: true }));

const ofType = (t: string) => events.filter((e) => e.eventType === t);
const params = (e: StoredEvent) => e.event.event_params;
type Msg = Line["msg"] & { params?: Record<string, unknown> };
const notifications = (lines: Line[], method: string) => lines.filter((l) => l.dir === "<<" && l.msg.method === method && l.msg.id === undefined).map((l) => (l.msg as Msg).params as Record<string, any>);

test("replaying the corpus: nothing dropped, no warnings, every fact reduced", () => {
  for (const s of stats) {
    assert.deepEqual(s.warnings, []);
    assert.equal(s.stats.droppedFacts, 0);
    assert.equal(s.stats.errors, 0);
    assert.equal(s.stats.queued, 0);
    assert.equal(s.stats.sinks.local.failed, 0);
    assert.equal(s.stats.sinks.local.written, s.stats.events);
  }
  assert.equal(events.length, stats.reduce((a, s) => a + s.stats.events, 0));
});

test("one codex_thread_initialized per thread per process, with the right mode", () => {
  const threadAnswers = (lines: Line[]) => {
    const ids = new Map<number | string, string>();
    for (const l of lines) if (l.dir === ">>" && /^thread\/(start|resume|fork)$/.test(l.msg.method ?? "")) ids.set(l.msg.id!, l.msg.method!);
    return lines.filter((l) => l.dir === "<<" && l.msg.method === undefined && ids.has(l.msg.id!)).map((l) => [(l.msg.result as any).thread.id, ids.get(l.msg.id!)]);
  };
  const expected = [...threadAnswers(s1), ...threadAnswers(s2)].map(([id, m]) => [id, m === "thread/start" ? "new" : m === "thread/resume" ? "resumed" : "forked"]);
  const init = ofType("codex_thread_initialized").map((e) => [params(e).thread_id, params(e).initialization_mode]);
  assert.deepEqual(init, expected);
  assert.equal(new Set(init.slice(0, 6).map(([id]) => id)).size, 6, "s1: six threads, one event each");
  const fork = ofType("codex_thread_initialized").find((e) => params(e).initialization_mode === "forked")!;
  assert.equal(params(fork).forked_from_thread_id, "01a1fba4-9b62-7df1-a194-f0e48a69b025");
  for (const e of ofType("codex_thread_initialized")) {
    const p = params(e);
    assert.equal(p.thread_source, null, "Codex 0.169 names no source for a client's thread");
    assert.equal(p.model, "mock-model");
    assert.deepEqual((p.app_server_client as any).rpc_transport, "stdio");
    assert.match((p.app_server_client as any).client_name, /^corpus-s[12]-/);
  }
});

test("a codex_turn_event per turn, with status, tokens and counts", () => {
  const completed = [...notifications(s1, "turn/completed"), ...notifications(s2, "turn/completed")];
  const turns = ofType("codex_turn_event");
  assert.equal(turns.length, 17);
  assert.deepEqual(
    turns.map((e) => [params(e).turn_id, params(e).status]),
    completed.map((n) => [n.turn.id, n.turn.status]),
  );
  const byTurn = new Map(turns.map((e) => [params(e).turn_id as string, params(e)]));
  // Tokens per turn: the thread total after the turn minus before it.
  assert.deepEqual([byTurn.get("01a1fba4-9b6e-77e1-acbc-735bd22f9b66")!.total_tokens, byTurn.get("01a1fba4-9b6e-77e1-acbc-735bd22f9b66")!.input_tokens], [160, 140]);
  assert.equal(byTurn.get("01a1fba4-9be2-7392-bc30-71fdc44a409f")!.total_tokens, 540 - 160);
  assert.equal(byTurn.get("01a1fba4-a345-7411-bd73-493f0bf8bb25")!.total_tokens, 2990 - 2600, "the fork's turn, after the fork's usage snapshot");
  assert.equal(byTurn.get("01a1fba4-a3c9-71d2-a335-72fe48cf7043")!.total_tokens, 2990 - 2600, "the resumed thread's turn, after the resume snapshot");
  assert.equal(byTurn.get("01a1fba4-9d17-7d91-9741-7bb4a74fd0a0")!.total_tokens, 0, "the failed turn reported no usage: zero, as Codex sends");
  const failed = turns.find((e) => params(e).status === "failed")!;
  assert.deepEqual([params(failed).turn_error, params(failed).codex_error_kind], ["other", "other"]);
  const interrupted = turns.find((e) => params(e).status === "interrupted")!;
  assert.equal(typeof params(interrupted).explicit_client_interrupt_requested_at_ms, "number");
  const cmdTurn = byTurn.get("01a1fba4-9be2-7392-bc30-71fdc44a409f")!;
  assert.deepEqual([cmdTurn.shell_command_count, cmdTurn.total_tool_call_count, cmdTurn.is_first_turn], [1, 1, false]);
  assert.equal(byTurn.get("01a1fba4-9b6e-77e1-acbc-735bd22f9b66")!.is_first_turn, true);
  for (const t of turns) assert.deepEqual([params(t).model_provider, params(t).approval_policy, params(t).sandbox_policy], ["mock", "on-request", "workspace_write"]);
});

test("a command-execution event per command, duration_ms >= 0, approvals denormalized", () => {
  const commands = notifications(s1, "item/completed").filter((n) => n.item.type === "commandExecution");
  const cmds = ofType("codex_command_execution_event");
  assert.equal(cmds.length, 4);
  assert.deepEqual(
    cmds.map((e) => params(e).item_id),
    commands.map((n) => n.item.id),
  );
  for (const e of cmds) {
    const p = params(e);
    assert.equal(typeof p.duration_ms, "number");
    assert.ok((p.duration_ms as number) >= 0);
    assert.equal(p.duration_ms, (p.completed_at_ms as number) - (p.started_at_ms as number));
  }
  const by = new Map(cmds.map((e) => [params(e).item_id, params(e)]));
  assert.deepEqual([by.get("call_4")!.tool_name, by.get("call_4")!.terminal_status, by.get("call_4")!.exit_code, by.get("call_4")!.execution_duration_ms], ["unified_exec", "completed", 0, 0]);
  assert.deepEqual([by.get("call_18")!.terminal_status, by.get("call_18")!.failure_kind], ["failed", "tool_error"]);
  assert.deepEqual([by.get("call_24")!.final_approval_outcome, by.get("call_24")!.review_count, by.get("call_24")!.duration_ms], ["user_approved", 1, 27]);
  assert.deepEqual([by.get("call_28")!.terminal_status, by.get("call_28")!.failure_kind, by.get("call_28")!.final_approval_outcome], ["rejected", "approval_denied", "user_denied"]);
  assert.deepEqual(
    ofType("codex_review_event").map((e) => [params(e).review_id, params(e).status, params(e).item_id]),
    [
      ["user:0", "approved", "call_24"],
      ["user:1", "denied", "call_28"],
    ],
  );
  assert.deepEqual(ofType("codex_file_change_event").map((e) => [params(e).item_id, params(e).file_add_count, params(e).execution_duration_ms]), [["call_11", 1, null]]);
  assert.deepEqual(ofType("codex_web_search_event").map((e) => [params(e).item_id, params(e).web_search_action, params(e).query_count]), [["ws_15", "search", 1]]);
});

test("goal events created, usage_accounted and status_changed carry the goal's id", () => {
  const goal = ofType("codex_goal_event").map((e) => params(e));
  const GOAL_ID = corpusGoalIds().get("01a1fba4-a2a8-7a62-985a-848ae84fbe5b");
  assert.equal(GOAL_ID, "de189067-eccc-405d-bf15-a73226c74ca9");
  assert.deepEqual(
    goal.map((p) => [p.event_kind, p.goal_status, p.goal_id, p.has_token_budget, p.cumulative_tokens_accounted]),
    [
      ["created", "active", GOAL_ID, true, null],
      ["usage_accounted", "active", GOAL_ID, true, 140],
      ["usage_accounted", "active", GOAL_ID, true, 310],
      ["status_changed", "complete", GOAL_ID, true, null],
    ],
  );
  assert.ok(goal.every((p) => p.thread_id === "01a1fba4-a2a8-7a62-985a-848ae84fbe5b" && typeof p.turn_id === "string"));
  // The resumed basics thread had no goal: its cleared snapshot is not an event.
  assert.equal(goal.filter((p) => p.event_kind === "cleared").length, 0);
});

test("the archive event for the archived thread", () => {
  assert.deepEqual(
    ofType("codex_thread_archive_event").map((e) => [params(e).thread_id, params(e).action, params(e).thread_source]),
    [["01a1fba4-a2ff-7311-aacd-4ae550388c81", "archived", undefined]],
  );
});

test("spool analytics events|report read the scenario's database", () => {
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(repoRoot(), "dist", "src", "cli", "main.js"), "analytics", ...args, "--home", home], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const json = cli("events", "--json").trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(json.length, events.length);
  assert.deepEqual(json.map((j) => j.event_type), events.map((e) => e.eventType));
  assert.deepEqual(json[0].event_params, events[0].event.event_params);
  const turnsOnly = cli("events", "--json", "--type", "codex_turn_event").trimEnd().split("\n");
  assert.equal(turnsOnly.length, 17);
  const table = cli("events");
  assert.match(table, /^time \(UTC\)\s+event\s+thread\s+detail\n-+/);
  assert.match(table, /command_execution\s+01a1fba4-9b62-7df1-a194-f0e48a69b025\s+unified_exec completed 1ms item=call_4 exit=0/);
  assert.match(table, /goal\s+01a1fba4-a2a8-7a62-985a-848ae84fbe5b\s+status_changed complete goal=de189067-eccc-405d-bf15-a73226c74ca9/);
  // The corpus ran on 2026-11-21: --since before it keeps everything, after it nothing.
  assert.equal(cli("events", "--json", "--since", "2026-11-21T00:00:00Z").trimEnd().split("\n").length, events.length);
  assert.equal(cli("events", "--json", "--since", "2026-11-22"), "");
  const report = JSON.parse(cli("report", "--json"));
  assert.deepEqual(report.days.map((d: any) => [d.day, d.turns, d.failed, d.interrupted, d.tool_calls]), [["2026-11-21", 17, 1, 1, 6]]);
  const tokens = ofType("codex_turn_event").reduce((a, e) => a + ((params(e).total_tokens as number) ?? 0), 0);
  assert.equal(report.days[0].total_tokens, tokens);
  const shell = report.tools.filter((t: any) => t.kind === "command_execution");
  assert.deepEqual(shell.map((t: any) => [t.tool_name, t.calls]), [
    ["shell", 1],
    ["unified_exec", 3],
  ]);
  const goalThread = report.threads.find((t: any) => t.thread_id === "01a1fba4-a2a8-7a62-985a-848ae84fbe5b");
  assert.deepEqual([goalThread.turns, goalThread.goal_status], [2, "complete"]);
  const text = cli("report");
  assert.match(text, /Turns and tokens per day \(UTC\)\nday\s+turns\s+completed\s+failed\s+interrupted\s+input\s+cached\s+output\s+reasoning\s+total tokens\s+tool calls\s+tool ms\n/);
  assert.match(text, /2026-11-21\s+17\s+15\s+1\s+1\s+/);
  assert.match(text, /Per thread\n/);
});
