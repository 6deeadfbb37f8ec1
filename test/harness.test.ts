// Tests of the test harness itself: the schema validator accepts everything Codex itself said
// in the corpus (goldens and transcripts) and rejects broken answers; the comparator, the home
// copier, the golden reader and the JSON-RPC client behave as conformance.mjs/rpc-client.mjs did.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { codexBin, startCodex, CODEX_VERSION } from "./helpers/codex.js";
import {
  responseTypeFor,
  schemaDir,
  schemaMethods,
  serverRequestResponseTypeFor,
  validateErrorObject,
  validateNotification,
  validateRequestParams,
  validateResponse,
  validateServerRequest,
  validateServerRequestResponse,
  BUNDLE_FILE,
  V2_BUNDLE_FILE,
} from "./helpers/schema.js";
import { compareGolden, copyCorpusHome, goldenRequests, replayGoldens, MISSING_THREAD_ID } from "./helpers/compare.js";
import { corpusFixtureDir, repoRoot } from "./helpers/paths.js";
import { RpcClient, RpcError } from "./helpers/rpc-client.js";
import { spoolCommand } from "./helpers/spool.js";

const FIXTURE = corpusFixtureDir();
const readJson = (f: string): any => JSON.parse(fs.readFileSync(f, "utf8"));

test("codexBin is the real Codex 0.169.0", () => {
  const bin = codexBin();
  assert.ok(path.isAbsolute(bin) && fs.existsSync(bin), bin);
  const out = execFileSync(bin, ["--version"], { encoding: "utf8" });
  assert.match(out, new RegExp(`\\b${CODEX_VERSION.replace(/\./g, "\\.")}\\b`));
});

test("schema is generated once into the cache and method types come from the unions", () => {
  const dir = schemaDir();
  assert.ok(dir.startsWith(path.join(repoRoot(), ".cache")));
  assert.ok(fs.existsSync(path.join(dir, BUNDLE_FILE)) && fs.existsSync(path.join(dir, V2_BUNDLE_FILE)));
  assert.equal(responseTypeFor("thread/list"), "ThreadListResponse");
  assert.equal(responseTypeFor("thread/read"), "ThreadReadResponse");
  assert.equal(responseTypeFor("thread/turns/list"), "ThreadTurnsListResponse");
  assert.equal(responseTypeFor("thread/items/list"), "ThreadItemsListResponse");
  assert.equal(responseTypeFor("initialize"), "InitializeResponse");
  assert.equal(serverRequestResponseTypeFor("item/commandExecution/requestApproval"), "CommandExecutionRequestApprovalResponse");
  const m = schemaMethods();
  assert.ok(m.clientRequests.includes("thread/list") && m.notifications.includes("turn/completed") && m.serverRequests.includes("item/fileChange/requestApproval"));
  // every thread method maps to a response type
  for (const method of m.clientRequests.filter((x) => x.startsWith("thread/") || x.startsWith("turn/")))
    assert.ok(responseTypeFor(method), `no response type for ${method}`);
  assert.deepEqual(validateResponse("no/such", {}), ["unknown client request method no/such"]);
});

test("every golden/final answer of Codex validates against the official schema", () => {
  let n = 0;
  for (const g of goldenRequests(FIXTURE)) {
    if (g.expectedError) {
      assert.deepEqual(validateErrorObject(g.expectedError), [], g.file);
      continue;
    }
    assert.deepEqual(validateRequestParams(g.method, g.cursorFrom ? { ...g.params, cursor: "x" } : g.params), [], `${g.file} params`);
    assert.deepEqual(validateResponse(g.method, g.expected), [], g.file);
    n++;
  }
  assert.ok(n >= 20, `only ${n} goldens`);
});

test("the scenario-time goldens validate too", () => {
  const dir = path.join(FIXTURE, "golden");
  const methodOf = (f: string): string | null =>
    f.endsWith(".read.json") ? "thread/read"
    : f.endsWith(".resume.json") ? "thread/resume"
    : f === "goal.get.json" ? "thread/goal/get"
    : f === "loaded-list.json" ? "thread/loaded/list"
    : f.startsWith("list-") ? "thread/list"
    : null;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));
  assert.ok(files.length > 10);
  for (const f of files) {
    const method = methodOf(f);
    assert.ok(method, `unclassified golden ${f}`);
    const g = readJson(path.join(dir, f));
    const result = g.result !== undefined && g.params !== undefined ? g.result : g;
    assert.deepEqual(validateResponse(method, result), [], f);
  }
});

test("the validator rejects broken answers", () => {
  const list = readJson(path.join(FIXTURE, "golden/final/list-default.json")).result;
  assert.deepEqual(validateResponse("thread/list", list), []);
  const { data: _d, ...noData } = list;
  assert.notDeepEqual(validateResponse("thread/list", noData), []);
  const badStatus = structuredClone(list);
  badStatus.data[0].status = { type: "sleeping" };
  assert.notDeepEqual(validateResponse("thread/list", badStatus), []);
  const badInt = structuredClone(list);
  badInt.data[0].createdAt = 1.5;
  assert.notDeepEqual(validateResponse("thread/list", badInt), []);
  const read = readJson(path.join(FIXTURE, "golden/final/read-approvals.json")).result;
  const noTurnId = structuredClone(read);
  delete noTurnId.thread.turns[0].id;
  assert.notDeepEqual(validateResponse("thread/read", noTurnId), []);
  assert.notDeepEqual(validateNotification("turn/completed", { nope: 1 }), []);
  assert.notDeepEqual(validateNotification("no/such/notification", {}), []);
  assert.notDeepEqual(validateServerRequest("item/commandExecution/requestApproval", {}), []);
});

test("every message of the corpus transcripts validates against the official schema", () => {
  const dir = path.join(FIXTURE, "transcripts");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort();
  assert.ok(files.length > 0);
  const counts = { notifications: 0, serverRequests: 0, responses: 0, errors: 0, clientRequests: 0, clientAnswers: 0 };
  const problems: string[] = [];
  for (const f of files) {
    const clientReqs = new Map<unknown, string>(); // our id -> method
    const serverReqs = new Map<unknown, string>(); // server's id -> method
    const lines = fs.readFileSync(path.join(dir, f), "utf8").split("\n").filter(Boolean);
    lines.forEach((l, i) => {
      const { dir: d, msg } = JSON.parse(l);
      const at = `${f}:${i + 1}`;
      const errs = (xs: string[]): void => void xs.forEach((e) => problems.push(`${at} ${e}`));
      if (d === ">>") {
        if (typeof msg.method === "string" && msg.id !== undefined) {
          clientReqs.set(msg.id, msg.method);
          counts.clientRequests++;
          errs(validateRequestParams(msg.method, msg.params));
        } else if (msg.id !== undefined && "result" in msg) {
          const m = serverReqs.get(msg.id);
          if (!m) problems.push(`${at} answer to unknown server request ${msg.id}`);
          else errs(validateServerRequestResponse(m, msg.result));
          counts.clientAnswers++;
        }
        return;
      }
      if (d !== "<<") return;
      if (typeof msg.method === "string" && msg.id !== undefined) {
        serverReqs.set(msg.id, msg.method);
        counts.serverRequests++;
        errs(validateServerRequest(msg.method, msg.params));
      } else if (typeof msg.method === "string") {
        counts.notifications++;
        errs(validateNotification(msg.method, msg.params));
      } else if (msg.id !== undefined && msg.error !== undefined) {
        counts.errors++;
        errs(validateErrorObject(msg.error));
      } else if (msg.id !== undefined) {
        const m = clientReqs.get(msg.id);
        if (!m) problems.push(`${at} response to unknown request ${msg.id}`);
        else errs(validateResponse(m, msg.result));
        counts.responses++;
      }
    });
  }
  assert.deepEqual(problems, []);
  assert.ok(counts.notifications > 100 && counts.serverRequests >= 2 && counts.responses > 50, JSON.stringify(counts));
});

test("compareGolden ignores per-machine fields, compares cursors by presence, reports the rest", () => {
  const exp = readJson(path.join(FIXTURE, "golden/final/list-page1.json")).result;
  assert.deepEqual(compareGolden(exp, structuredClone(exp)), []);
  const same = structuredClone(exp);
  same.data[0].path = "/elsewhere/rollout.jsonl";
  same.nextCursor = "another-opaque-cursor";
  delete same.readStates;
  assert.deepEqual(compareGolden(exp, same), []);
  // only the locations the corpus README allows are ignored: not the same names elsewhere
  const stamped = structuredClone(exp);
  stamped.data[0].emittedAtMs = 1;
  stamped.data[0].installationId = "x";
  assert.deepEqual(compareGolden(exp, stamped, "page1"), ["page1.data[0].emittedAtMs: unexpected", "page1.data[0].installationId: unexpected"]);
  const diff = structuredClone(exp);
  diff.data[0].preview = "changed";
  diff.nextCursor = null;
  diff.data[1].extraField = 1;
  delete diff.data[1].cwd;
  diff.data.push(structuredClone(diff.data[0]));
  const d = compareGolden(exp, diff, "page1");
  assert.ok(d.some((x) => x.startsWith("page1.data[0].preview: expected")), d.join("\n"));
  assert.ok(d.includes("page1.nextCursor: cursor presence set vs null"), d.join("\n"));
  assert.ok(d.includes("page1.data[1].extraField: unexpected") && d.includes("page1.data[1].cwd: missing"), d.join("\n"));
  assert.ok(d.includes(`page1.data: length ${exp.data.length} vs ${exp.data.length + 1}`), d.join("\n"));
  assert.deepEqual(compareGolden(1, "1"), ['result: expected 1 got "1"']);
  // a wrong fileChange path is a difference (only a thread's own rollout path is per-machine)
  const read = readJson(path.join(FIXTURE, "golden/final/read-fork.json")).result;
  const moved = structuredClone(read);
  const turn = moved.thread.turns.findIndex((t: { items: Array<{ type: string }> }) => t.items.some((i) => i.type === "fileChange"));
  const item = moved.thread.turns[turn].items.findIndex((i: { type: string }) => i.type === "fileChange");
  moved.thread.turns[turn].items[item].changes[0].path = "/wrong/file.txt";
  moved.thread.path = "/elsewhere/rollout.jsonl";
  const at = `read.thread.turns[${turn}].items[${item}].changes[0].path`;
  assert.deepEqual(compareGolden(read, moved, "read").map((d) => d.split(":")[0]), [at]);
});

test("goldenRequests reads golden/final as conformance.mjs does", () => {
  const reqs = [...goldenRequests(FIXTURE)];
  const files = fs.readdirSync(path.join(FIXTURE, "golden/final")).filter((f) => f.endsWith(".json")).sort();
  assert.deepEqual(reqs.map((r) => r.file), files);
  const by = new Map(reqs.map((r) => [r.file, r]));
  assert.equal(by.get("list-default.json")?.method, "thread/list");
  assert.equal(by.get("items-all-approvals.json")?.method, "thread/items/list");
  assert.equal(by.get("turns-limit3-approvals.json")?.method, "thread/turns/list");
  assert.equal(by.get("read-goal.json")?.method, "thread/read");
  const missing = by.get("read-missing.json")!;
  assert.deepEqual([missing.method, missing.params, missing.expected], ["thread/read", { threadId: MISSING_THREAD_ID }, { error: true }]);
  assert.equal(missing.expectedError?.code, -32600);
  const p2 = by.get("list-page2.json")!;
  assert.equal(p2.cursorFrom, "list-page1.json");
  assert.equal(p2.params.limit, 2);
});

test("copyCorpusHome copies the home, restores mtimes, and drops SQLite with filesOnly", () => {
  const mtimes = readJson(path.join(FIXTURE, "codex-home-mtimes.json")) as Record<string, number>;
  const home = copyCorpusHome(FIXTURE);
  try {
    for (const [rel, ms] of Object.entries(mtimes)) assert.equal(Math.round(fs.statSync(path.join(home, rel)).mtimeMs), ms, rel);
    fs.appendFileSync(path.join(home, "session_index.jsonl"), ""); // writable
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
  // a fixture with SQLite files (ours has none): filesOnly removes them
  const fx = fs.mkdtempSync(path.join(os.tmpdir(), "spool-fx-"));
  try {
    fs.mkdirSync(path.join(fx, "codex-home"));
    fs.writeFileSync(path.join(fx, "codex-home", "state_5.sqlite"), "x");
    fs.writeFileSync(path.join(fx, "codex-home", "config.toml"), "");
    const kept = copyCorpusHome(fx);
    const dropped = copyCorpusHome(fx, { filesOnly: true });
    assert.ok(fs.existsSync(path.join(kept, "state_5.sqlite")));
    assert.ok(!fs.existsSync(path.join(dropped, "state_5.sqlite")) && fs.existsSync(path.join(dropped, "config.toml")));
    fs.rmSync(kept, { recursive: true, force: true });
    fs.rmSync(dropped, { recursive: true, force: true });
  } finally {
    fs.rmSync(fx, { recursive: true, force: true });
  }
});

test("spoolCommand runs the built CLI with --home", () => {
  const { cmd, args } = spoolCommand("/some/home");
  assert.equal(cmd, process.execPath);
  assert.deepEqual(args, [path.join(repoRoot(), "dist/src/cli/main.js"), "app-server", "--home", "/some/home"]);
});

test("RpcClient drives the real Codex app-server; its live answers validate", async () => {
  const home = copyCorpusHome(FIXTURE);
  const transcript = path.join(home, "transcript.jsonl");
  const c = startCodex(home, { transcript });
  try {
    const init = await c.initialize("harness");
    assert.deepEqual(validateResponse("initialize", init), []);
    // whatever Codex answers over the (SQLite-less) fixture must still be schema-valid
    const outcomes = await replayGoldens(c, FIXTURE);
    assert.equal(outcomes.length, [...goldenRequests(FIXTURE)].length);
    for (const o of outcomes) {
      if (o.got?.error) assert.deepEqual(validateErrorObject(o.got.error), [], o.file);
      else assert.deepEqual(validateResponse(o.method, o.got), [], o.file);
    }
    assert.ok(outcomes.find((o) => o.file === "read-missing.json")?.ok);
    const list = await c.request("thread/list", { limit: 50 });
    assert.ok(list.data.length >= 5, `${list.data.length} threads`);
    // errors carry .rpc
    await assert.rejects(c.request("thread/read", { threadId: MISSING_THREAD_ID }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.rpc.code, -32600);
      assert.match(e.rpc.message, /thread not loaded/);
      return true;
    });
    await assert.rejects(c.request("no/such/method", {}), (e: any) => typeof e.rpc?.code === "number");
    // raw lines: an id'd request written by hand gets its answer in `messages`
    const id = 100000;
    c.sendRaw(JSON.stringify({ id, method: "thread/loaded/list", params: {} }));
    const ans = await c.waitForMessage((m) => m.id === id, 10000);
    assert.deepEqual(validateResponse("thread/loaded/list", ans.result), []);
    for (const n of c.notifications) assert.deepEqual(validateNotification(n.method, n.params), [], n.method);
    await c.waitFor(() => true, 5000); // Codex always says something (warnings, status)
    assert.ok((c.peakRssMb() ?? 1) > 0);
  } finally {
    const exit = await c.close();
    fs.rmSync(home, { recursive: true, force: true });
    assert.equal(exit.code, 0, c.stderr);
  }
  assert.ok(!fs.existsSync(home));
});

test("RpcClient reports a server that cannot start or dies, instead of hanging", async () => {
  const missing = new RpcClient(path.join(os.tmpdir(), "no-such-server-binary"), ["app-server"]);
  await assert.rejects(missing.initialize("x", undefined, 5000), /failed to start|not running/);
  await missing.close();
  const dies = new RpcClient(process.execPath, ["-e", "process.stderr.write('boom: no home'); process.exit(3)"]);
  await assert.rejects(dies.request("initialize", {}, 5000), /exited \(code 3\).*boom: no home/s);
  assert.deepEqual(await dies.close(), { code: 3, signal: null });
  // answers to server requests follow the policy
  const script = `
    const rl = require("readline").createInterface({ input: process.stdin });
    process.stdout.write(JSON.stringify({ id: "s1", method: "item/commandExecution/requestApproval", params: {} }) + "\\n");
    rl.on("line", (l) => { const m = JSON.parse(l); if (m.id === "s1") { process.stdout.write(JSON.stringify({ method: "echo", params: m }) + "\\n"); } });`;
  const fake = new RpcClient(process.execPath, ["-e", script], { approve: "decline" });
  const echo = await fake.waitForNotification("echo", () => true, 5000);
  assert.deepEqual(echo.params, { id: "s1", result: { decision: "decline" } });
  assert.equal(fake.serverRequests.length, 1);
  fake.kill();
  await fake.close();
});
