// command/exec (and write, resize, terminate) side by side with the real Codex 0.169.0 app-server:
// each side runs over its own copy of the same layout and config.toml (workspace-write), the
// answers, errors and command/exec/outputDelta notifications must match each other and the literal
// values below, and every answer must be valid against the generated schema.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { closeSides, openSide, sandboxConfigToml, type Side } from "./helpers/sandbox-sides.js";
import { validateErrorObject, validateNotification, validateResponse } from "./helpers/schema.js";

const dirs: string[] = [];
let codex: Side;
let spool: Side;

before(async () => {
  // no model turn runs here: the provider URL is never contacted
  const toml = sandboxConfigToml("http://127.0.0.1:9", { approval: "never", sandbox: "workspace-write" });
  [codex, spool] = await Promise.all([openSide("codex", toml, { dirs, approve: "decline" }), openSide("spool", toml, { dirs, approve: "decline" })]);
});

after(async () => {
  await closeSides(codex, spool);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** `params` with ROOT and WS replaced by the side's paths. */
const placed = (side: Side, v: unknown): any => JSON.parse(JSON.stringify(v).replaceAll("ROOT", side.root).replaceAll("WS", side.ws));

/** The answer (or error object) of one request on one side, schema-checked, with the side's paths put back as ROOT/WS. */
async function ask(side: Side, method: string, params: unknown): Promise<unknown> {
  let out: unknown;
  try {
    const result = await side.client.request(method, placed(side, params));
    assert.deepEqual(validateResponse(method, result), [], `${side.kind} ${method} answer`);
    out = { result };
  } catch (e: any) {
    if (!e.rpc) throw e;
    assert.deepEqual(validateErrorObject(e.rpc), [], `${side.kind} ${method} error`);
    out = { error: e.rpc };
  }
  return JSON.parse(JSON.stringify(out).replaceAll(side.ws, "WS").replaceAll(side.root, "ROOT"));
}

/** Both sides' answers to the same request; they must agree. */
async function both(method: string, params: unknown): Promise<any> {
  const [c, s] = await Promise.all([ask(codex, method, params), ask(spool, method, params)]);
  assert.deepEqual(s, c, `${method} ${JSON.stringify(params)}`);
  return s;
}

const out = (exitCode: number, stdout: string, stderr: string) => ({ result: { exitCode, stdout, stderr } });
const b64 = (s: string) => Buffer.from(s).toString("base64");

test("buffered exec: exit code, stdout and stderr in the answer; an output cap keeps the first bytes", async () => {
  assert.deepEqual(await both("command/exec", { command: ["sh", "-c", "echo hi; echo err >&2; exit 3"], cwd: "WS" }), out(3, "hi\n", "err\n"));
  assert.deepEqual(await both("command/exec", { command: ["sh", "-c", "echo 1234567890"], cwd: "WS", outputBytesCap: 4 }), out(0, "1234", ""));
  assert.deepEqual(await both("command/exec", { command: ["sh", "-c", "echo $FOO-$HOME"], cwd: "WS", env: { FOO: "bar", HOME: null } }), out(0, "bar-\n", ""));
});

test("a timeout ends the command with exit code 124", async () => {
  assert.deepEqual(await both("command/exec", { command: ["sleep", "30"], cwd: "WS", timeoutMs: 300 }), out(124, "", ""));
});

test("workspace-write: a write outside the writable roots is refused, inside is allowed; readOnly refuses, dangerFullAccess allows", async () => {
  // the policy's workspace is the server's cwd (its home here), so WS is listed as a writable root
  const noTmp = { type: "workspaceWrite", writableRoots: ["WS"], excludeSlashTmp: true, excludeTmpdirEnvVar: true };
  const refused = await both("command/exec", { command: ["touch", "ROOT/outside/out.txt"], cwd: "WS", sandboxPolicy: noTmp });
  assert.deepEqual(refused, out(1, "", "touch: cannot touch 'ROOT/outside/out.txt': Read-only file system\n"));
  assert.deepEqual(await both("command/exec", { command: ["touch", "WS/in.txt"], cwd: "WS", sandboxPolicy: noTmp }), out(0, "", ""));
  assert.deepEqual(await both("command/exec", { command: ["touch", "WS/ro.txt"], cwd: "WS", sandboxPolicy: { type: "readOnly" } }), out(1, "", "touch: cannot touch 'WS/ro.txt': Read-only file system\n"));
  assert.deepEqual(await both("command/exec", { command: ["touch", "ROOT/outside/full.txt"], cwd: "WS", sandboxPolicy: { type: "dangerFullAccess" } }), out(0, "", ""));
  for (const side of [codex, spool]) {
    assert.equal(fs.existsSync(`${side.root}/outside/out.txt`), false, side.kind);
    assert.equal(fs.existsSync(`${side.ws}/in.txt`), true, side.kind);
    assert.equal(fs.existsSync(`${side.ws}/ro.txt`), false, side.kind);
    assert.equal(fs.existsSync(`${side.root}/outside/full.txt`), true, side.kind);
  }
});

/** Streams `cat` on one side: writes to its stdin, closes it, returns the answer and the deltas. */
async function streamed(side: Side): Promise<{ answer: unknown; deltas: any[]; text: Record<string, string> }> {
  const c = side.client;
  const n0 = c.notifications.length;
  const pending = c.request("command/exec", { command: ["sh", "-c", "cat; echo done >&2"], cwd: side.ws, processId: "p1", streamStdin: true, streamStdoutStderr: true });
  assert.deepEqual(await ask(side, "command/exec/write", { processId: "p1", deltaBase64: b64("hello\n") }), { result: {} });
  assert.deepEqual(await ask(side, "command/exec", { command: ["true"], processId: "p1" }), { error: { code: -32600, message: 'duplicate active command/exec process id: "p1"' } });
  assert.deepEqual(await ask(side, "command/exec/resize", { processId: "p1", size: { rows: 10, cols: 40 } }), { error: { code: -32600, message: "failed to resize PTY: process is not attached to a PTY" } });
  assert.deepEqual(await ask(side, "command/exec/write", { processId: "p1", closeStdin: true }), { result: {} });
  const answer = await pending;
  assert.deepEqual(validateResponse("command/exec", answer), []);
  // the answer comes after every delta of the command
  const deltas = c.notifications.slice(n0).filter((n) => n.method === "command/exec/outputDelta").map((n) => n.params);
  for (const d of deltas) assert.deepEqual(validateNotification("command/exec/outputDelta", d), []);
  const text: Record<string, string> = { stdout: "", stderr: "" };
  for (const d of deltas) text[d.stream] += Buffer.from(d.deltaBase64, "base64").toString();
  return { answer, deltas, text };
}

test("streamed exec: stdin written with command/exec/write, output as command/exec/outputDelta, not repeated in the answer", async () => {
  const [c, s] = await Promise.all([streamed(codex), streamed(spool)]);
  assert.deepEqual(s.answer, c.answer);
  assert.deepEqual(s.answer, { exitCode: 0, stdout: "", stderr: "" });
  assert.deepEqual(s.text, c.text);
  assert.deepEqual(s.text, { stdout: "hello\n", stderr: "done\n" });
  for (const d of [...c.deltas, ...s.deltas]) assert.deepEqual(Object.keys(d).sort(), ["capReached", "deltaBase64", "processId", "stream"]);
  assert.deepEqual(s.deltas.map((d) => [d.processId, d.capReached]), s.deltas.map(() => ["p1", false]));
});

async function terminated(side: Side): Promise<unknown> {
  const pending = side.client.request("command/exec", { command: ["sleep", "30"], cwd: side.ws, processId: "p2" });
  // the command is known once a write reaches it (refused: its stdin is not streamed)
  for (;;) {
    const r: any = await ask(side, "command/exec/write", { processId: "p2", deltaBase64: b64("x") });
    if (r.error?.message === "stdin streaming is not enabled for this command/exec") break;
  }
  assert.deepEqual(await ask(side, "command/exec/terminate", { processId: "p2" }), { result: {} });
  return pending;
}

test("terminate kills a running command: exit code 137; the process id is then unknown", async () => {
  const [c, s] = await Promise.all([terminated(codex), terminated(spool)]);
  assert.deepEqual(s, c);
  assert.deepEqual(s, { exitCode: 137, stdout: "", stderr: "" });
  assert.deepEqual(await both("command/exec/terminate", { processId: "p2" }), { error: { code: -32600, message: 'no active command/exec for process id "p2"' } });
});

test("bad input gets Codex's errors", async () => {
  const cases: Array<[string, unknown, number, string]> = [
    ["command/exec", { command: [] }, -32600, "command must not be empty"],
    ["command/exec", {}, -32600, "Invalid request: missing field `command`"],
    ["command/exec", { command: ["cat"], streamStdin: true }, -32600, "command/exec tty or streaming requires a client-supplied processId"],
    ["command/exec", { command: ["true"], timeoutMs: 5, disableTimeout: true }, -32602, "command/exec cannot set both timeoutMs and disableTimeout"],
    ["command/exec", { command: ["true"], outputBytesCap: 5, disableOutputCap: true }, -32602, "command/exec cannot set both outputBytesCap and disableOutputCap"],
    ["command/exec", { command: ["true"], size: { rows: 5, cols: 5 } }, -32602, "command/exec size requires tty: true"],
    ["command/exec", { command: ["true"], sandboxPolicy: { type: "dangerFullAccess" }, permissionProfile: "x" }, -32600, "`permissionProfile` cannot be combined with `sandboxPolicy`"],
    ["command/exec", { command: ["true"], sandboxPolicy: { type: "bogus" } }, -32600, "Invalid request: unknown variant `bogus`, expected one of `dangerFullAccess`, `readOnly`, `externalSandbox`, `workspaceWrite`"],
    ["command/exec", { command: ["true"], cwd: "ROOT/missing" }, -32603, "failed to spawn command: No such file or directory (os error 2)"],
    ["command/exec/write", { processId: "nope", deltaBase64: b64("hi") }, -32600, 'no active command/exec for process id "nope"'],
    ["command/exec/terminate", { processId: "nope" }, -32600, 'no active command/exec for process id "nope"'],
    ["command/exec/resize", { processId: "nope", size: { rows: 10, cols: 10 } }, -32600, 'no active command/exec for process id "nope"'],
  ];
  for (const [method, params, code, message] of cases) assert.deepEqual(await both(method, params), { error: { code, message } });
});

test("tty is refused with a clear error (Spool has no PTY backend)", async () => {
  const r: any = await ask(spool, "command/exec", { command: ["cat"], processId: "t1", tty: true });
  assert.equal(r.error.code, -32600);
  assert.match(r.error.message, /tty is not supported/);
});

async function cappedStream(side: Side): Promise<any[]> {
  const n0 = side.client.notifications.length;
  const answer = await side.client.request("command/exec", { command: ["sh", "-c", "echo 1234567890; sleep 0.2; echo abc; echo e >&2"], cwd: side.ws, processId: "c1", streamStdoutStderr: true, outputBytesCap: 4 });
  assert.deepEqual(answer, { exitCode: 0, stdout: "", stderr: "" });
  return side.client.notifications.slice(n0).filter((n) => n.method === "command/exec/outputDelta").map((n) => n.params);
}

test("a streamed stream stops at the output cap: its last delta says capReached", async () => {
  const [c, s] = await Promise.all([cappedStream(codex), cappedStream(spool)]);
  const expected = [
    { processId: "c1", stream: "stdout", deltaBase64: b64("1234"), capReached: true },
    { processId: "c1", stream: "stderr", deltaBase64: b64("e\n"), capReached: false },
  ];
  assert.deepEqual(c, expected);
  assert.deepEqual(s, expected);
});
