// The analytics reducer (src/analytics/reducer.ts), fed typed facts: every event's exact shape,
// subagent inheritance, missing state (the event is dropped with a precise warning), the typed
// reconstruction of server responses from the stored request, goal facts from notifications.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnalyticsReducer, type ReduceOutput } from "../src/analytics/reducer.js";
import type { AnalyticsFact, RuntimeMetadata } from "../src/analytics/facts.js";
import { factFromNotification } from "../src/analytics/facts.js";
import { decodeClientResponse, decodeServerRequest, serverResponseFromResult, type ServerRequest, type ServerResponse } from "../src/analytics/protocol.js";
import { GoalFactDeriver } from "../src/analytics/goals.js";

const RUNTIME: RuntimeMetadata = { codex_rs_version: "0.99.0", runtime_os: "linux", runtime_os_version: "24.04", runtime_arch: "x86_64" };
const CLIENT = { product_client_id: "codex-tui", client_name: "codex-tui", client_version: "1.0.0", rpc_transport: "websocket", experimental_api_enabled: false };

/** The typed response the stored request decodes `result` into. */
function answer(req: ServerRequest, result: unknown): ServerResponse {
  const d = serverResponseFromResult(req, result);
  assert.ok(d.ok, d.ok ? "" : d.reason);
  return d.response;
}

function run(r: AnalyticsReducer, ...facts: AnalyticsFact[]): ReduceOutput {
  const out: ReduceOutput = { events: [], warnings: [] };
  for (const f of facts) r.ingest(f, out);
  return out;
}

const init = (connectionId = 7): AnalyticsFact => ({
  kind: "initialize",
  connectionId,
  clientName: "codex-tui",
  clientVersion: "1.0.0",
  experimentalApi: false,
  productClientId: "codex-tui",
  transport: "websocket",
  runtime: RUNTIME,
});

function threadResult(id: string, over: Record<string, unknown> = {}) {
  return {
    thread: { id, sessionId: `session-${id}`, source: "exec", threadSource: null, parentThreadId: null, forkedFromId: null, ephemeral: false, createdAt: 1, model: "gpt-5", modelProvider: "openai", originator: null, ...over },
    model: "gpt-5",
    modelProvider: "openai",
    serviceTier: null,
    approvalPolicy: "on-request",
    approvalsReviewer: "user",
    sandbox: { type: "workspaceWrite", writableRoots: [], networkAccess: false },
    reasoningEffort: "medium",
  };
}

function threadResponse(method: "thread/start" | "thread/resume" | "thread/fork", id: string, over: Record<string, unknown> = {}, connectionId = 7, requestId: number = 1): AnalyticsFact {
  const response = decodeClientResponse(method, threadResult(id, over));
  assert.ok(response);
  return { kind: "client_response", connectionId, requestId, response, atMs: 1 };
}

const turnStarted = (threadId: string, turnId: string, startedAt = 455): AnalyticsFact => ({ kind: "turn_started", threadId, turnId, rootTurnId: turnId, startedAt });
const turnCompleted = (threadId: string, turnId: string, over: Partial<Extract<AnalyticsFact, { kind: "turn_completed" }>> = {}): AnalyticsFact => ({
  kind: "turn_completed",
  threadId,
  turnId,
  rootTurnId: turnId,
  status: "completed",
  codexErrorInfo: null,
  startedAt: 455,
  completedAt: 456,
  durationMs: 1234,
  ...over,
});

function itemFacts(threadId: string, turnId: string, raw: Record<string, unknown>, startedAtMs: number, completedAtMs: number): AnalyticsFact[] {
  const started = factFromNotification("item/started", { threadId, turnId, item: { ...raw, status: "inProgress" }, startedAtMs }, 0);
  const completed = factFromNotification("item/completed", { threadId, turnId, item: raw, completedAtMs }, 0);
  assert.ok(started && completed);
  return [started, completed];
}

const commandItem = {
  type: "commandExecution",
  id: "item-1",
  pluginId: null,
  scriptPath: null,
  command: "/bin/bash -lc 'cat a; ls; rg x; make'",
  cwd: "/w",
  processId: null,
  source: "agent",
  status: "completed",
  commandActions: [
    { type: "read", command: "cat a", name: "a", path: "a" },
    { type: "listFiles", command: "ls" },
    { type: "search", command: "rg x", query: "x" },
    { type: "unknown", command: "make" },
  ],
  aggregatedOutput: "secret output",
  exitCode: 0,
  durationMs: 42,
};

const LINEAGE = {
  session_id: "session-thread-1",
  app_server_client: CLIENT,
  runtime: RUNTIME,
  thread_source: null,
  subagent_source: null,
  parent_thread_id: null,
};

const TOOL_BASE = {
  thread_id: "thread-1",
  turn_id: "turn-1",
  root_turn_id: "turn-1",
  cell_id: null,
  parent_call_id: null,
  originating_response_id: null,
  subsequent_response_id: null,
  ...LINEAGE,
  review_count: 0,
  guardian_review_count: 0,
  user_review_count: 0,
  final_approval_outcome: "unknown",
  requested_additional_permissions: false,
  requested_network_access: false,
};

test("codex_thread_initialized needs an initialized connection, then has the exact shape", () => {
  const r = new AnalyticsReducer();
  const before = run(r, threadResponse("thread/start", "thread-no-client"));
  assert.deepEqual(before, { events: [], warnings: [] }, "an uninitialized connection registers nothing, silently");
  assert.equal(r.thread("thread-no-client"), undefined);
  assert.deepEqual(run(r, init()), { events: [], warnings: [] });
  const out = run(r, threadResponse("thread/resume", "thread-1", { ephemeral: true }));
  assert.deepEqual(out.warnings, []);
  assert.deepEqual(out.events, [
    {
      event_type: "codex_thread_initialized",
      event_params: {
        thread_id: "thread-1",
        session_id: "session-thread-1",
        app_server_client: CLIENT,
        runtime: RUNTIME,
        model: "gpt-5",
        ephemeral: true,
        is_worktree: null,
        thread_source: null,
        initialization_mode: "resumed",
        subagent_source: null,
        parent_thread_id: null,
        forked_from_thread_id: null,
        created_at: 1,
      },
    },
  ]);
});

test("thread_source: the thread's own label wins (feature labels included), else a subagent's, else null (Codex 0.169: null for a client's thread)", () => {
  const r = new AnalyticsReducer();
  const out = run(
    r,
    init(),
    threadResponse("thread/start", "a", { threadSource: "automation" }),
    threadResponse("thread/start", "b", { source: { subAgent: "memory_consolidation" } }),
    threadResponse("thread/fork", "c", { source: "vscode", forkedFromId: "a" }),
    threadResponse("thread/start", "d", { source: { subAgent: { thread_spawn: { parent_thread_id: "a", depth: 1 } } } }),
    threadResponse("thread/start", "e", { source: "mcp" }),
  );
  const p = out.events.map((e) => e.event_params);
  assert.deepEqual(
    p.map((x) => [x.thread_id, x.thread_source, x.initialization_mode, x.subagent_source, x.parent_thread_id, x.forked_from_thread_id]),
    [
      ["a", "automation", "new", null, null, null],
      ["b", "memory_consolidation", "new", "memory_consolidation", null, null],
      ["c", null, "forked", null, null, "a"],
      ["d", "subagent", "new", "thread_spawn", "a", null],
      ["e", null, "new", null, null, null],
    ],
  );
});

test("the thread originator replaces the connection's product_client_id for that thread only", () => {
  const r = new AnalyticsReducer();
  const start = threadResponse("thread/start", "t1");
  const out = run(r, init(), { ...(start as Extract<AnalyticsFact, { kind: "client_response" }>), threadOriginator: "codex_vscode" }, threadResponse("thread/start", "t2"));
  assert.equal((out.events[0].event_params.app_server_client as typeof CLIENT).product_client_id, "codex_vscode");
  assert.equal((out.events[1].event_params.app_server_client as typeof CLIENT).product_client_id, "codex-tui");
});

test("codex_command_execution_event: exact shape, duration from the observed lifecycle, execution time from the tool, nothing at item/started", () => {
  const r = new AnalyticsReducer();
  run(r, init(), threadResponse("thread/start", "thread-1"), turnStarted("thread-1", "turn-1"));
  const [started, completed] = itemFacts("thread-1", "turn-1", commandItem, 1000, 1045);
  assert.deepEqual(run(r, started), { events: [], warnings: [] });
  const out = run(r, completed);
  assert.deepEqual(out.warnings, []);
  assert.deepEqual(out.events, [
    {
      event_type: "codex_command_execution_event",
      event_params: {
        // the sandbox from the thread's workspace-write policy on Linux; the turn's model and effort
        sandbox_backend: "seccomp",
        model_slug: "gpt-5",
        reasoning_effort: "medium",
        ...TOOL_BASE,
        item_id: "item-1",
        tool_name: "shell",
        tool_event_type: "model_tool_call",
        started_at_ms: 1000,
        completed_at_ms: 1045,
        duration_ms: 45,
        execution_duration_ms: 42,
        terminal_status: "completed",
        failure_kind: null,
        plugin_id: null,
        script_path: null,
        command_execution_source: "agent",
        exit_code: 0,
        command_total_action_count: 4,
        command_read_action_count: 1,
        command_list_files_action_count: 1,
        command_search_action_count: 1,
        command_unknown_action_count: 1,
      },
    },
  ]);
  assert.ok(!JSON.stringify(out.events).includes("secret output"), "no tool output in events");
});

test("tool events for file change, MCP, dynamic tool, collab, web search and image generation", () => {
  const r = new AnalyticsReducer();
  run(r, init(), threadResponse("thread/start", "thread-1"), turnStarted("thread-1", "turn-1"));
  const items: Array<[Record<string, unknown>, number, number]> = [
    [{ type: "fileChange", id: "fc", status: "completed", changes: [{ path: "a", kind: { type: "add" } }, { path: "b", kind: { type: "update", movePath: null } }, { path: "c", kind: { type: "update", movePath: "d" } }, { path: "e", kind: { type: "delete" } }] }, 10, 30],
    [{ type: "mcpToolCall", id: "mcp", server: "docs", tool: "search", status: "failed", arguments: {}, result: null, error: { message: "x" }, durationMs: 7 }, 100, 110],
    [{ type: "dynamicToolCall", id: "dyn", namespace: null, tool: "lookup", arguments: {}, status: "completed", contentItems: [{ type: "inputText", text: "t" }, { type: "inputImage", imageUrl: "u" }], success: true, durationMs: 3 }, 200, 205],
    [{ type: "collabAgentToolCall", id: "col", tool: "wait", status: "completed", senderThreadId: "thread-1", receiverThreadIds: ["s1", "s2"], prompt: null, model: "gpt-5", reasoningEffort: "low", agentsStates: { s1: { status: "completed", message: null }, s2: { status: "errored", message: "x" } } }, 300, 350],
    [{ type: "webSearch", id: "ws", query: "codex threads", action: { type: "search", query: "codex threads", queries: null } }, 400, 400],
    [{ type: "imageGeneration", id: "img", status: "completed", revisedPrompt: "a cat", result: "b64", savedPath: "/tmp/cat.png" }, 500, 590],
  ];
  const out = run(r, ...items.flatMap(([raw, s, c]) => itemFacts("thread-1", "turn-1", raw, s, c)));
  assert.deepEqual(out.warnings, []);
  const byType = Object.fromEntries(out.events.map((e) => [e.event_type, e.event_params]));
  const pick = (p: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, p[k]]));
  const common = ["tool_name", "started_at_ms", "completed_at_ms", "duration_ms", "execution_duration_ms", "terminal_status", "failure_kind"];
  assert.deepEqual(pick(byType.codex_file_change_event, [...common, "file_change_count", "file_add_count", "file_update_count", "file_delete_count", "file_move_count"]), {
    tool_name: "apply_patch", started_at_ms: 10, completed_at_ms: 30, duration_ms: 20, execution_duration_ms: null, terminal_status: "completed", failure_kind: null,
    file_change_count: 4, file_add_count: 1, file_update_count: 1, file_delete_count: 1, file_move_count: 1,
  });
  assert.deepEqual(pick(byType.codex_mcp_tool_call_event, [...common, "mcp_server_name", "mcp_tool_name", "mcp_error_present", "plugin_id", "connector_id"]), {
    tool_name: "search", started_at_ms: 100, completed_at_ms: 110, duration_ms: 10, execution_duration_ms: 7, terminal_status: "failed", failure_kind: "tool_error",
    mcp_server_name: "docs", mcp_tool_name: "search", mcp_error_present: true, plugin_id: null, connector_id: null,
  });
  assert.deepEqual(pick(byType.codex_dynamic_tool_call_event, [...common, "dynamic_tool_name", "success", "output_content_item_count", "output_text_item_count", "output_image_item_count", "output_audio_item_count"]), {
    tool_name: "lookup", started_at_ms: 200, completed_at_ms: 205, duration_ms: 5, execution_duration_ms: 3, terminal_status: "completed", failure_kind: null,
    dynamic_tool_name: "lookup", success: true, output_content_item_count: 2, output_text_item_count: 1, output_image_item_count: 1, output_audio_item_count: 0,
  });
  assert.deepEqual(pick(byType.codex_collab_agent_tool_call_event, [...common, "sender_thread_id", "receiver_thread_count", "receiver_thread_ids", "requested_model", "requested_reasoning_effort", "agent_state_count", "completed_agent_count", "failed_agent_count"]), {
    tool_name: "wait_agent", started_at_ms: 300, completed_at_ms: 350, duration_ms: 50, execution_duration_ms: 50, terminal_status: "completed", failure_kind: null,
    sender_thread_id: "thread-1", receiver_thread_count: 2, receiver_thread_ids: ["s1", "s2"], requested_model: "gpt-5", requested_reasoning_effort: "low", agent_state_count: 2, completed_agent_count: 1, failed_agent_count: 1,
  });
  assert.deepEqual(pick(byType.codex_web_search_event, [...common, "web_search_action", "query_present", "query_count"]), {
    tool_name: "web_search", started_at_ms: 400, completed_at_ms: 400, duration_ms: 0, execution_duration_ms: null, terminal_status: "completed", failure_kind: null,
    web_search_action: "search", query_present: true, query_count: 1,
  });
  assert.deepEqual(pick(byType.codex_image_generation_event, [...common, "revised_prompt_present", "saved_path_present", "transparent_background", "imagegen_request_id"]), {
    tool_name: "image_generation", started_at_ms: 500, completed_at_ms: 590, duration_ms: 90, execution_duration_ms: null, terminal_status: "completed", failure_kind: null,
    revised_prompt_present: true, saved_path_present: true, transparent_background: null, imagegen_request_id: null,
  });
  for (const p of Object.values(byType)) assert.deepEqual(pick(p, Object.keys(TOOL_BASE)), TOOL_BASE);
  // The turn counts every kind.
  const turn = run(r, turnCompleted("thread-1", "turn-1")).events[0].event_params;
  assert.deepEqual(pick(turn, ["total_tool_call_count", "shell_command_count", "file_change_count", "mcp_tool_call_count", "dynamic_tool_call_count", "subagent_tool_call_count", "web_search_count", "image_generation_count"]), {
    total_tool_call_count: 6, shell_command_count: 0, file_change_count: 1, mcp_tool_call_count: 1, dynamic_tool_call_count: 1, subagent_tool_call_count: 1, web_search_count: 1, image_generation_count: 1,
  });
});

test("codex_turn_event: exact shape (settings from the thread, usage from tokenUsage updates, steer, interrupt)", () => {
  const r = new AnalyticsReducer();
  const usage = (turnId: string, total: number[], last: number[]) =>
    factFromNotification(
      "thread/tokenUsage/updated",
      {
        threadId: "thread-1",
        turnId,
        tokenUsage: {
          total: { inputTokens: total[0], cachedInputTokens: total[1], cacheWriteInputTokens: 0, outputTokens: total[2], reasoningOutputTokens: total[3], totalTokens: total[0] + total[2] },
          last: { inputTokens: last[0], cachedInputTokens: last[1], cacheWriteInputTokens: 0, outputTokens: last[2], reasoningOutputTokens: last[3], totalTokens: last[0] + last[2] },
        },
      },
      0,
    )!;
  const out = run(
    r,
    init(),
    threadResponse("thread/resume", "thread-1"),
    usage("old-turn", [1000, 100, 50, 5], [10, 0, 5, 0]), // the resume snapshot: only moves the baseline
    { kind: "client_request", connectionId: 7, requestId: 5, request: { method: "turn/start", params: { threadId: "thread-1", input: [{ type: "text" }, { type: "image" }] } }, atMs: 400_000 },
    { kind: "client_response", connectionId: 7, requestId: 5, response: { method: "turn/start", result: { turn: { id: "turn-1" } } }, atMs: 400_001 },
    turnStarted("thread-1", "turn-1"),
    usage("turn-1", [1100, 150, 60, 7], [100, 50, 10, 2]),
    { kind: "client_request", connectionId: 7, requestId: 6, request: { method: "turn/steer", params: { threadId: "thread-1", expectedTurnId: "turn-1", input: [{ type: "text" }] } }, atMs: 455_500 },
    { kind: "client_response", connectionId: 7, requestId: 6, response: { method: "turn/steer", result: { turnId: "turn-1" } }, atMs: 455_501 },
    usage("turn-1", [1300, 200, 90, 9], [200, 50, 30, 2]),
    { kind: "client_request", connectionId: 7, requestId: 7, request: { method: "turn/interrupt", params: { threadId: "thread-1", turnId: "turn-1" } }, atMs: 455_900 },
    turnCompleted("thread-1", "turn-1", { status: "interrupted" }),
    { kind: "client_response", connectionId: 7, requestId: 7, response: { method: "turn/interrupt", result: {} }, atMs: 456_000 },
  );
  assert.deepEqual(out.warnings, []);
  assert.deepEqual(out.events.map((e) => e.event_type), ["codex_thread_initialized", "codex_turn_steer_event", "codex_turn_event"]);
  assert.deepEqual(out.events[1].event_params, {
    thread_id: "thread-1",
    session_id: "session-thread-1",
    expected_turn_id: "turn-1",
    accepted_turn_id: "turn-1",
    app_server_client: CLIENT,
    runtime: RUNTIME,
    thread_source: null,
    subagent_source: null,
    parent_thread_id: null,
    num_input_images: 0,
    result: "accepted",
    rejection_reason: null,
    created_at: 455,
  });
  assert.deepEqual(out.events[2].event_params, {
    critical_path_status: "disabled",
    critical_path_duration_ms: null,
    critical_path_inference_ms: null,
    critical_path_sampling_ms: null,
    critical_path_compaction_ms: null,
    critical_path_auto_review_ms: null,
    critical_path_auto_review_overhead_ms: null,
    critical_path_user_wait_ms: null,
    critical_path_tools_ms: null,
    critical_path_overhead_ms: null,
    critical_path_unknown_ms: null,
    thread_id: "thread-1",
    session_id: "session-thread-1",
    turn_id: "turn-1",
    active_plugin_ids_at_turn_start: [],
    voice_session_id: null,
    root_turn_id: "turn-1",
    turn_trigger: null,
    codex_turn_source: null,
    submission_type: null,
    app_server_client: CLIENT,
    runtime: RUNTIME,
    ephemeral: false,
    thread_source: null,
    initialization_mode: "resumed",
    subagent_source: null,
    parent_thread_id: null,
    model: "gpt-5",
    model_provider: "openai",
    sandbox_policy: "workspace_write",
    reasoning_effort: "medium",
    reasoning_summary: "auto",
    service_tier: "default",
    approval_policy: "on-request",
    approvals_reviewer: "user",
    guardian_v2_enabled: false,
    multi_agent_version: "v1",
    sandbox_network_access: false,
    collaboration_mode: "default",
    personality: null,
    workspace_kind: null,
    num_input_images: 1,
    image_preparations: [],
    is_first_turn: false,
    status: "interrupted",
    explicit_client_interrupt_requested_at_ms: 455_900,
    turn_error: null,
    codex_error_kind: null,
    codex_error_http_status_code: null,
    usage_limit_window_minutes: null,
    steer_count: 1,
    total_tool_call_count: 0,
    shell_command_count: 0,
    file_change_count: 0,
    mcp_tool_call_count: 0,
    dynamic_tool_call_count: 0,
    subagent_tool_call_count: 0,
    web_search_count: 0,
    image_generation_count: 0,
    input_tokens: 300,
    cached_input_tokens: 100,
    cache_write_input_tokens: 0,
    output_tokens: 40,
    reasoning_output_tokens: 4,
    total_tokens: 340,
    before_first_sampling_ms: null,
    sampling_ms: null,
    compaction_ms: null,
    between_sampling_overhead_ms: null,
    tool_blocking_ms: null,
    after_last_sampling_ms: null,
    sampling_request_count: null,
    sampling_retry_count: null,
    tools_change_count: null,
    duration_ms: 1234,
    started_at: 455,
    completed_at: 456,
  });
});

test("codex_turn_event: resolved config, explicit usage and profile facts win; a failed turn reports its error kind", () => {
  const r = new AnalyticsReducer();
  const out = run(
    r,
    init(),
    threadResponse("thread/start", "thread-1"),
    turnStarted("thread-1", "turn-1"),
    { kind: "turn_resolved_config", threadId: "thread-1", turnId: "turn-1", model: "gpt-5-codex", collaborationMode: "plan", reasoningSummary: "auto", submissionType: "queued" },
    { kind: "turn_token_usage", threadId: "thread-1", turnId: "turn-1", usage: { input_tokens: 5, cached_input_tokens: 1, cache_write_input_tokens: 0, output_tokens: 2, reasoning_output_tokens: 0, total_tokens: 7 } },
    { kind: "turn_profile", threadId: "thread-1", turnId: "turn-1", sampling_ms: 900, sampling_request_count: 2 },
    turnCompleted("thread-1", "turn-1", { status: "failed", codexErrorInfo: { httpConnectionFailed: { httpStatusCode: 502 } } }),
  );
  const p = out.events[1].event_params;
  assert.deepEqual(
    [p.model, p.collaboration_mode, p.reasoning_summary, p.submission_type, p.is_first_turn, p.total_tokens, p.sampling_ms, p.sampling_request_count, p.status, p.turn_error, p.codex_error_kind, p.codex_error_http_status_code],
    ["gpt-5-codex", "plan", "auto", "queued", true, 7, 900, 2, "failed", { httpConnectionFailed: { httpStatusCode: 502 } }, "http_connection_failed", 502],
  );
});

test("server responses are decoded from the stored typed request", () => {
  const cmd = decodeServerRequest(71, "item/commandExecution/requestApproval", { threadId: "t", turnId: "u", itemId: "i", startedAtMs: 1000, command: "ls", networkApprovalContext: null })!;
  const patch = decodeServerRequest(72, "item/fileChange/requestApproval", { threadId: "t", turnId: "u", itemId: "p", startedAtMs: 1 })!;
  const perms = decodeServerRequest(73, "item/permissions/requestApproval", { threadId: "t", turnId: "u", itemId: "q", reason: null, permissions: {} })!;
  const input = decodeServerRequest(74, "item/tool/requestUserInput", { threadId: "t", turnId: "u", itemId: "r", questions: [{ id: "a" }, { id: "b" }] })!;
  assert.equal(decodeServerRequest(75, "account/chatgptAuthTokens/refresh", {}), null);
  assert.deepEqual(cmd, { method: "item/commandExecution/requestApproval", id: 71, params: { threadId: "t", turnId: "u", itemId: "i", startedAtMs: 1000, networkApproval: false, additionalPermissions: false } });
  const ok = (req: ServerRequest, result: unknown) => {
    const d = serverResponseFromResult(req, result);
    assert.ok(d.ok, d.ok ? "" : d.reason);
    return d.response;
  };
  assert.deepEqual(ok(cmd, { decision: "acceptForSession" }), { method: "item/commandExecution/requestApproval", id: 71, result: { decision: "acceptForSession" } });
  assert.deepEqual(ok(cmd, { decision: { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["ls"] } } }).result, { decision: { acceptWithExecpolicyAmendment: true } });
  assert.deepEqual(ok(cmd, { decision: { applyNetworkPolicyAmendment: { network_policy_amendment: { host: "x", action: "deny" } } } }).result, { decision: { applyNetworkPolicyAmendment: { action: "deny" } } });
  assert.deepEqual(ok(patch, { decision: "decline" }), { method: "item/fileChange/requestApproval", id: 72, result: { decision: "decline" } });
  assert.deepEqual(ok(perms, { permissions: { network: { enabled: true } }, scope: "session" }).result, { granted: true, scope: "session" });
  assert.deepEqual(ok(perms, { permissions: {} }).result, { granted: false, scope: "turn" });
  assert.deepEqual(ok(input, { answers: { a: { answers: ["x"] } } }), { method: "item/tool/requestUserInput", id: 74, result: { answerCount: 1 } });
  // The same result means different things for different requests: the stored request decides.
  assert.equal(serverResponseFromResult(patch, { decision: { acceptWithExecpolicyAmendment: {} } }).ok, false);
  assert.equal(serverResponseFromResult(input, { decision: "accept" }).ok, false);
  assert.equal(serverResponseFromResult(cmd, { decision: "maybe" }).ok, false);
});

test("approvals: review events with the responding connection, denormalized onto the tool event; replays, second answers and aborts", () => {
  const r = new AnalyticsReducer();
  const cmd = decodeServerRequest(71, "item/commandExecution/requestApproval", { threadId: "thread-1", turnId: "turn-1", itemId: "item-1", startedAtMs: 1000 })!;
  const other: AnalyticsFact = { ...init(8), clientName: "codex-vscode", productClientId: "codex_vscode" } as AnalyticsFact;
  const setup = run(r, init(), other, threadResponse("thread/start", "thread-1"), turnStarted("thread-1", "turn-1"));
  assert.equal(setup.events.length, 1);
  const [started, completed] = itemFacts("thread-1", "turn-1", commandItem, 1000, 1042);
  const out = run(
    r,
    started,
    { kind: "server_request", connectionId: 7, request: cmd, replayed: false, atMs: 1001 },
    { kind: "server_request", connectionId: 8, request: cmd, replayed: true, atMs: 1020 },
    { kind: "server_response", connectionId: 8, response: answer(cmd, { decision: "acceptForSession" }), completedAtMs: 1042 },
    { kind: "server_response", connectionId: 7, response: answer(cmd, { decision: "decline" }), completedAtMs: 1043 },
    completed,
  );
  assert.deepEqual(out.warnings, []);
  assert.deepEqual(out.events.map((e) => e.event_type), ["codex_review_event", "codex_command_execution_event"]);
  assert.deepEqual(out.events[0].event_params, {
    thread_id: "thread-1",
    turn_id: "turn-1",
    item_id: "item-1",
    review_id: "user:71",
    app_server_client: { ...CLIENT, product_client_id: "codex_vscode", client_name: "codex-vscode" },
    runtime: RUNTIME,
    thread_source: null,
    subagent_source: null,
    parent_thread_id: null,
    subject_kind: "command_execution",
    subject_name: "command_execution",
    reviewer: "user",
    trigger: "initial",
    status: "approved",
    resolution: "session_approval",
    started_at_ms: 1000,
    completed_at_ms: 1042,
    duration_ms: 42,
  });
  const tool = out.events[1].event_params;
  assert.deepEqual([tool.review_count, tool.user_review_count, tool.guardian_review_count, tool.final_approval_outcome], [1, 1, 0, "user_approved_for_session"]);
  assert.equal((tool.app_server_client as typeof CLIENT).client_name, "codex-tui", "the tool event keeps the thread's own connection");

  // The same item id completing in another thread does not pick the review up.
  const r2 = new AnalyticsReducer();
  run(r2, init(), threadResponse("thread/start", "thread-1"), threadResponse("thread/start", "thread-2"));
  const [s2, c2] = itemFacts("thread-2", "turn-1", commandItem, 1000, 1042);
  const out2 = run(
    r2,
    { kind: "server_request", connectionId: 7, request: cmd, replayed: false, atMs: 1001 },
    { kind: "server_response", connectionId: 7, response: answer(cmd, { decision: "accept" }), completedAtMs: 1042 },
    s2,
    c2,
  );
  assert.deepEqual([out2.events[1].event_params.review_count, out2.events[1].event_params.final_approval_outcome], [0, "unknown"]);

  // Abort: status aborted, resolution none; a later answer emits nothing.
  const r3 = new AnalyticsReducer();
  run(r3, init(), threadResponse("thread/start", "thread-1"));
  const out3 = run(
    r3,
    { kind: "server_request", connectionId: 7, request: cmd, replayed: false, atMs: 1001 },
    { kind: "server_request_aborted", requestId: 71, completedAtMs: 1500 },
    { kind: "server_response", connectionId: 7, response: answer(cmd, { decision: "accept" }), completedAtMs: 1600 },
  );
  assert.deepEqual(out3.events.map((e) => [e.event_params.status, e.event_params.resolution, e.event_params.duration_ms]), [["aborted", "none", 500]]);
});

test("a declined command is rejected with approval_denied and the user_denied outcome", () => {
  const r = new AnalyticsReducer();
  const cmd = decodeServerRequest(1, "item/commandExecution/requestApproval", { threadId: "thread-1", turnId: "turn-1", itemId: "item-1", startedAtMs: 1000 })!;
  run(r, init(), threadResponse("thread/start", "thread-1"), turnStarted("thread-1", "turn-1"));
  const [started, completed] = itemFacts("thread-1", "turn-1", { ...commandItem, status: "declined", exitCode: null, durationMs: null }, 1000, 1001);
  const out = run(r, started, { kind: "server_request", connectionId: 7, request: cmd, replayed: false, atMs: 1000 }, { kind: "server_response", connectionId: 7, response: answer(cmd, { decision: "decline" }), completedAtMs: 1001 }, completed);
  const p = out.events[1].event_params;
  assert.deepEqual([p.terminal_status, p.failure_kind, p.final_approval_outcome, p.execution_duration_ms, p.duration_ms], ["rejected", "approval_denied", "user_denied", null, 1]);
  assert.deepEqual([out.events[0].event_params.status, out.events[0].event_params.resolution], ["denied", "none"]);
});

test("subagent threads: own initialized event without initialize, then the parent connection's client on their tool events", () => {
  const r = new AnalyticsReducer();
  const sub: AnalyticsFact = {
    kind: "subagent_thread_started",
    threadId: "thread-subagent",
    sessionId: "session-thread-1",
    parentThreadId: "thread-1",
    forkedFromThreadId: null,
    productClientId: "codex-tui",
    clientName: "codex-tui",
    clientVersion: "1.0.0",
    model: "gpt-5",
    ephemeral: true,
    threadSource: null,
    subagentSource: "review",
    createdAt: 9,
    runtime: RUNTIME,
  };
  const first = run(r, sub);
  assert.deepEqual(first.warnings, []);
  assert.deepEqual(first.events, [
    {
      event_type: "codex_thread_initialized",
      event_params: {
        thread_id: "thread-subagent",
        session_id: "session-thread-1",
        app_server_client: { product_client_id: "codex-tui", client_name: "codex-tui", client_version: "1.0.0", rpc_transport: "in_process", experimental_api_enabled: null },
        runtime: RUNTIME,
        model: "gpt-5",
        ephemeral: true,
        is_worktree: null,
        thread_source: "subagent",
        initialization_mode: "new",
        subagent_source: "review",
        parent_thread_id: "thread-1",
        forked_from_thread_id: null,
        created_at: 9,
      },
    },
  ]);
  // Before the parent has a connection, the child's tool events cannot resolve one.
  const [s0, c0] = itemFacts("thread-subagent", "turn-s", { ...commandItem, id: "early" }, 10, 20);
  const early = run(r, s0, c0);
  assert.deepEqual(early.events, []);
  assert.equal(early.warnings[0].missing, "thread_connection");
  // The parent starts later: resolution is lazy, so the child now inherits its connection.
  run(r, init(), threadResponse("thread/start", "thread-1"));
  const [s, c] = itemFacts("thread-subagent", "turn-s", commandItem, 1000, 1045);
  const out = run(r, s, c);
  assert.deepEqual(out.warnings, []);
  const p = out.events[0].event_params;
  assert.deepEqual(
    { session_id: p.session_id, thread_source: p.thread_source, subagent_source: p.subagent_source, parent_thread_id: p.parent_thread_id, app_server_client: p.app_server_client, runtime: p.runtime },
    { session_id: "session-thread-1", thread_source: "subagent", subagent_source: "review", parent_thread_id: "thread-1", app_server_client: CLIENT, runtime: RUNTIME },
  );
  // Grandchildren walk the chain; a subagent of memory consolidation reports that source.
  const grand = run(
    r,
    { ...sub, threadId: "grandchild", parentThreadId: "thread-subagent", subagentSource: "memory_consolidation", clientName: null, clientVersion: null } as AnalyticsFact,
    { kind: "goal", threadId: "grandchild", turnId: null, goalId: "g", eventKind: "created", goalStatus: "active", hasTokenBudget: false },
  );
  assert.deepEqual(grand.events.map((e) => e.event_type), ["codex_goal_event"], "no initialized event without client name and version");
  assert.deepEqual([grand.events[0].event_params.thread_source, grand.events[0].event_params.parent_thread_id, (grand.events[0].event_params.app_server_client as typeof CLIENT).client_name], ["memory_consolidation", "thread-subagent", "codex-tui"]);
});

test("missing state drops the event with a precise warning", () => {
  const r = new AnalyticsReducer();
  // No connection for the thread at all.
  const [s, c] = itemFacts("ghost", "turn-1", commandItem, 1, 2);
  const a = run(r, s, c);
  assert.deepEqual(a.events, []);
  assert.deepEqual(a.warnings, [
    {
      event: "codex_command_execution_event",
      missing: "thread_connection",
      message:
        "dropping codex_command_execution_event: no connection for thread ghost (no thread/start, thread/resume or thread/fork answer on an initialized connection, and no subagent ancestor with one)",
      thread_id: "ghost",
      turn_id: "turn-1",
      item_id: "item-1",
    },
  ]);
  // A turn started on an initialized connection, in a thread whose start was never observed.
  const b = run(
    r,
    init(),
    { kind: "client_request", connectionId: 7, requestId: 1, request: { method: "turn/start", params: { threadId: "cold", input: [] } }, atMs: 1 },
    { kind: "client_response", connectionId: 7, requestId: 1, response: { method: "turn/start", result: { turn: { id: "turn-c" } } }, atMs: 2 },
    turnStarted("cold", "turn-c"),
    turnCompleted("cold", "turn-c"),
  );
  assert.deepEqual(b.events, []);
  assert.deepEqual(b.warnings, [
    {
      event: "codex_turn_event",
      missing: "thread_metadata",
      message: "dropping codex_turn_event: no metadata for thread cold (its start, resume or fork was not observed)",
      thread_id: "cold",
      turn_id: "turn-c",
      connection_id: 7,
    },
  ]);
  // An item completing without an observed start has no lifecycle to time.
  run(r, threadResponse("thread/start", "thread-1"));
  const [, c2] = itemFacts("thread-1", "turn-1", { ...commandItem, id: "no-start" }, 1, 2);
  const d = run(r, c2);
  assert.deepEqual(d.events, []);
  assert.deepEqual(d.warnings.map((w) => [w.event, w.missing, w.item_id]), [["codex_command_execution_event", "item_started", "no-start"]]);
  // Goals need context too.
  const g = run(r, { kind: "goal", threadId: "nowhere", turnId: "u1", goalId: "g1", eventKind: "created", goalStatus: "active", hasTokenBudget: false });
  assert.deepEqual(g.events, []);
  assert.deepEqual(g.warnings.map((w) => [w.event, w.missing, w.thread_id, w.turn_id]), [["codex_goal_event", "thread_connection", "nowhere", "u1"]]);
  // An in-progress completion is not an event and not a warning.
  const [, inProgress] = itemFacts("thread-1", "turn-1", { ...commandItem, id: "x", status: "inProgress" }, 1, 2);
  assert.deepEqual(run(r, inProgress), { events: [], warnings: [] });
});

test("codex_goal_event: created, usage_accounted then status_changed, cleared", () => {
  const r = new AnalyticsReducer();
  run(r, init(), threadResponse("thread/start", "T"));
  const base = { threadId: "T", goalId: "goal-1", hasTokenBudget: true };
  const out = run(
    r,
    { kind: "goal", ...base, turnId: "u1", eventKind: "created", goalStatus: "active", hasTokenBudget: false },
    { kind: "goal", ...base, turnId: "u2", eventKind: "usage_accounted", goalStatus: "budget_limited", cumulativeTokensAccounted: 20, cumulativeTimeAccountedSeconds: 10 },
    { kind: "goal", ...base, turnId: "u2", eventKind: "status_changed", goalStatus: "budget_limited", cumulativeTokensAccounted: 20, cumulativeTimeAccountedSeconds: 10 },
    { kind: "goal", ...base, turnId: "u3", eventKind: "cleared", goalStatus: "budget_limited" },
  );
  assert.deepEqual(out.warnings, []);
  const lin = { session_id: "session-T", app_server_client: CLIENT, runtime: RUNTIME, thread_source: null, subagent_source: null, parent_thread_id: null };
  assert.deepEqual(
    out.events.map((e) => e.event_params),
    [
      { thread_id: "T", turn_id: "u1", ...lin, goal_id: "goal-1", event_kind: "created", goal_status: "active", has_token_budget: false, cumulative_tokens_accounted: null, cumulative_time_accounted_seconds: null },
      { thread_id: "T", turn_id: "u2", ...lin, goal_id: "goal-1", event_kind: "usage_accounted", goal_status: "budget_limited", has_token_budget: true, cumulative_tokens_accounted: 20, cumulative_time_accounted_seconds: 10 },
      { thread_id: "T", turn_id: "u2", ...lin, goal_id: "goal-1", event_kind: "status_changed", goal_status: "budget_limited", has_token_budget: true, cumulative_tokens_accounted: null, cumulative_time_accounted_seconds: null },
      { thread_id: "T", turn_id: null, ...lin, goal_id: "goal-1", event_kind: "cleared", goal_status: "budget_limited", has_token_budget: true, cumulative_tokens_accounted: null, cumulative_time_accounted_seconds: null },
    ],
  );
  assert.ok(out.events.every((e) => e.event_type === "codex_goal_event"));
});

test("goal facts from goal notifications (created, usage_accounted, status_changed, cleared; snapshots only seed)", () => {
  const d = new GoalFactDeriver((threadId) => (threadId === "T" ? "goal-row-1" : null));
  const goal = (o: Record<string, unknown>) => ({ threadId: "T", objective: "ship", status: "active", tokenBudget: 50, tokensUsed: 0, timeUsedSeconds: 0, createdAt: 100, updatedAt: 100, ...o });
  const k = (fs: ReturnType<GoalFactDeriver["observe"]>) => fs.map((f) => [f.eventKind, f.goalStatus, f.goalId, f.turnId, f.cumulativeTokensAccounted ?? null]);
  assert.deepEqual(k(d.observe("thread/goal/cleared", { threadId: "T" }, { snapshot: true })), []);
  assert.deepEqual(k(d.observe("thread/goal/updated", { threadId: "T", turnId: "u1", goal: goal({}) })), [["created", "active", "goal-row-1", "u1", null]]);
  assert.deepEqual(k(d.observe("thread/goal/updated", { threadId: "T", turnId: "u1", goal: goal({ tokensUsed: 20 }) })), [["usage_accounted", "active", "goal-row-1", "u1", 20]]);
  assert.deepEqual(k(d.observe("thread/goal/updated", { threadId: "T", turnId: "u2", goal: goal({ tokensUsed: 60, status: "budgetLimited" }) })), [
    ["usage_accounted", "budget_limited", "goal-row-1", "u2", 60],
    ["status_changed", "budget_limited", "goal-row-1", "u2", null],
  ]);
  assert.deepEqual(k(d.observe("thread/goal/updated", { threadId: "T", turnId: null, goal: goal({ tokensUsed: 60, status: "budgetLimited" }) })), [], "no change, no fact");
  assert.deepEqual(k(d.observe("thread/goal/cleared", { threadId: "T" })), [["cleared", "budget_limited", "goal-row-1", null, null]]);
  assert.deepEqual(k(d.observe("thread/goal/cleared", { threadId: "T" })), [], "nothing to clear twice");
  // Without a resolver the goal is named by its thread and creation time.
  const d2 = new GoalFactDeriver();
  assert.deepEqual(k(d2.observe("thread/goal/updated", { threadId: "X", turnId: null, goal: goal({ threadId: "X" }) })), [["created", "active", "X:100", null, null]]);
});

test("codex_thread_archive_event: always emitted; context blocks omitted when unknown", () => {
  const r = new AnalyticsReducer();
  const out = run(r, { kind: "thread_lifecycle", threadId: "thread-without-context", action: "unarchived", atMs: 123 });
  assert.deepEqual(out, {
    events: [{ event_type: "codex_thread_archive_event", event_params: { thread_id: "thread-without-context", action: "unarchived", occurred_at_ms: 123 } }],
    warnings: [],
  });
  run(r, init(), threadResponse("thread/start", "thread-1"), threadResponse("thread/start", "feature", { threadSource: "nightly_digest" }));
  const with_ = run(r, { kind: "thread_lifecycle", threadId: "thread-1", action: "archived", atMs: 124 }, { kind: "thread_lifecycle", threadId: "feature", action: "archived", atMs: 125 });
  // a client's thread has no thread_source (Codex 0.169), so the key is left out as Codex does
  assert.deepEqual(with_.events[0].event_params, { thread_id: "thread-1", action: "archived", occurred_at_ms: 124, app_server_client: CLIENT, runtime: RUNTIME });
  assert.equal("thread_source" in with_.events[1].event_params, false, "a feature's own label other than automation is not reported");
  // Closing forgets the thread's turn and item state but not its provenance.
  run(r, turnStarted("thread-1", "turn-1"), ...itemFacts("thread-1", "turn-1", commandItem, 1, 2).slice(0, 1));
  assert.equal(r.thread("thread-1")!.items.size, 1);
  run(r, { kind: "thread_lifecycle", threadId: "thread-1", action: "closed", atMs: 126 });
  assert.equal(r.thread("thread-1")!.items.size, 0);
  assert.equal(r.thread("thread-1")!.turns.size, 0);
  assert.ok(r.thread("thread-1")!.metadata);
});

test("turn/steer refusals: typed error or the error message gives the rejection reason; no pending request, no event", () => {
  const r = new AnalyticsReducer();
  run(r, init(), threadResponse("thread/start", "thread-2"));
  const steer = (requestId: number): AnalyticsFact => ({ kind: "client_request", connectionId: 7, requestId, request: { method: "turn/steer", params: { threadId: "thread-2", expectedTurnId: "turn-2", input: [{ type: "localImage" }] } }, atMs: 5000 });
  const out = run(
    r,
    steer(1),
    { kind: "client_error_response", connectionId: 7, requestId: 1, error: { code: -32600, message: "x" }, errorType: "non_steerable_review", atMs: 5001 },
    steer(2),
    { kind: "client_error_response", connectionId: 7, requestId: 2, error: { code: -32600, message: "no active turn to steer" }, errorType: null, atMs: 5001 },
    { kind: "client_error_response", connectionId: 7, requestId: 3, error: { code: -32600, message: "no active turn to steer" }, errorType: null, atMs: 5001 },
  );
  assert.deepEqual(
    out.events.map((e) => [e.event_params.result, e.event_params.accepted_turn_id, e.event_params.rejection_reason, e.event_params.num_input_images]),
    [
      ["rejected", null, "non_steerable_review", 1],
      ["rejected", null, "no_active_turn", 1],
    ],
  );
  assert.equal("product_client_id" in out.events[0].event_params, false);
});

test("the reducer's memory is bounded", () => {
  const r = new AnalyticsReducer({ maxThreads: 50, maxPending: 10, maxPerThread: 5 });
  run(r, init());
  for (let i = 0; i < 200; i++) run(r, threadResponse("thread/start", `t${i}`), turnStarted(`t${i}`, "u"));
  for (let i = 0; i < 100; i++) run(r, { kind: "client_request", connectionId: 7, requestId: i, request: { method: "turn/start", params: { threadId: "t199", input: [] } }, atMs: 1 });
  for (let i = 0; i < 20; i++) run(r, ...itemFacts("t199", "u", { ...commandItem, id: `i${i}` }, 1, 2).slice(0, 1));
  assert.ok(r.sizes.threads <= 50);
  assert.ok(r.sizes.pendingRequests <= 10);
  assert.ok(r.thread("t199")!.items.size <= 5);
  assert.equal(r.thread("t0"), undefined, "the least recently touched thread went first");
});

test("a tool event waits for the response after its call; a turn that ends first sends it without one, before its turn event", () => {
  const r = new AnalyticsReducer();
  run(r, init(), threadResponse("thread/start", "thread-1"), turnStarted("thread-1", "turn-1"));
  const [started, completed] = itemFacts("thread-1", "turn-1", { ...commandItem, id: "call_1" }, 1000, 1045);
  const held = run(
    r,
    { kind: "sampling_started", threadId: "thread-1", turnId: "turn-1", atMs: 900, attempt: 0 },
    { kind: "sampling_ended", threadId: "thread-1", turnId: "turn-1", atMs: 990, ok: true, responseId: "resp_1", callIds: ["call_1"] },
    started,
    completed,
  );
  assert.deepEqual(held.events, [], "held until the next response");
  const out = run(r, { kind: "sampling_started", threadId: "thread-1", turnId: "turn-1", atMs: 1100, attempt: 0 }, turnCompleted("thread-1", "turn-1", { status: "interrupted" }));
  assert.deepEqual(
    out.events.map((e) => [e.event_type, e.event_params.originating_response_id ?? null, e.event_params.subsequent_response_id ?? null]),
    [
      ["codex_command_execution_event", "resp_1", null],
      ["codex_turn_event", null, null],
    ],
  );
});
