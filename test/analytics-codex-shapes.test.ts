// The reducer against what the real Codex 0.169.0 sent (test/fixtures/analytics/
// codex-0.169-events.json, captured from the pinned binary by test/analytics-vs-codex.test.ts):
// a small session of facts (a thread started and forked, a turn with a command, a patch, a web
// search and a goal tool between two model responses, a model error, an interrupt, a declined
// command, goal changes, archive and unarchive) must give every event type Codex sent, with the
// same field names (nested included), JSON types and no null where Codex always sends a value;
// the spellings are checked against literal values from the capture.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { AnalyticsReducer, type ReduceOutput } from "../src/analytics/reducer.js";
import { factFromNotification, type AnalyticsFact } from "../src/analytics/facts.js";
import { decodeClientResponse, decodeServerRequest, serverResponseFromResult } from "../src/analytics/protocol.js";
import { compareAnalytics, countByType, type AnalyticsEvent } from "./helpers/analytics-compare.js";
import { repoRoot } from "./helpers/paths.js";

const CODEX_EVENTS = JSON.parse(fs.readFileSync(path.join(repoRoot(), "test", "fixtures", "analytics", "codex-0.169-events.json"), "utf8")) as AnalyticsEvent[];

const RUNTIME = { codex_rs_version: "0.1.0", runtime_os: "linux", runtime_os_version: "12.0.0", runtime_arch: "x86_64" };

function threadAnswer(method: "thread/start" | "thread/fork", id: string, forkedFromId: string | null = null): AnalyticsFact {
  const result = {
    thread: { id, sessionId: id, source: "vscode", threadSource: null, parentThreadId: null, forkedFromId, ephemeral: false, createdAt: 1796226068, model: "mock-model", modelProvider: "mock", originator: null },
    model: "mock-model",
    modelProvider: "mock",
    serviceTier: null,
    approvalPolicy: "on-request",
    approvalsReviewer: "user",
    sandbox: { type: "workspaceWrite", writableRoots: [], networkAccess: false },
    reasoningEffort: null,
  };
  const response = decodeClientResponse(method, result);
  assert.ok(response);
  return { kind: "client_response", connectionId: 1, requestId: method === "thread/start" ? 1 : 9, response, atMs: 1 };
}

const item = (method: "item/started" | "item/completed", threadId: string, turnId: string, raw: Record<string, unknown>, atMs: number): AnalyticsFact => {
  const f = factFromNotification(method, { threadId, turnId, item: method === "item/started" ? { ...raw, status: "inProgress" } : raw, startedAtMs: atMs, completedAtMs: atMs }, atMs);
  assert.ok(f);
  return f;
};

const turn = (status: "completed" | "failed" | "interrupted", threadId: string, turnId: string, atMs: number): AnalyticsFact => ({
  kind: "turn_completed",
  threadId,
  turnId,
  rootTurnId: turnId,
  status,
  codexErrorInfo: status === "failed" ? "other" : null,
  startedAt: 1796226069,
  completedAt: 1796226070,
  durationMs: 900,
  atMs,
});

const started = (threadId: string, turnId: string, atMs: number, requestId: number): AnalyticsFact[] => [
  { kind: "client_request", connectionId: 1, requestId, request: { method: "turn/start", params: { threadId, input: [{ type: "text" }] } }, atMs },
  { kind: "client_response", connectionId: 1, requestId, response: { method: "turn/start", result: { turn: { id: turnId } } }, atMs },
  { kind: "turn_started", threadId, turnId, rootTurnId: turnId, startedAt: 1796226069, atMs },
  { kind: "turn_trigger", threadId, turnId, trigger: null },
];

const sampling = (threadId: string, turnId: string, from: number, to: number, responseId: string | null, callIds: string[], ok = true): AnalyticsFact[] => [
  { kind: "sampling_started", threadId, turnId, atMs: from, attempt: 0 },
  { kind: "sampling_ended", threadId, turnId, atMs: to, ok, responseId, callIds },
];

const command = { type: "commandExecution", id: "call_4", command: "echo hi", cwd: "/w", processId: "1", source: "unifiedExecStartup", status: "completed", commandActions: [{ type: "unknown", command: "echo hi" }], aggregatedOutput: "hi\n", exitCode: 0, durationMs: 20 };
const patch = { type: "fileChange", id: "call_5", changes: [{ path: "/w/notes.md", kind: { type: "add" }, diff: "hello world\n" }], status: "completed" };
const search = { type: "webSearch", id: "ws_6", query: "codex threads", action: { type: "search", query: "codex threads", queries: null } };
const declined = { ...command, id: "call_9", source: "agent", status: "declined", exitCode: null, durationMs: null };

function session(): ReduceOutput {
  const r = new AnalyticsReducer();
  const out: ReduceOutput = { events: [], warnings: [] };
  const approval = decodeServerRequest(0, "item/commandExecution/requestApproval", { threadId: "t1", turnId: "u4", itemId: "call_9", startedAtMs: 5000, command: "rm", networkApprovalContext: null });
  assert.ok(approval);
  const decline = serverResponseFromResult(approval, { decision: "decline" });
  assert.ok(decline.ok);
  const goal = (eventKind: "created" | "usage_accounted" | "status_changed", goalStatus: "active" | "complete", turnId: string): AnalyticsFact => ({
    kind: "goal",
    threadId: "t1",
    turnId,
    goalId: "goal-1",
    eventKind,
    goalStatus,
    hasTokenBudget: true,
    cumulativeTokensAccounted: eventKind === "usage_accounted" ? 140 : null,
    cumulativeTimeAccountedSeconds: eventKind === "usage_accounted" ? 0 : null,
  });
  const facts: AnalyticsFact[] = [
    { kind: "initialize", connectionId: 1, clientName: "analytics-test", clientVersion: "0.1.0", experimentalApi: true, productClientId: "analytics-test", transport: "stdio", runtime: RUNTIME },
    threadAnswer("thread/start", "t1"),
    // a turn: one response asks for a command, a patch and a goal tool; a second one answers
    ...started("t1", "u1", 1000, 2),
    ...sampling("t1", "u1", 1010, 1100, "resp_3", ["call_4", "call_5", "call_7"]),
    item("item/started", "t1", "u1", command, 1110),
    item("item/completed", "t1", "u1", command, 1130),
    item("item/started", "t1", "u1", patch, 1140),
    item("item/completed", "t1", "u1", patch, 1150),
    { kind: "tool_call_started", threadId: "t1", turnId: "u1", atMs: 1160, callId: "call_7", name: "create_goal" },
    goal("created", "active", "u1"),
    { kind: "tool_call_ended", threadId: "t1", turnId: "u1", atMs: 1170, callId: "call_7", name: "create_goal", success: true },
    ...sampling("t1", "u1", 1200, 1300, "resp_8", []),
    item("item/started", "t1", "u1", search, 1250),
    item("item/completed", "t1", "u1", search, 1250),
    goal("usage_accounted", "active", "u1"),
    turn("completed", "t1", "u1", 1320),
    // a model error (HTTP 400)
    ...started("t1", "u2", 2000, 3),
    ...sampling("t1", "u2", 2010, 2100, null, [], false),
    { kind: "turn_failed", threadId: "t1", turnId: "u2", codexErrorInfo: "other", httpStatus: 400 },
    turn("failed", "t1", "u2", 2110),
    // interrupted while the reply streams
    ...started("t1", "u3", 3000, 4),
    { kind: "sampling_started", threadId: "t1", turnId: "u3", atMs: 3010, attempt: 0 },
    { kind: "client_request", connectionId: 1, requestId: 5, request: { method: "turn/interrupt", params: { threadId: "t1", turnId: "u3" } }, atMs: 3200 },
    { kind: "sampling_ended", threadId: "t1", turnId: "u3", atMs: 3210, ok: false, responseId: null, callIds: [] },
    turn("interrupted", "t1", "u3", 3220),
    // an escalated command, declined
    ...started("t1", "u4", 5000, 6),
    ...sampling("t1", "u4", 5001, 5002, "resp_10", ["call_9"]),
    item("item/started", "t1", "u4", declined, 5003),
    { kind: "server_request", connectionId: 1, request: approval, replayed: false, atMs: 5004 },
    { kind: "server_response", connectionId: 1, response: decline.response, completedAtMs: 5010 },
    item("item/completed", "t1", "u4", declined, 5011),
    ...sampling("t1", "u4", 5020, 5030, "resp_11", []),
    goal("status_changed", "complete", "u4"),
    turn("completed", "t1", "u4", 5040),
    threadAnswer("thread/fork", "t2", "t1"),
    { kind: "thread_lifecycle", threadId: "t1", action: "archived", atMs: 6000 },
    { kind: "thread_lifecycle", threadId: "t1", action: "unarchived", atMs: 6001 },
  ];
  for (const f of facts) r.ingest(f, out);
  return out;
}

test("every event type Codex 0.169.0 sent, with its field names, JSON types and non-null fields", () => {
  const out = session();
  assert.deepEqual(out.warnings, []);
  assert.deepEqual(Object.keys(countByType(out.events)), Object.keys(countByType(CODEX_EVENTS)));
  // one scenario against another: counts and enum sets differ by construction
  const all = new Set(CODEX_EVENTS.map((e) => e.event_type));
  assert.deepEqual(compareAnalytics(CODEX_EVENTS, out.events, { countsMayDiffer: all, enums: false }), []);
});

test("Codex's spellings: sources, sandboxes, tool event types, response ids, error kinds, accepted lines", () => {
  const out = session();
  const of = (t: string) => out.events.filter((e) => e.event_type === t).map((e) => e.event_params);
  const [cmd, rejected] = of("codex_command_execution_event");
  assert.deepEqual(
    [cmd.command_execution_source, cmd.sandbox_backend, cmd.tool_name, cmd.tool_event_type, cmd.model_slug, cmd.originating_response_id, cmd.subsequent_response_id],
    ["unifiedExecStartup", "seccomp", "unified_exec", "model_tool_call", "mock-model", "resp_3", "resp_8"],
  );
  assert.deepEqual([rejected.command_execution_source, rejected.sandbox_backend, rejected.tool_name, rejected.terminal_status, rejected.final_approval_outcome], ["agent", null, "shell", "rejected", "user_denied"]);
  const [search] = of("codex_web_search_event");
  assert.deepEqual([search.tool_event_type, search.originating_response_id, search.subsequent_response_id], [null, null, null]);
  const [control] = of("codex_control_tool_call_event");
  assert.deepEqual(
    [control.tool_name, control.success, control.terminal_status, control.duration_ms, control.execution_duration_ms, control.originating_response_id, control.subsequent_response_id],
    ["create_goal", true, "completed", 10, 10, "resp_3", "resp_8"],
  );
  assert.equal("turn_trigger" in control, false, "a client's turn: the key is left out");
  const turns = of("codex_turn_event");
  assert.deepEqual(
    turns.map((t) => [t.status, t.codex_error_kind, t.turn_error, t.total_tool_call_count, t.input_tokens, t.sampling_request_count, t.collaboration_mode, t.reasoning_summary, t.critical_path_status, t.thread_source]),
    [
      ["completed", null, null, 4, 0, 2, "default", "auto", "disabled", null],
      ["failed", "invalid_request", "other", 0, 0, 1, "default", "auto", "disabled", null],
      ["interrupted", null, null, 0, null, 1, "default", "auto", "disabled", null],
      ["completed", null, null, 1, 0, 2, "default", "auto", "disabled", null],
    ],
  );
  // the first turn's profile: 10 ms before the first request, 190 ms in requests, 100 ms between them (tool calls ran 10 of it)
  assert.deepEqual(
    [turns[0].before_first_sampling_ms, turns[0].sampling_ms, turns[0].tool_blocking_ms, turns[0].between_sampling_overhead_ms, turns[0].after_last_sampling_ms],
    [10, 190, 10, 90, 20],
  );
  assert.deepEqual(of("codex_accepted_line_fingerprints"), [
    {
      event_type: "codex.accepted_line_fingerprints",
      turn_id: "u1",
      thread_id: "t1",
      product_surface: "codex",
      model_slug: "mock-model",
      completed_at: 1796226070,
      repo_hash: null,
      accepted_added_lines: 1,
      accepted_deleted_lines: 0,
      line_fingerprints: [],
    },
  ]);
  const order = out.events.map((e) => e.event_type);
  assert.ok(order.indexOf("codex_accepted_line_fingerprints") === order.indexOf("codex_turn_event") + 1, "right after its turn's event");
  assert.deepEqual(of("codex_thread_initialized").map((p) => [p.initialization_mode, p.is_worktree, p.thread_source]), [["new", null, null], ["forked", null, null]]);
  assert.deepEqual(of("codex_thread_archive_event").map((p) => [p.action, "thread_source" in p]), [["archived", false], ["unarchived", false]]);
});
