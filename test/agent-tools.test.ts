// The turn engine's parts on their own: apply_patch (grammar, matching, planning, applying,
// heredoc invocations), unified diffs, tool output formatting, the exec runner, the SSE decoder,
// provider config resolution, and the tool schemas against what Codex 0.169.0 offers.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyChunks, applyPlan, parseApplyPatchInvocation, parsePatch, PatchError, planChanges, planPatch, seekSequence } from "../src/agent/tools/apply-patch.js";
import { unifiedDiff } from "../src/agent/tools/unified-diff.js";
import { approxTokens, formatExecOutput, formatPatchOutput, truncateMiddle } from "../src/agent/tools/output.js";
import { runCommand, TIMEOUT_EXIT_CODE } from "../src/agent/tools/exec.js";
import { SseDecoder } from "../src/agent/sse.js";
import { resolveAgentConfig, resolveProvider } from "../src/agent/config.js";
import { ConfigError, type SpoolConfig } from "../src/config/config.js";
import { EXEC_COMMAND_SPEC } from "../src/agent/tools/exec-command.js";
import { CREATE_GOAL_SPEC, GET_GOAL_SPEC, goalTools, UPDATE_GOAL_SPEC } from "../src/agent/tools/goals.js";
import { defaultToolRegistry } from "../src/agent/tools/defaults.js";
import { REQUEST_USER_INPUT_SPEC } from "../src/agent/tools/request-user-input.js";
import { VIEW_IMAGE_SPEC } from "../src/agent/tools/view-image.js";
import { commandNeedsApproval, patchNeedsApproval } from "../src/agent/approvals.js";
import { uuidv7 } from "../src/agent/ids.js";
import { repoRoot } from "./helpers/paths.js";

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "spool-agent-tools-"));
}

// ---------------------------------------------------------------------------------------------
// apply_patch

test("apply_patch: parses add, delete, update (with move, anchors, end of file) hunks", () => {
  const hunks = parsePatch(
    [
      "*** Begin Patch",
      "*** Add File: a/new.txt",
      "+one",
      "+two",
      "*** Delete File: old.txt",
      "*** Update File: src/x.ts",
      "*** Move to: src/y.ts",
      "@@ function f() {",
      " keep",
      "-old",
      "+new",
      "@@",
      "-last",
      "+final",
      "*** End of File",
      "*** End Patch",
    ].join("\n"),
  );
  assert.deepEqual(hunks, [
    { kind: "add", path: "a/new.txt", contents: "one\ntwo\n" },
    { kind: "delete", path: "old.txt" },
    {
      kind: "update",
      path: "src/x.ts",
      movePath: "src/y.ts",
      chunks: [
        { context: "function f() {", oldLines: ["keep", "old"], newLines: ["keep", "new"], isEndOfFile: false },
        { context: null, oldLines: ["last"], newLines: ["final"], isEndOfFile: true },
      ],
    },
  ]);
  // the first chunk may omit its @@ line; a heredoc wrapper is tolerated
  const lenient = parsePatch("<<'EOF'\n*** Begin Patch\n*** Update File: f\n-a\n+b\n*** End Patch\nEOF");
  assert.deepEqual(lenient, [{ kind: "update", path: "f", movePath: null, chunks: [{ context: null, oldLines: ["a"], newLines: ["b"], isEndOfFile: false }] }]);
});

test("apply_patch: grammar errors say what is wrong", () => {
  assert.throws(() => parsePatch("*** Add File: x\n+y\n*** End Patch"), /first line of the patch must be '\*\*\* Begin Patch'/);
  assert.throws(() => parsePatch("*** Begin Patch\n*** Add File: x\n+y"), /last line of the patch must be '\*\*\* End Patch'/);
  assert.throws(() => parsePatch("*** Begin Patch\n*** Frobnicate: x\n*** End Patch"), /is not a valid hunk header/);
  assert.throws(() => parsePatch("*** Begin Patch\n*** Update File: x\n*** End Patch"), /Update file hunk for path 'x' is empty/);
  assert.throws(() => parsePatch("*** Begin Patch\n*** Update File: x\n@@\n-a\nbad line\n*** End Patch"), /Unexpected line found in update hunk: 'bad line'/);
});

test("apply_patch: lines are found exactly, then ignoring whitespace, then with punctuation folded", () => {
  const lines = ["alpha", "  beta  ", "gamma — “quoted”", "delta"];
  assert.equal(seekSequence(lines, ["alpha"], 0, false), 0);
  assert.equal(seekSequence(lines, ["  beta"], 0, false), 1);
  assert.equal(seekSequence(lines, ["beta"], 0, false), 1);
  assert.equal(seekSequence(lines, ['gamma - "quoted"'], 0, false), 2);
  assert.equal(seekSequence(lines, ["alpha"], 1, false), -1);
  assert.equal(seekSequence(["x", "y", "x"], ["x"], 0, true), 2, "end-of-file chunks match at the end first");
  const out = applyChunks("a\nb\nc\nb\n", [{ context: "c", oldLines: ["b"], newLines: ["B"], isEndOfFile: false }], "f");
  assert.equal(out, "a\nb\nc\nB\n", "the @@ anchor moves the search past it");
  assert.equal(applyChunks("a\n", [{ context: null, oldLines: [], newLines: ["z"], isEndOfFile: false }], "f"), "a\nz\n", "pure additions append");
  assert.throws(() => applyChunks("a\n", [{ context: null, oldLines: ["nope"], newLines: ["x"], isEndOfFile: false }], "f"), /Failed to find expected lines in f:\nnope/);
});

test("apply_patch: plans every change before writing, then applies them", async () => {
  const dir = tmp();
  try {
    fs.writeFileSync(path.join(dir, "keep.txt"), "one\ntwo\nthree\n");
    fs.writeFileSync(path.join(dir, "gone.txt"), "bye\n");
    fs.writeFileSync(path.join(dir, "old.txt"), "x\ny\n");
    const patch = [
      "*** Begin Patch",
      "*** Update File: keep.txt",
      "@@",
      " one",
      "-two",
      "+TWO",
      "*** Add File: sub/dir/new.txt",
      "+fresh",
      "*** Delete File: gone.txt",
      "*** Update File: old.txt",
      "*** Move to: moved/new.txt",
      "@@",
      " x",
      "-y",
      "+z",
      "*** End Patch",
    ].join("\n");
    const plan = await planPatch(parsePatch(patch), dir);
    const changes = planChanges(plan);
    assert.deepEqual(changes[path.join(dir, "keep.txt")], { type: "update", unified_diff: "@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n", move_path: null });
    assert.deepEqual(changes[path.join(dir, "sub/dir/new.txt")], { type: "add", content: "fresh\n" });
    assert.deepEqual(changes[path.join(dir, "gone.txt")], { type: "delete", content: "bye\n" });
    assert.deepEqual(changes[path.join(dir, "old.txt")], { type: "update", unified_diff: "@@ -1,2 +1,2 @@\n x\n-y\n+z\n", move_path: path.join(dir, "moved/new.txt") });
    assert.equal(fs.readFileSync(path.join(dir, "keep.txt"), "utf8"), "one\ntwo\nthree\n", "planning writes nothing");
    const summary = await applyPlan(plan);
    assert.equal(summary, "Success. Updated the following files:\nM keep.txt\nA sub/dir/new.txt\nD gone.txt\nM moved/new.txt\n");
    assert.equal(fs.readFileSync(path.join(dir, "keep.txt"), "utf8"), "one\nTWO\nthree\n");
    assert.equal(fs.readFileSync(path.join(dir, "sub/dir/new.txt"), "utf8"), "fresh\n");
    assert.equal(fs.existsSync(path.join(dir, "gone.txt")), false);
    assert.equal(fs.existsSync(path.join(dir, "old.txt")), false);
    assert.equal(fs.readFileSync(path.join(dir, "moved/new.txt"), "utf8"), "x\nz\n");
    // a patch that cannot apply fails before touching anything
    const bad = "*** Begin Patch\n*** Add File: should-not-exist.txt\n+x\n*** Update File: missing.txt\n@@\n-a\n+b\n*** End Patch";
    await assert.rejects(planPatch(parsePatch(bad), dir), (e: Error) => e instanceof PatchError && e.message === "Failed to read file to update missing.txt: No such file or directory (os error 2)");
    assert.equal(fs.existsSync(path.join(dir, "should-not-exist.txt")), false);
    await assert.rejects(planPatch([], dir), /No files were modified/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("apply_patch: heredoc invocations through exec_command", () => {
  assert.deepEqual(parseApplyPatchInvocation("apply_patch <<'EOF'\n*** Begin Patch\n*** End Patch\nEOF"), { patch: "*** Begin Patch\n*** End Patch", cd: null });
  assert.deepEqual(parseApplyPatchInvocation('cd sub && apply_patch <<"PATCH"\nbody\nPATCH\n'), { patch: "body", cd: "sub" });
  assert.deepEqual(parseApplyPatchInvocation("applypatch <<EOF\nx\nEOF"), { patch: "x", cd: null });
  assert.equal(parseApplyPatchInvocation("echo apply_patch <<'EOF'\nx\nEOF"), null);
  assert.equal(parseApplyPatchInvocation("apply_patch <<'EOF'\nx\nEOF\nrm -rf /"), null, "nothing may follow the heredoc");
});

test("unified diffs: one line of context, GNU-style ranges, separate hunks for distant changes", () => {
  assert.equal(unifiedDiff("a\nb\n", "a\nb\n"), "");
  assert.equal(unifiedDiff("", "x\n"), "@@ -0,0 +1 @@\n+x\n");
  assert.equal(unifiedDiff("1\n2\n3\n4\n5\n6\n7\n", "1\nTWO\n3\n4\n5\nSIX\n7\n"), "@@ -1,3 +1,3 @@\n 1\n-2\n+TWO\n 3\n@@ -5,3 +5,3 @@\n 5\n-6\n+SIX\n 7\n");
  assert.equal(unifiedDiff("a\nb\nc\n", "a\nc\n"), "@@ -1,3 +1,2 @@\n a\n-b\n c\n");
});

// ---------------------------------------------------------------------------------------------
// output formatting and the exec runner

test("tool output: Codex's exec and apply_patch layouts, 4 bytes per token, middle truncation", () => {
  assert.equal(approxTokens("hi\n"), 1);
  assert.equal(approxTokens("cat: does-not-exist.txt: No such file or directory\n"), 13);
  assert.equal(formatExecOutput({ output: "hi\n", exitCode: 0, wallTimeMs: 12.34, chunk: "cf1bef" }), "Chunk ID: cf1bef\nWall time: 0.0123 seconds\nProcess exited with code 0\nOriginal token count: 1\nOutput:\nhi\n");
  assert.equal(
    formatPatchOutput({ exitCode: 0, output: "Success. Updated the following files:\nA notes.md\n", wallTimeMs: 0 }),
    "Wall time: 0.0000 seconds\nOutput:\nExit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nA notes.md\n",
  );
  const long = Array.from({ length: 200 }, (_, i) => `line ${i}`).join("\n");
  const cut = truncateMiddle(long, 50);
  assert.match(cut, /^Warning: truncated output \(original token count: \d+\)\nTotal output lines: 200\n\nline 0\n/);
  assert.match(cut, /…\d+ tokens truncated…/);
  assert.ok(cut.endsWith("line 199"));
  assert.equal(truncateMiddle("short", 50), "short");
});

test("exec runner: merged output in order, exit codes, timeouts kill the whole group, aborts", async () => {
  const dir = tmp();
  try {
    const chunks: string[] = [];
    const ok = await runCommand({ argv: ["/bin/bash", "-c", "echo out; echo err >&2; pwd"], cwd: dir, timeoutMs: 10_000, onOutput: (c) => chunks.push(c) });
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.output, `out\nerr\n${fs.realpathSync(dir)}\n`);
    assert.equal(chunks.join(""), ok.output);
    assert.ok(ok.pid && ok.pid > 0);
    assert.equal((await runCommand({ argv: ["/bin/bash", "-c", "exit 3"], cwd: dir, timeoutMs: 10_000 })).exitCode, 3);
    // sleeps that outlast the test timeout: only the timeout kill (of the whole group) ends them
    const slow = await runCommand({ argv: ["/bin/bash", "-c", "sleep 100000 & sleep 100000"], cwd: dir, timeoutMs: 200 });
    assert.equal(slow.timedOut, true);
    assert.equal(slow.exitCode, TIMEOUT_EXIT_CODE);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const aborted = await runCommand({ argv: ["/bin/bash", "-c", "echo started; sleep 30"], cwd: dir, timeoutMs: 60_000, signal: ac.signal });
    assert.equal(aborted.aborted, true);
    assert.equal(aborted.output, "started\n");
    const missing = await runCommand({ argv: ["/bin/bash", "-c", "true"], cwd: path.join(dir, "nope"), timeoutMs: 1000 });
    assert.ok(missing.spawnError);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// SSE, config, ids, approvals

test("SSE decoder: fields, multi-line data, CRLF and chunk boundaries anywhere", () => {
  const text = 'event: response.created\r\ndata: {"a":1}\r\n\r\n: comment\n\nevent: x\ndata: l1\ndata: l2\n\ndata: tail\n\n';
  const all = new SseDecoder().push(text);
  assert.deepEqual(all, [
    { event: "response.created", data: '{"a":1}' },
    { event: "x", data: "l1\nl2" },
    { event: "message", data: "tail" },
  ]);
  const bytes = Buffer.from(text.replace("tail", "tä€l"));
  const d = new SseDecoder();
  const out = [];
  for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(out.map((e) => e.data), ['{"a":1}', "l1\nl2", "tä€l"]);
});

test("config: providers like Codex (tables, built-in openai, env key, headers, retries), wire_api responses only", () => {
  const cfg = (o: Record<string, unknown>): SpoolConfig => ({ modelProvider: (o.model_provider as string) ?? "openai", ...o }) as SpoolConfig;
  const openai = resolveProvider(cfg({}), "openai", {});
  assert.equal(openai.baseUrl, "https://api.openai.com/v1");
  assert.equal(openai.envKey, "OPENAI_API_KEY");
  assert.equal(openai.requestMaxRetries, 4);
  assert.equal(openai.streamMaxRetries, 5);
  assert.equal(resolveProvider(cfg({}), "openai", { OPENAI_BASE_URL: "http://proxy/v1/" }).baseUrl, "http://proxy/v1");
  const mock = resolveProvider(
    cfg({
      model_provider: "mock",
      model_providers: { mock: { name: "Mock", base_url: "http://127.0.0.1:9/v1", env_key: "MOCK_KEY", request_max_retries: 0, stream_max_retries: 2, http_headers: { "X-A": "1" }, query_params: { "api-version": "x" } } },
    }),
  );
  assert.deepEqual(
    { name: mock.name, baseUrl: mock.baseUrl, envKey: mock.envKey, r: mock.requestMaxRetries, s: mock.streamMaxRetries, h: mock.httpHeaders, q: mock.queryParams },
    { name: "Mock", baseUrl: "http://127.0.0.1:9/v1", envKey: "MOCK_KEY", r: 0, s: 2, h: { "X-A": "1" }, q: { "api-version": "x" } },
  );
  assert.throws(() => resolveProvider(cfg({ model_provider: "nope" })), ConfigError);
  assert.throws(() => resolveProvider(cfg({ model_provider: "c", model_providers: { c: { base_url: "http://x", wire_api: "chat" } } })), /only "responses"/);
  const a = resolveAgentConfig(cfg({ model: "gpt-5", approval_policy: "never", sandbox_mode: "read-only", model_reasoning_effort: "high", web_search: "live" }), {});
  assert.deepEqual(
    { m: a.model, p: a.approvalPolicy, s: a.sandboxMode, e: a.reasoningEffort, w: a.webSearch, c: a.contextWindow, id: a.provider.id },
    { m: "gpt-5", p: "never", s: "read-only", e: "high", w: "live", c: 258400, id: "openai" },
  );
});

test("ids: UUIDv7, time-ordered", () => {
  const ids = Array.from({ length: 50 }, () => uuidv7());
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
});

test("approval rules by policy and sandbox mode", () => {
  assert.equal(commandNeedsApproval("on-request", undefined), false);
  assert.equal(commandNeedsApproval("on-request", "require_escalated"), true);
  assert.equal(commandNeedsApproval("never", "require_escalated"), false);
  assert.equal(commandNeedsApproval("untrusted", undefined), true);
  assert.equal(patchNeedsApproval("on-request", "workspace-write", ["/w/a.txt"], ["/w"]), false);
  assert.equal(patchNeedsApproval("on-request", "workspace-write", ["/w/a.txt", "/elsewhere/b"], ["/w"]), true);
  assert.equal(patchNeedsApproval("on-request", "workspace-write", ["/w/../x"], ["/w"]), true);
  assert.equal(patchNeedsApproval("on-request", "read-only", ["/w/a.txt"], ["/w"]), true);
  assert.equal(patchNeedsApproval("on-request", "danger-full-access", ["/x"], ["/w"]), false);
  assert.equal(patchNeedsApproval("never", "read-only", ["/x"], ["/w"]), false);
  assert.equal(patchNeedsApproval("untrusted", "danger-full-access", ["/w/a"], ["/w"]), true);
});

// ---------------------------------------------------------------------------------------------
// tool schemas

test("tool schemas: exec_command, request_user_input, view_image and the goal tools take exactly the arguments Codex 0.169.0 offers", () => {
  const req = JSON.parse(fs.readFileSync(path.join(repoRoot(), "test/fixtures/agent/codex-0.169-request.json"), "utf8"));
  const codex = new Map<string, any>(req.tools.filter((t: any) => t.type === "function").map((t: any) => [t.name, t]));
  // structure without the prose: property names, types, enums, items, required, additionalProperties
  const shape = (v: any): any => {
    if (Array.isArray(v)) return v.map(shape);
    if (v && typeof v === "object") {
      const out: any = {};
      for (const k of Object.keys(v).sort()) if (k !== "description") out[k] = shape(v[k]);
      return out;
    }
    return v;
  };
  for (const spec of [EXEC_COMMAND_SPEC, REQUEST_USER_INPUT_SPEC, VIEW_IMAGE_SPEC, GET_GOAL_SPEC, CREATE_GOAL_SPEC, UPDATE_GOAL_SPEC]) {
    const theirs = codex.get(spec.name as string);
    assert.ok(theirs, `Codex offers ${spec.name}`);
    assert.deepEqual(shape(spec), shape(theirs), `${spec.name}: same schema as Codex's`);
  }
  const web = req.tools.find((t: any) => t.type === "web_search");
  assert.deepEqual(defaultToolRegistry("cached").specs().find((t: any) => t.type === "web_search"), web);
  assert.deepEqual(defaultToolRegistry("disabled").names(), ["exec_command", "request_user_input", "view_image"]);
  const reg = defaultToolRegistry();
  reg.register(...goalTools({ getGoal: async () => "{}", createGoal: async () => "{}", updateGoal: async () => "{}" }));
  // Codex's order, for the tools Spool has (write_stdin and the sub-agent namespace are not Spool's)
  assert.deepEqual(reg.names(), ["exec_command", "request_user_input", "view_image", "get_goal", "create_goal", "update_goal", "web_search"]);
});
