// The turn engine against the scripted Responses server, with real bash and real files: each
// scenario of the Codex corpus (a plain reply, a shell command, a failing command, reasoning, a
// patch, a web search, a model error, an interrupt, escalated commands accepted and declined),
// plus patches that update/move/delete, steering, stream retries, token totals and approvals
// by policy. Every notification and approval request is validated against the official
// app-server schema, and every rollout item goes back through Spool's history reducer.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AgentSession, type AgentSessionOptions, type UserInput } from "../src/agent/session.js";
import type { TurnResult } from "../src/agent/turn.js";
import { ResponsesClient } from "../src/agent/model-client.js";
import { resolveProvider } from "../src/agent/config.js";
import { approvalMethod, type ApprovalDecision, type ApprovalKind, type TurnNotification } from "../src/agent/events.js";
// what Codex 0.169.0 recorded for a declined command (corpus rollouts/approvals.jsonl)
const REJECTED_OUTPUT = 'exec_command failed: CreateProcess { message: "Rejected(\\"rejected by user\\")" }';
import { uuidv7 } from "../src/agent/ids.js";
import { ThreadHistoryReducer } from "../src/history/reducer.js";
import type { RolloutLine } from "../src/rollout/line.js";
import type { RolloutItem } from "../src/store/types.js";
import type { SpoolConfig } from "../src/config/config.js";
import type { Turn } from "../src/protocol/v2.js";
import type { MockScriptContext } from "./helpers/mock-responses.js";
import { useMockResponses } from "./helpers/mock-home.js";
import { validateNotification, validateServerRequest } from "./helpers/schema.js";
import { ENGINE_BASICS } from "./helpers/corpus-scenario.js";

const scripts = new Map<string, (ctx: MockScriptContext) => boolean | Promise<boolean>>();
const fx = useMockResponses({ script: (ctx) => scripts.get(ctx.text)?.(ctx) ?? false });
const { dirs } = fx;

function client(extra: Record<string, unknown> = {}): ResponsesClient {
  const cfg = { modelProvider: "mock", model_providers: { mock: { base_url: fx.mock.url, request_max_retries: 0, stream_max_retries: 0, ...extra } } };
  return new ResponsesClient(resolveProvider(cfg as unknown as SpoolConfig));
}

type Approver = (kind: ApprovalKind, params: Record<string, unknown>) => ApprovalDecision | Promise<ApprovalDecision>;

interface Harness {
  session: AgentSession;
  /** `<tmp>/ws`: the turn's cwd (its parent is free for "outside the workspace" writes). */
  cwd: string;
  root: string;
  notes: TurnNotification[];
  items: RolloutItem[];
  approvals: Array<{ kind: ApprovalKind; params: Record<string, unknown> }>;
  approve: Approver;
  turn(text: string | UserInput[]): Promise<{ result: TurnResult; notes: TurnNotification[]; items: RolloutItem[] }>;
}

function harness(opts: Partial<AgentSessionOptions> & { approve?: Approver; clientExtra?: Record<string, unknown> } = {}): Harness {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-agent-turn-"));
  dirs.push(root);
  const cwd = path.join(root, "ws");
  fs.mkdirSync(cwd);
  const h: Harness = {
    cwd,
    root,
    notes: [],
    items: [],
    approvals: [],
    approve: opts.approve ?? (() => "accept"),
    session: undefined as unknown as AgentSession,
    async turn(text) {
      const n0 = h.notes.length;
      const i0 = h.items.length;
      const input: UserInput[] = typeof text === "string" ? [{ type: "text", text }] : text;
      const result = await h.session.startTurn(input).done;
      return { result, notes: h.notes.slice(n0), items: h.items.slice(i0) };
    },
  };
  h.session = new AgentSession({
    threadId: uuidv7(),
    cwd,
    model: "mock-model",
    client: client(opts.clientExtra),
    onEvent: (n) => {
      const errs = validateNotification(n.method, n.params);
      assert.deepEqual(errs, [], `${n.method} validates: ${JSON.stringify(n.params).slice(0, 400)}`);
      h.notes.push(n);
    },
    onRolloutItems: (items) => {
      h.items.push(...items);
    },
    requestApproval: async (kind, params) => {
      assert.deepEqual(validateServerRequest(approvalMethod(kind), params), [], `${kind} approval params validate`);
      h.approvals.push({ kind, params });
      return h.approve(kind, params);
    },
    ...opts,
  });
  return h;
}

const kinds = (items: RolloutItem[]) => items.map((i) => (i.type === "event_msg" || i.type === "response_item" ? `${i.type === "event_msg" ? "ev" : "ri"}:${i.payload.type}` : i.type));
const completedItems = (notes: TurnNotification[]) => notes.flatMap((n) => (n.method === "item/completed" ? [n.params.item] : []));
const itemOf = (notes: TurnNotification[], type: string) => completedItems(notes).find((i) => i.type === type);
const outputsOf = (items: RolloutItem[]) => items.flatMap((i) => (i.type === "response_item" && i.payload.type === "function_call_output" ? [i.payload.output as string] : []));

/** Feeds rollout items (after a legacy session_meta line) through Spool's reducer. */
function reduce(threadId: string, items: RolloutItem[], mode?: "legacy" | "paginated"): Turn[] {
  const r = new ThreadHistoryReducer({ threadId, historyMode: mode });
  const meta: RolloutLine = { timestamp: new Date().toISOString(), type: "session_meta", payload: { id: threadId, timestamp: new Date().toISOString(), cwd: "/", originator: "t", cli_version: "0.169.0", source: "vscode", model_provider: "mock", history_mode: "legacy" } };
  r.feed(meta, 0);
  items.forEach((it, i) => r.feed({ timestamp: new Date().toISOString(), type: it.type, payload: it.payload }, i + 1));
  return r.turns();
}

// ---------------------------------------------------------------------------------------------

test("a plain reply: turn and item lifecycle, streamed deltas, usage, Codex's rollout lines", async () => {
  const h = harness();
  const { result, notes, items } = await h.turn("hello there");
  assert.equal(result.status, "completed");
  assert.equal(result.lastAgentMessage, "Echo: hello there");
  assert.deepEqual(
    notes.map((n) => n.method),
    ["turn/started", "item/started", "item/completed", "item/started", "item/agentMessage/delta", "item/agentMessage/delta", "item/completed", "thread/tokenUsage/updated", "turn/completed"],
  );
  const deltas = notes.flatMap((n) => (n.method === "item/agentMessage/delta" ? [n.params.delta] : []));
  assert.deepEqual(deltas, ["Echo: hello ", "there"]);
  const user = itemOf(notes, "userMessage")!;
  assert.deepEqual(user.content, [{ type: "text", text: "hello there", text_elements: [] }]);
  const agent = itemOf(notes, "agentMessage")!;
  assert.deepEqual({ ...agent, startedAtMs: 0, completedAtMs: 0 }, { type: "agentMessage", moderation: null, id: agent.id, text: "Echo: hello there", phase: null, memoryCitation: null, delivery: null, questions: null, startedAtMs: 0, completedAtMs: 0 });
  assert.match(agent.id, /^msg_\d+$/, "the model's item id");
  const done = notes[notes.length - 1];
  assert.equal(done.method, "turn/completed");
  if (done.method === "turn/completed") {
    assert.equal(done.params.turn.id, result.turnId);
    assert.equal(done.params.turn.status, "completed");
    assert.equal(done.params.turn.itemsView, "summary");
    assert.deepEqual(done.params.turn.items, [agent]);
  }
  assert.deepEqual(kinds(items), [
    "ev:task_started",
    "ri:message", // developer: permissions (no skills or developer instructions here)
    "ri:message", // user: <environment_context> (no AGENTS.md here)
    "turn_context",
    "ri:message",
    "ev:item_completed", // the user's message, before its legacy event (stable ids)
    "ev:user_message",
    "ev:item_completed",
    "ev:agent_message",
    "ri:message",
    "ev:token_count",
    "ev:task_complete",
  ]);
  const tc = items.find((i) => i.type === "turn_context")!.payload;
  assert.equal(tc.cwd, h.cwd);
  assert.equal(tc.model, "mock-model");
  assert.equal(tc.approval_policy, "on-request");
  assert.deepEqual(tc.sandbox_policy, { type: "workspace-write", writable_roots: [], network_access: false, exclude_tmpdir_env_var: false, exclude_slash_tmp: false });
  const complete = items[items.length - 1].payload;
  assert.equal(complete.turn_id, result.turnId);
  assert.equal(complete.last_agent_message, "Echo: hello there");
  // the request: base instructions, the context, the conversation, the tools; reasoning settings
  // for a model the provider has no catalogue entry for (like Codex's fallback model info)
  const body = fx.mock.requests[fx.mock.requests.length - 1].body;
  assert.equal(body.model, "mock-model");
  assert.equal(body.store, false);
  assert.equal(body.instructions, undefined, "base instructions travel as the first developer message");
  assert.deepEqual(body.tools.map((t: { name?: string; type: string }) => t.name ?? t.type), ["exec_command", "request_user_input", "view_image", "web_search"]);
  assert.deepEqual(body.reasoning, { summary: "auto" });
  assert.deepEqual(body.include, ["reasoning.encrypted_content"]);
  assert.deepEqual(Object.keys(body.client_metadata).sort(), ["root_turn_id", "session_id", "thread_id", "turn_id"]);
  assert.equal(body.client_metadata.turn_id, result.turnId);
  assert.deepEqual(body.input.map((i: { role: string }) => i.role), ["developer", "developer", "user", "user"]);
  assert.match(body.input[1].content[0].text, /^<permissions instructions>\n/);
  assert.match(body.input[2].content[0].text, /^<environment_context>\n {2}<cwd>/);
});

test("a shell command: real bash in the cwd, output deltas, exit code, Codex's output text fed back", async () => {
  const h = harness();
  const { result, notes, items } = await h.turn("cmd: echo hi > out.txt && cat out.txt");
  assert.equal(result.status, "completed");
  assert.equal(fs.readFileSync(path.join(h.cwd, "out.txt"), "utf8"), "hi\n");
  const started = notes.find((n) => n.method === "item/started" && n.params.item.type === "commandExecution");
  assert.ok(started && started.method === "item/started");
  assert.equal(started.params.item.status, "inProgress");
  const cmd = itemOf(notes, "commandExecution")!;
  assert.equal(cmd.command, "/bin/bash -c 'echo hi > out.txt && cat out.txt'");
  assert.equal(cmd.cwd, h.cwd);
  assert.equal(cmd.status, "completed");
  assert.equal(cmd.exitCode, 0);
  assert.equal(cmd.aggregatedOutput, "hi\n");
  assert.equal(cmd.source, "unifiedExecStartup");
  assert.match(String(cmd.processId), /^\d+$/);
  assert.deepEqual(cmd.commandActions, [{ type: "unknown", command: "echo hi > out.txt && cat out.txt" }]);
  const deltas = notes.flatMap((n) => (n.method === "item/commandExecution/outputDelta" ? [n.params.delta] : []));
  assert.equal(deltas.join(""), "hi\n");
  const [out] = outputsOf(items);
  assert.match(out, /^Chunk ID: [0-9a-f]{6}\nWall time: \d+\.\d{4} seconds\nProcess exited with code 0\nOriginal token count: 1\nOutput:\nhi\n$/);
  assert.equal(result.lastAgentMessage, "Done. Tool said: " + out.slice(0, 120));
  assert.deepEqual(kinds(items).slice(7), [
    "ri:function_call",
    "ev:token_count",
    "ev:item_completed",
    "ev:exec_command_end",
    "ri:function_call_output",
    "ev:item_completed",
    "ev:agent_message",
    "ri:message",
    "ev:token_count",
    "ev:task_complete",
  ]);
  // the follow-up request carries the call and its output
  const input = fx.mock.requests[fx.mock.requests.length - 1].body.input;
  assert.deepEqual(input.slice(-2).map((i: { type: string }) => i.type), ["function_call", "function_call_output"]);
  assert.equal(input[input.length - 1].output, out);
});

test("a failing command: status failed, its exit code and stderr", async () => {
  const h = harness();
  const { result, notes, items } = await h.turn("cmd: cat does-not-exist.txt");
  assert.equal(result.status, "completed");
  const cmd = itemOf(notes, "commandExecution")!;
  assert.equal(cmd.status, "failed");
  assert.equal(cmd.exitCode, 1);
  assert.equal(cmd.aggregatedOutput, "cat: does-not-exist.txt: No such file or directory\n");
  assert.match(outputsOf(items)[0], /\nProcess exited with code 1\nOriginal token count: 13\nOutput:\ncat: does-not-exist.txt: No such file or directory\n$/);
  const f = await h.turn("cmd: false");
  const c2 = itemOf(f.notes, "commandExecution")!;
  assert.deepEqual([c2.status, c2.exitCode, c2.aggregatedOutput], ["failed", 1, null]);
});

test("reasoning: a reasoning item with its summary, reasoning tokens counted", async () => {
  const h = harness();
  const { notes, items } = await h.turn("think: a plan");
  const r = itemOf(notes, "reasoning")!;
  assert.deepEqual([r.id, r.summary, r.content], [r.id, ["**Thinking** about a plan"], []]);
  assert.match(r.id, /^rs_\d+$/);
  assert.deepEqual(kinds(items).slice(7, 10), ["ev:item_completed", "ev:agent_reasoning", "ri:reasoning"]);
  const usage = notes.find((n) => n.method === "thread/tokenUsage/updated");
  assert.equal(usage?.method === "thread/tokenUsage/updated" && usage.params.tokenUsage.last.reasoningOutputTokens, 12);
});

test("apply_patch through exec_command: add, then update/move/delete, then a patch that cannot apply", async () => {
  const h = harness();
  const add = await h.turn("patch: notes.md hello world");
  assert.equal(fs.readFileSync(path.join(h.cwd, "notes.md"), "utf8"), "hello world\n");
  const fc = itemOf(add.notes, "fileChange")!;
  assert.deepEqual(fc.changes, [{ path: path.join(h.cwd, "notes.md"), kind: { type: "add" }, diff: "hello world\n" }]);
  assert.equal(fc.status, "completed");
  assert.match(outputsOf(add.items)[0], /^Wall time: \d+\.\d{4} seconds\nOutput:\nExit code: 0\nWall time: \d+ seconds\nOutput:\nSuccess\. Updated the following files:\nA notes\.md\n$/);
  assert.deepEqual(kinds(add.items).slice(7, 12), ["ri:function_call", "ev:token_count", "ev:item_completed", "ev:patch_apply_end", "ri:function_call_output"]);
  assert.equal(add.notes.filter((n) => n.method === "item/started" && n.params.item.type === "fileChange").length, 1);
  assert.equal(h.approvals.length, 0, "a patch inside the cwd needs no approval under on-request");

  fs.writeFileSync(path.join(h.cwd, "gone.txt"), "bye\n");
  fs.writeFileSync(path.join(h.cwd, "old.txt"), "keep\nchange me\n");
  const patch = [
    "*** Begin Patch",
    "*** Update File: notes.md",
    "@@",
    "-hello world",
    "+hello spool",
    "*** Add File: sub/new.txt",
    "+line one",
    "*** Delete File: gone.txt",
    "*** Update File: old.txt",
    "*** Move to: new-name.txt",
    "@@",
    " keep",
    "-change me",
    "+changed",
    "*** End Patch",
  ].join("\n");
  const upd = await h.turn(`applypatch:\n${patch}`);
  assert.equal(fs.readFileSync(path.join(h.cwd, "notes.md"), "utf8"), "hello spool\n");
  assert.equal(fs.readFileSync(path.join(h.cwd, "sub/new.txt"), "utf8"), "line one\n");
  assert.equal(fs.existsSync(path.join(h.cwd, "gone.txt")), false);
  assert.equal(fs.existsSync(path.join(h.cwd, "old.txt")), false);
  assert.equal(fs.readFileSync(path.join(h.cwd, "new-name.txt"), "utf8"), "keep\nchanged\n");
  const fc2 = itemOf(upd.notes, "fileChange")!;
  assert.equal(fc2.status, "completed");
  const newName = path.join(h.cwd, "new-name.txt");
  assert.deepEqual(fc2.changes, [
    { path: path.join(h.cwd, "gone.txt"), kind: { type: "delete" }, diff: "bye\n" },
    { path: path.join(h.cwd, "notes.md"), kind: { type: "update", move_path: null }, diff: "@@ -1 +1 @@\n-hello world\n+hello spool\n" },
    { path: path.join(h.cwd, "old.txt"), kind: { type: "update", move_path: newName }, diff: `@@ -1,2 +1,2 @@\n keep\n-change me\n+changed\n\n\nMoved to: ${newName}` },
    { path: path.join(h.cwd, "sub/new.txt"), kind: { type: "add" }, diff: "line one\n" },
  ]);
  assert.match(outputsOf(upd.items)[0], /Success\. Updated the following files:\nM notes\.md\nA sub\/new\.txt\nD gone\.txt\nM new-name\.txt\n$/);

  const bad = await h.turn("applypatch:\n*** Begin Patch\n*** Update File: missing.txt\n@@\n-a\n+b\n*** End Patch");
  assert.equal(bad.result.status, "completed");
  assert.equal(outputsOf(bad.items)[0], "apply_patch verification failed: Failed to read file to update missing.txt: No such file or directory (os error 2)");
  assert.equal(itemOf(bad.notes, "fileChange"), undefined, "nothing was changed, so no item");
});

test("web search: the model's web_search_call is recorded as a webSearch item, not executed", async () => {
  const h = harness();
  const { notes, items } = await h.turn("search: codex threads");
  const ws = itemOf(notes, "webSearch")!;
  assert.deepEqual({ ...ws, startedAtMs: 0, completedAtMs: 0 }, {
    type: "webSearch",
    id: ws.id,
    query: "codex threads",
    action: { type: "search", query: "codex threads", queries: null },
    results: null,
    startedAtMs: 0,
    completedAtMs: 0,
  });
  assert.deepEqual(kinds(items).slice(7, 10), ["ev:item_completed", "ev:web_search_end", "ri:web_search_call"]);
  assert.equal(outputsOf(items).length, 0);
});

test("a model HTTP 400 fails the turn with Codex's TurnError; the next turn works", async () => {
  const h = harness();
  const { result, notes, items } = await h.turn("fail: boom");
  const expected = { message: '{"error":{"message":"mock refused: boom","type":"invalid_request_error"}}', codexErrorInfo: "other", additionalDetails: null, misalignment: null };
  assert.equal(result.status, "failed");
  assert.deepEqual(result.error, expected);
  const err = notes.find((n) => n.method === "error");
  assert.deepEqual(err?.params, { error: expected, willRetry: false, threadId: h.session.threadId, turnId: result.turnId });
  const done = notes[notes.length - 1];
  assert.ok(done.method === "turn/completed");
  assert.deepEqual([done.params.turn.status, done.params.turn.error, done.params.turn.items, done.params.turn.itemsView], ["failed", expected, [], "notLoaded"]);
  const complete = items[items.length - 1].payload;
  assert.equal(complete.type, "task_complete");
  assert.equal(complete.last_agent_message, null);
  assert.deepEqual(complete.error, { message: expected.message, codex_error_info: "other" });
  const next = await h.turn("after the failure");
  assert.equal(next.result.status, "completed");
  assert.equal(next.result.lastAgentMessage, "Echo: after the failure");
});

test("an interrupt during streaming ends the turn interrupted at once; the next turn goes on", async () => {
  const h = harness();
  // 3000 deltas 300 ms apart outlast the test timeout: only the interrupt can end this turn
  const turn = h.session.startTurn([{ type: "text", text: "slow: 3000" }]);
  while (!h.notes.some((n) => n.method === "item/agentMessage/delta")) await new Promise((r) => setTimeout(r, 10));
  const result = await turn.interrupt();
  assert.equal(result.status, "interrupted");
  assert.equal(h.session.activeTurn, null);
  assert.equal(itemOf(h.notes, "agentMessage"), undefined, "the partial message is dropped, as Codex does");
  const done = h.notes[h.notes.length - 1];
  assert.ok(done.method === "turn/completed" && done.params.turn.status === "interrupted");
  const tail = kinds(h.items).slice(-3);
  assert.deepEqual(tail, ["ev:user_message", "ri:message", "ev:turn_aborted"]);
  assert.equal(h.items[h.items.length - 1].payload.reason, "interrupted");
  const next = await h.turn("resume after interrupt");
  assert.equal(next.result.lastAgentMessage, "Echo: resume after interrupt");
  const input = fx.mock.requests[fx.mock.requests.length - 1].body.input;
  assert.ok(input.some((i: { content?: Array<{ text?: string }> }) => i.content?.[0]?.text?.startsWith("<turn_aborted>")));
});

test("an interrupt kills a running command and answers its call", async () => {
  const h = harness();
  const turn = h.session.startTurn([{ type: "text", text: "cmd: echo started; sleep 100000" }]);
  while (!h.notes.some((n) => n.method === "item/commandExecution/outputDelta")) await new Promise((r) => setTimeout(r, 10));
  // the sleep outlasts the test timeout: only killing the command lets the interrupt finish
  const result = await turn.interrupt();
  assert.equal(result.status, "interrupted");
  const cmd = itemOf(h.notes, "commandExecution")!;
  assert.equal(cmd.status, "failed");
  assert.equal(cmd.aggregatedOutput, "started\n");
  assert.deepEqual(outputsOf(h.items), ["aborted"]);
  assert.equal(kinds(h.items).at(-1), "ev:turn_aborted");
});

test("an escalated command asks for approval: accepted it runs, declined it does not and the turn goes on", async () => {
  const h = harness();
  const ok = await h.turn("esc: touch ../outside-a.txt");
  assert.equal(ok.result.status, "completed");
  assert.ok(fs.existsSync(path.join(h.root, "outside-a.txt")));
  assert.equal(h.approvals.length, 1);
  const a = h.approvals[0];
  assert.equal(a.kind, "commandExecution");
  assert.deepEqual(
    { ...a.params, startedAtMs: 0 },
    {
      kind: "command",
      threadId: h.session.threadId,
      turnId: ok.result.turnId,
      itemId: a.params.itemId,
      startedAtMs: 0,
      environmentId: "local",
      reason: "Needs to write outside the workspace",
      command: "/bin/bash -c 'touch ../outside-a.txt'",
      cwd: h.cwd,
      commandActions: [{ type: "unknown", command: "touch ../outside-a.txt" }],
      proposedExecpolicyAmendment: ["touch", "../outside-a.txt"],
      availableDecisions: ["accept", { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["touch", "../outside-a.txt"] } }, "cancel"],
    },
  );
  // item/started (waiting, source agent) comes before the request; completed after it ran
  const started = ok.notes.find((n) => n.method === "item/started" && n.params.item.type === "commandExecution");
  assert.ok(started?.method === "item/started" && started.params.item.source === "agent" && started.params.item.processId === null);
  const ran = itemOf(ok.notes, "commandExecution")!;
  assert.deepEqual([ran.status, ran.exitCode, ran.source], ["completed", 0, "unifiedExecStartup"]);

  h.approve = () => "decline";
  const no = await h.turn("esc: touch ../declined.txt");
  assert.equal(no.result.status, "completed");
  assert.equal(fs.existsSync(path.join(h.root, "declined.txt")), false);
  const declined = itemOf(no.notes, "commandExecution")!;
  assert.deepEqual([declined.status, declined.exitCode, declined.processId, declined.aggregatedOutput], ["declined", null, null, null]);
  assert.deepEqual(outputsOf(no.items), [REJECTED_OUTPUT]);
  assert.equal(no.result.lastAgentMessage, `Done. Tool said: ${REJECTED_OUTPUT}`.slice(0, 17 + 120));
  assert.ok(!no.items.some((i) => i.payload.type === "item_completed" && (i.payload.item as { type?: string }).type === "CommandExecution"), "Codex records no item for a declined command");

  h.approve = () => "cancel";
  const cancel = await h.turn("esc: touch ../cancelled.txt");
  assert.equal(cancel.result.status, "interrupted");
  assert.equal(fs.existsSync(path.join(h.root, "cancelled.txt")), false);
  assert.deepEqual(outputsOf(cancel.items), [REJECTED_OUTPUT]);
  assert.equal(kinds(cancel.items).at(-1), "ev:turn_aborted");
});

test("approvals: acceptForSession is remembered, untrusted asks for every command, out-of-cwd patches ask, an interrupt ends a pending approval", async () => {
  const h = harness();
  h.approve = () => "acceptForSession";
  await h.turn("esc: touch ../again.txt");
  await h.turn("esc: touch ../again.txt");
  assert.equal(h.approvals.length, 1, "the second run of the same command did not ask");

  const u = harness({ approvalPolicy: "untrusted" });
  await u.turn("cmd: echo hi");
  assert.equal(u.approvals.length, 1);

  // the temp dirs are writable roots by default: keep them out so "../" is outside the sandbox
  const p = harness({ workspaceWrite: { writableRoots: [], networkAccess: false, excludeSlashTmp: true, excludeTmpdirEnvVar: true } });
  p.approve = () => "decline";
  const outside = await p.turn("patch: ../escape.txt nope");
  assert.equal(p.approvals.length, 1);
  assert.equal(p.approvals[0].kind, "fileChange");
  assert.equal(p.approvals[0].params.reason, `The patch writes outside ${p.cwd}`);
  assert.equal(fs.existsSync(path.join(p.root, "escape.txt")), false);
  assert.equal(itemOf(outside.notes, "fileChange")!.status, "declined");
  p.approve = () => "accept";
  await p.turn("patch: ../escape.txt yes");
  assert.equal(fs.readFileSync(path.join(p.root, "escape.txt"), "utf8"), "yes\n");

  // under never an escalation is refused without running (Codex 0.169.0's answer)
  const n = harness({ approvalPolicy: "never" });
  await n.turn("esc: touch ../never.txt");
  assert.equal(n.approvals.length, 0);
  assert.equal(fs.existsSync(path.join(n.root, "never.txt")), false);
  const told = fx.mock.requests.at(-1)!.body.input.filter((i: any) => i.type === "function_call_output").at(-1);
  assert.equal(told.output, "approval policy is Never; reject command — you cannot ask for escalated permissions if the approval policy is Never");

  const w = harness();
  let release!: (d: ApprovalDecision) => void;
  w.approve = () => new Promise((r) => (release = r));
  const turn = w.session.startTurn([{ type: "text", text: "esc: touch ../waiting.txt" }]);
  while (w.approvals.length === 0) await new Promise((r) => setTimeout(r, 10));
  const res = await turn.interrupt();
  assert.equal(res.status, "interrupted");
  release("accept");
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(fs.existsSync(path.join(w.root, "waiting.txt")), false, "an answer after the interrupt runs nothing");
});

test("no sandbox available: a sandboxed command fails with a clear error and does not run; an approved escalation still runs", async () => {
  const h = harness({ env: { ...process.env, SPOOL_BWRAP: "/nonexistent/bwrap" } });
  const { notes, items } = await h.turn("cmd: touch ran.txt");
  const item = itemOf(notes, "commandExecution")!;
  assert.equal(item.status, "failed");
  const why = 'sandbox_mode = "workspace-write" cannot be enforced: bubblewrap (bwrap) was not found on PATH; install it (Debian/Ubuntu: apt-get install bubblewrap). The command was not run.';
  assert.equal(item.aggregatedOutput, why);
  assert.deepEqual(outputsOf(items), [`exec_command failed: ${why}`]);
  assert.equal(fs.existsSync(path.join(h.cwd, "ran.txt")), false);
  await h.turn("esc: touch escalated.txt");
  assert.equal(h.approvals.length, 1);
  assert.equal(fs.existsSync(path.join(h.cwd, "escalated.txt")), true);
});

test("token usage: per-response last, thread totals across turns, resumed from the rollout", async () => {
  const h = harness();
  const a = await h.turn("hello one");
  const b = await h.turn("cmd: echo tokens");
  const usages = [...a.notes, ...b.notes].flatMap((n) => (n.method === "thread/tokenUsage/updated" ? [n.params.tokenUsage] : []));
  assert.equal(usages.length, 3, "one per model response");
  let total = 0;
  for (const u of usages) {
    total += u.last.totalTokens as number;
    assert.equal(u.total.totalTokens, total);
    assert.equal(u.modelContextWindow, 258400);
  }
  // the mock bills 100 + 10 per input item and 20 output tokens
  const inputs = fx.mock.requests.slice(-3).map((r) => r.body.input.length);
  assert.deepEqual(usages.map((u) => u.last.inputTokens), inputs.map((n) => 100 + 10 * n));
  assert.equal(h.session.tokenUsage().total.total_tokens, total);
  const counts = h.items.filter((i) => i.payload.type === "token_count");
  assert.deepEqual((counts.at(-1)!.payload.info as { total_token_usage: { total_tokens: number } }).total_token_usage.total_tokens, total);
  // a session resumed from the rollout continues the totals and the conversation
  const resumed = new AgentSession({ threadId: h.session.threadId, cwd: h.cwd, model: "mock-model", client: client(), history: h.items });
  assert.equal(resumed.tokenUsage().total.total_tokens, total);
  assert.deepEqual(resumed.modelInput(), h.session.modelInput());
  const r = await resumed.startTurn([{ type: "text", text: "after resume" }]).done;
  assert.equal(r.status, "completed");
  const last = fx.mock.requests[fx.mock.requests.length - 1].body.input;
  assert.equal(last.filter((i: { content?: Array<{ text?: string }> }) => i.content?.[0]?.text?.startsWith("<environment_context>")).length, 1, "context is given once per thread");
});

test("steering: input added to a running turn is sent with its next request, in the same turn", async () => {
  const h = harness();
  const turn = h.session.startTurn([{ type: "text", text: "slow: 3" }]);
  while (!h.notes.some((n) => n.method === "item/agentMessage/delta")) await new Promise((r) => setTimeout(r, 10));
  assert.equal(h.session.steer([{ type: "text", text: "and also this" }]), turn.id);
  const result = await turn.done;
  assert.equal(result.status, "completed");
  assert.equal(result.lastAgentMessage, "Echo: and also this");
  const users = completedItems(h.notes).filter((i) => i.type === "userMessage");
  assert.deepEqual(users.map((u) => (u.content as Array<{ text: string }>)[0].text), ["slow: 3", "and also this"]);
  assert.equal(completedItems(h.notes).filter((i) => i.type === "agentMessage").length, 2);
  assert.equal(h.items.filter((i) => i.payload.type === "task_started").length, 1);
  assert.equal(h.session.steer([{ type: "text", text: "too late" }]), null);
  const turns = reduce(h.session.threadId, h.items);
  assert.equal(turns.length, 1);
  assert.deepEqual(turns[0].items.map((i) => i.type), ["userMessage", "agentMessage", "userMessage", "agentMessage"]);
});

test("a broken stream is re-sent (stream_max_retries) with an error notification that says it will retry", async () => {
  let n = 0;
  scripts.set("flaky stream", (ctx) => {
    if (n++ > 0) return false;
    ctx.beginStream();
    ctx.sse("response.created", { response: { id: "r0" } });
    ctx.res.end();
    return true;
  });
  const h = harness({ clientExtra: { stream_max_retries: 2 }, streamRetryBackoffMs: () => 5 });
  const { result, notes } = await h.turn("flaky stream");
  assert.equal(result.status, "completed");
  assert.equal(result.lastAgentMessage, "Echo: flaky stream");
  const err = notes.find((x) => x.method === "error");
  assert.ok(err?.method === "error");
  assert.equal(err.params.willRetry, true);
  assert.equal(err.params.error.message, "Reconnecting... 1/2");
  assert.deepEqual(err.params.error.codexErrorInfo, { responseStreamDisconnected: { httpStatusCode: null } });
});

test("round trip: the rollout a session writes reads back through Spool's reducer with Codex's shapes", async () => {
  const h = harness();
  const turns: Array<{ result: TurnResult; notes: TurnNotification[] }> = [];
  const texts = ENGINE_BASICS.texts;
  for (const t of texts) turns.push(await h.turn(t));
  const n0 = h.notes.length;
  const slow = h.session.startTurn([{ type: "text", text: "slow: 40" }]);
  while (!h.notes.some((n) => n.method === "item/agentMessage/delta" && n.params.turnId === slow.id)) await new Promise((r) => setTimeout(r, 10));
  turns.push({ result: await slow.interrupt(), notes: h.notes.slice(n0) });
  h.approve = () => "accept";
  turns.push(await h.turn("esc: touch ../outside-a.txt"));
  h.approve = () => "decline";
  turns.push(await h.turn("esc: rm -rf ../nothing-here"));

  // legacy mode (how Spool writes threads, and how Codex reads them): Codex's classic replay
  const legacy = reduce(h.session.threadId, h.items);
  assert.deepEqual(legacy.map((t) => t.id), turns.map((t) => t.result.turnId));
  assert.deepEqual(legacy.map((t) => t.status), ENGINE_BASICS.statuses);
  assert.deepEqual(
    legacy.map((t) => t.items.map((i) => i.type).join("+")),
    ENGINE_BASICS.itemTypes,
  );
  assert.deepEqual(legacy[6].error, { message: '{"error":{"message":"mock refused: boom","type":"invalid_request_error"}}', codexErrorInfo: "other", additionalDetails: null, misalignment: null });
  assert.deepEqual(legacy.map((t) => t.rootTurnId), legacy.map((t) => t.id));
  assert.deepEqual(legacy[0].items[0].content, [{ type: "text", text: "hello there", text_elements: [] }]);
  assert.equal(legacy[0].items[1].text, "Echo: hello there");
  assert.deepEqual(legacy[2].items[1].summary, ["**Thinking** about a plan"]);
  assert.deepEqual(legacy[3].items[1].changes, [{ path: path.join(h.cwd, "notes.md"), kind: { type: "add" }, diff: "hello world\n" }]);
  assert.equal(legacy[3].items[1].status, "completed");
  assert.equal(legacy[4].items[1].query, "codex threads");
  for (let i = 0; i < legacy.length; i++) {
    assert.equal(legacy[i].startedAt, turns[i].result.turn.startedAt);
    assert.equal(legacy[i].completedAt, turns[i].result.turn.completedAt);
    assert.equal(legacy[i].durationMs, turns[i].result.turn.durationMs);
  }

  // paginated mode (the item_completed lines): exactly the items the client was told about live
  const paginated = reduce(h.session.threadId, h.items, "paginated");
  assert.deepEqual(paginated.map((t) => t.status), legacy.map((t) => t.status));
  for (let i = 0; i < turns.length; i++) {
    const live = completedItems(turns[i].notes).filter((it) => it.status !== "declined");
    assert.deepEqual(paginated[i].items, live, `turn ${i} (${texts[i] ?? "…"}): paginated items equal the live ones`);
  }
  const cmd = paginated[1].items.find((i) => i.type === "commandExecution")!;
  assert.deepEqual([cmd.status, cmd.exitCode, cmd.aggregatedOutput], ["completed", 0, "hi\n"]);
  const bad = paginated[5].items.find((i) => i.type === "commandExecution")!;
  assert.deepEqual([bad.status, bad.exitCode], ["failed", 1]);
  assert.deepEqual(
    paginated[9].items.map((i) => i.type),
    ["userMessage", "commandExecution", "agentMessage"],
  );
  assert.deepEqual(paginated[10].items.map((i) => i.type), ["userMessage", "agentMessage"], "the declined command is not recorded, as in Codex's corpus");
});

test("streamed reasoning deltas, unknown tools and bad arguments, and the goal tool hook", async () => {
  scripts.set("stream reasoning", (ctx) => {
    ctx.beginStream();
    const rid = ctx.nextId("resp");
    ctx.sse("response.created", { response: { id: rid } });
    ctx.sse("response.output_item.added", { item: { type: "reasoning", id: "rs_live", summary: [] } });
    ctx.sse("response.reasoning_summary_part.added", { item_id: "rs_live", summary_index: 0 });
    ctx.sse("response.reasoning_summary_text.delta", { item_id: "rs_live", delta: "Plan", summary_index: 0 });
    ctx.sse("response.reasoning_summary_text.delta", { item_id: "rs_live", delta: "ning", summary_index: 0 });
    ctx.sse("response.output_item.done", { item: { type: "reasoning", id: "rs_live", summary: [{ type: "summary_text", text: "Planning" }], encrypted_content: "opaque" } });
    ctx.sse("response.output_item.done", { item: { type: "message", role: "assistant", id: "msg_live", content: [{ type: "output_text", text: "ok" }] } });
    ctx.completed(rid);
    return true;
  });
  const h = harness();
  const r = await h.turn("stream reasoning");
  assert.deepEqual(
    r.notes.filter((n) => n.method.startsWith("item/reasoning") || (n.method.startsWith("item/") && "item" in n.params && n.params.item.type === "reasoning")).map((n) => n.method),
    ["item/started", "item/reasoning/summaryPartAdded", "item/reasoning/summaryTextDelta", "item/reasoning/summaryTextDelta", "item/completed"],
  );
  assert.deepEqual(itemOf(r.notes, "reasoning")!.summary, ["Planning"]);
  assert.equal(itemOf(r.notes, "agentMessage")!.text, "ok", "a message without added/delta events still starts and completes");
  const stored = h.items.find((i) => i.type === "response_item" && i.payload.type === "reasoning")!;
  assert.equal(stored.payload.encrypted_content, "opaque", "reasoning goes back to the model as received");

  let calls = 0;
  scripts.set("odd calls", (ctx) => {
    if (calls++ > 0) return false;
    ctx.beginStream();
    const rid = ctx.nextId("resp");
    ctx.sse("response.output_item.done", { item: { type: "function_call", name: "no_such_tool", call_id: "c1", arguments: "{}" } });
    ctx.sse("response.output_item.done", { item: { type: "function_call", name: "exec_command", call_id: "c2", arguments: "{not json" } });
    ctx.completed(rid);
    return true;
  });
  const odd = await h.turn("odd calls");
  const outs = outputsOf(odd.items);
  assert.equal(outs[0], "unsupported call: no_such_tool");
  assert.match(outs[1], /^failed to parse function arguments: /);
  assert.equal(odd.result.status, "completed");

  const seen: unknown[] = [];
  const g = harness({
    extraTools: (await import("../src/agent/tools/goals.js")).goalTools({
      getGoal: async () => "{}",
      createGoal: async (args, ctx) => {
        seen.push({ ...args, turnId: ctx.turnId });
        return JSON.stringify({ goal: { objective: args.objective, status: "active", tokenBudget: args.tokenBudget } });
      },
      updateGoal: async (args) => {
        seen.push(args);
        return JSON.stringify({ goal: { status: args.status } });
      },
    }),
  });
  const created = await g.turn("goal: ship the thread store");
  assert.deepEqual(seen[0], { objective: "ship the thread store", tokenBudget: 50000, turnId: created.result.turnId });
  assert.match(outputsOf(created.items)[0], /"objective":"ship the thread store"/);
  await g.turn("goaldone");
  assert.deepEqual(seen[1], { status: "complete" });
  const tools = fx.mock.requests[fx.mock.requests.length - 1].body.tools.map((t: { name?: string; type: string }) => t.name ?? t.type);
  assert.deepEqual(tools, ["exec_command", "request_user_input", "view_image", "get_goal", "create_goal", "update_goal", "web_search"]);
});

test("exec_command: workdir (relative to the cwd), a missing workdir, timeouts", async () => {
  let step = 0;
  const calls: Array<Record<string, unknown>> = [
    { cmd: "pwd", workdir: "sub", login: false },
    { cmd: "pwd", workdir: "/definitely/not/here", login: false },
    { cmd: "echo before; sleep 20", login: false, timeout_ms: 300 },
  ];
  scripts.set("exec variants", (ctx) => {
    if (ctx.last.type === "function_call_output" && step >= calls.length) return false;
    ctx.beginStream();
    const rid = ctx.nextId("resp");
    ctx.sse("response.output_item.done", { item: { type: "function_call", name: "exec_command", call_id: ctx.nextId("call"), arguments: JSON.stringify(calls[step++]) } });
    ctx.completed(rid);
    return true;
  });
  const h = harness();
  fs.mkdirSync(path.join(h.cwd, "sub"));
  const { result, notes, items } = await h.turn("exec variants");
  assert.equal(result.status, "completed");
  const outs = outputsOf(items);
  assert.match(outs[0], new RegExp(`Output:\\n${fs.realpathSync(path.join(h.cwd, "sub"))}\\n$`));
  assert.equal(outs[1], "exec_command failed: working directory /definitely/not/here does not exist or is not a directory");
  assert.match(outs[2], /Process exited with code 124\n[\s\S]*Output:\nbefore\ncommand timed out after 300 milliseconds\n$/);
  const cmds = completedItems(notes).filter((i) => i.type === "commandExecution");
  assert.deepEqual(cmds.map((c) => c.cwd), [path.join(h.cwd, "sub"), h.cwd]);
  assert.deepEqual(cmds.map((c) => c.exitCode), [0, 124]);
});
