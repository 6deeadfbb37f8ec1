// The corpus scenario, run against `spool app-server`: a port of the driver that made the Codex
// corpus (/work/shared/tools/gen-codex-corpus.mjs, variants a and b) over stdio, with the
// project's scripted Responses server. Checks:
//  - the shape of every thread (turn statuses and errors, item types and statuses, exit codes,
//    changed files, user texts) equals what Codex recorded (test/fixtures/corpus/golden), read
//    back by Spool and, cold, by the real Codex 0.169.0 over Spool's home;
//  - what the turns reported live (item/completed, turn/completed) equals Codex's transcript;
//  - every notification, server request and response validates against the official schema;
//  - the order of everything Spool sent equals Codex's transcript (variant a).
// One documented difference: Spool writes legacy-mode rollouts, and Codex 0.169.0's legacy
// replay (which Spool's reader mirrors) builds no commandExecution items (it ignores
// exec_command_end); Codex's paginated read of its own threads has them. So the read shapes are
// compared without commandExecution items; the live shapes (which carry them, with exit codes)
// are compared in full.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startMockResponses, type MockResponses } from "./helpers/mock-responses.js";
import { startSpool, spoolMain } from "./helpers/spool.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startCodex } from "./helpers/codex.js";
import { corpusFixtureDir } from "./helpers/paths.js";
import type { RpcClient, TranscriptLine } from "./helpers/rpc-client.js";
import { validateNotification, validateResponse, validateServerRequest } from "./helpers/schema.js";

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
const CORPUS = corpusFixtureDir();
const CODEX_WS = "/home/dev/codex-demo/work/ws";
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, "utf8"));

// ---------------------------------------------------------------------------------------------
// the driver

interface Run {
  home: string;
  ws: string;
  threads: Record<string, string>;
  /** Spool's thread/read (includeTurns) answers during the scenario, by tag. */
  reads: Record<string, any>;
  /** Spool's cold reads (session 3), by tag. */
  finalReads: Record<string, any>;
  transcripts: Record<string, TranscriptLine[]>;
}

function texts(variant: "a" | "b") {
  const V = (a: string, b: string) => (variant === "a" ? a : b);
  return {
    basics: [
      V("hello there", "good morning, what is this repo?"),
      V("cmd: echo hi > out.txt && cat out.txt", "cmd: ls -la && printf 'a\\nb\\n' | wc -l"),
      V("think: a plan", "think: the refactor order"),
      V("patch: notes.md hello world", "patch: docs/plan.md step one"),
      V("search: codex threads", "search: sqlite wal mode"),
      V("cmd: false", "cmd: cat does-not-exist.txt"),
      V("fail: boom", "fail: rate limited"),
      V("after the failure", "still there?"),
    ],
    name: V("Basics thread", "Kitchen sink"),
    approvals: [V("esc: touch ../outside-a.txt", "esc: mkdir -p ../outside-b"), V("esc: rm -rf ../nothing-here", "esc: touch ../declined.txt")],
    interrupt: [V("slow: 40", "slow: 30"), V("resume after interrupt", "ok continue")],
    goal: [V("goal: ship the thread store", "goal: write the migration guide"), "goaldone"],
    archived: [V("to be archived", "archive me")],
    fork: [V("in the fork", "fork continues")],
    resume: [V("back again", "one more")],
    patchPath: V("notes.md", "docs/plan.md"),
    search: V("hello", "morning"),
  };
}

async function runScenario(variant: "a" | "b"): Promise<Run> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `spool-corpus-${variant}-`));
  dirs.push(root);
  const home = path.join(root, "work", "home");
  const ws = path.join(root, "work", "ws");
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(ws, { recursive: true });
  fs.writeFileSync(
    path.join(home, "config.toml"),
    `model = "mock-model"\nmodel_provider = "mock"\napproval_policy = "on-request"\nsandbox_mode = "workspace-write"\n\n[model_providers.mock]\nname = "Mock"\nbase_url = "${mock.url}"\nwire_api = "responses"\nrequest_max_retries = 0\nstream_max_retries = 0\nsupports_websockets = false\n`,
  );
  const T = texts(variant);
  const run: Run = { home, ws, threads: {}, reads: {}, finalReads: {}, transcripts: {} };
  let client!: RpcClient;
  const open = async (name: string) => {
    client = startSpool(home, { cwd: ws, env: { SPOOL_HOME: home, SPOOL_LOG: "error" } });
    await client.initialize(`corpus-${name}`);
  };
  const close = async (name: string) => {
    await client.close();
    run.transcripts[name] = client.lines;
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
  const golden = async (tag: string, tid: string) => {
    run.reads[tag] = await client.request("thread/read", { threadId: tid, includeTurns: true });
    run.threads[tag] = tid;
  };

  // session 1
  await open("s1-basics");
  let s = await client.request("thread/start", { cwd: ws });
  const t1 = s.thread.id;
  for (const text of T.basics) await turn(t1, text);
  await client.request("thread/name/set", { threadId: t1, name: T.name });
  await golden("basics", t1);

  s = await client.request("thread/start", { cwd: ws });
  const t2 = s.thread.id;
  await turn(t2, T.approvals[0], { approve: "accept" });
  await turn(t2, T.approvals[1], { approve: "decline" });
  await golden("approvals", t2);

  s = await client.request("thread/start", { cwd: ws });
  const t3 = s.thread.id;
  await turn(t3, T.interrupt[0], { interruptAfterMs: 1200 });
  await turn(t3, T.interrupt[1]);
  await golden("interrupt", t3);

  s = await client.request("thread/start", { cwd: ws });
  const t4 = s.thread.id;
  await turn(t4, T.goal[0]);
  await turn(t4, T.goal[1]);
  await client.request("thread/goal/get", { threadId: t4 }).catch((e) => ({ error: e.message }));
  await golden("goal", t4);

  s = await client.request("thread/start", { cwd: ws });
  const t5 = s.thread.id;
  await turn(t5, T.archived[0]);
  await golden("archived", t5);
  await client.request("thread/archive", { threadId: t5 });

  const f = await client.request("thread/fork", { threadId: t1 });
  const t6 = f.thread.id;
  await turn(t6, T.fork[0]);
  await golden("fork", t6);

  for (const params of [{}, { sortKey: "updated_at", sortDirection: "asc" }, { archived: true }, { limit: 2 }, { searchTerm: T.search }]) await client.request("thread/list", params);
  const loaded = await client.request("thread/loaded/list", {});
  assert.deepEqual(loaded.data, [t1, t2, t3, t4, t6].sort(), "thread/loaded/list: every thread this session loaded but the archived one");
  await close("s1-basics");

  // session 2: cold resume in a new process, one more turn
  await open("s2-resume");
  const r = await client.request("thread/resume", { threadId: t1 });
  run.reads["basics.resume"] = r;
  await turn(t1, T.resume[0]);
  await golden("basics-after-resume", t1);
  await close("s2-resume");

  // session 3: the final state, cold
  await open("s3-final");
  for (const [tag, id] of Object.entries(run.threads)) {
    if (tag === "basics") continue;
    run.finalReads[tag] = await client.request("thread/read", { threadId: id, includeTurns: true });
  }
  await close("s3-final");
  return run;
}

// ---------------------------------------------------------------------------------------------
// shapes

interface ItemShape {
  type: string;
  status?: string;
  exitCode?: number | null;
  changes?: string[];
  text?: string;
}
interface TurnShape {
  status: string;
  error: string | null;
  items: ItemShape[];
}

function itemShape(i: any, cwd: string): ItemShape {
  const out: ItemShape = { type: i.type };
  if (i.type === "commandExecution") {
    out.status = i.status;
    out.exitCode = i.exitCode;
  }
  if (i.type === "fileChange") {
    out.status = i.status;
    out.changes = (i.changes ?? []).map((c: any) => path.relative(cwd, c.path));
  }
  if (i.type === "userMessage") out.text = (i.content ?? []).map((c: any) => c.text ?? "").join("\n");
  return out;
}

function turnShapes(thread: any, cwd: string, o: { withCommands: boolean }): TurnShape[] {
  return thread.turns.map((t: any) => ({
    status: t.status,
    error: t.error?.message ?? null,
    items: t.items.filter((i: any) => o.withCommands || i.type !== "commandExecution").map((i: any) => itemShape(i, cwd)),
  }));
}

/** What the turns reported live, per turn in start order: completed items and the final status. */
function liveShapes(lines: TranscriptLine[], cwd: string, threadId: string): TurnShape[] {
  const turns = new Map<string, TurnShape>();
  for (const { dir, msg } of lines) {
    const m = msg as any;
    if (dir !== "<<" || typeof m?.method !== "string" || m.id !== undefined || m.params?.threadId !== threadId) continue;
    if (m.method === "turn/started") turns.set(m.params.turn.id, { status: "inProgress", error: null, items: [] });
    else if (m.method === "item/completed") turns.get(m.params.turnId)?.items.push(itemShape(m.params.item, cwd));
    else if (m.method === "turn/completed") {
      const t = turns.get(m.params.turn.id);
      if (t) {
        t.status = m.params.turn.status;
        t.error = m.params.turn.error?.message ?? null;
      }
    }
  }
  return [...turns.values()];
}

/** Codex's shapes with variant b's texts in place of variant a's (the same scripts in the same order). */
function substitute<T>(shapes: T, from: ReturnType<typeof texts>, to: ReturnType<typeof texts>): T {
  let s = JSON.stringify(shapes);
  const pairs: Array<[string, string]> = [];
  const keys = ["basics", "approvals", "interrupt", "goal", "archived", "fork", "resume"] as const;
  for (const k of keys) from[k].forEach((t, i) => pairs.push([t, to[k][i]]));
  pairs.push([from.patchPath, to.patchPath]);
  pairs.push(["mock refused: boom", "mock refused: rate limited"]);
  for (const [a, b] of pairs) s = s.split(JSON.stringify(a).slice(1, -1)).join(JSON.stringify(b).slice(1, -1));
  return JSON.parse(s);
}

const GOLDEN_TAGS = ["basics", "approvals", "interrupt", "goal", "archived", "fork", "basics-after-resume"];

function expectedReadShapes(variant: "a" | "b"): Record<string, TurnShape[]> {
  const out: Record<string, TurnShape[]> = {};
  for (const tag of GOLDEN_TAGS) out[tag] = turnShapes(readJson(path.join(CORPUS, "golden", `${tag}.read.json`)).thread, CODEX_WS, { withCommands: false });
  return variant === "a" ? out : substitute(out, texts("a"), texts("b"));
}

/** Codex's live shapes, from its transcripts, by tag (approvals, basics… as the driver made them). */
function expectedLiveShapes(variant: "a" | "b"): Record<string, TurnShape[]> {
  const threads = readJson(path.join(CORPUS, "threads.json")) as Record<string, { id: string }>;
  const load = (n: string) => fs.readFileSync(path.join(CORPUS, "transcripts", `${n}.jsonl`), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as TranscriptLine);
  const s1 = load("s1-basics");
  const s2 = load("s2-resume");
  const out: Record<string, TurnShape[]> = {};
  for (const tag of ["basics", "approvals", "interrupt", "goal", "archived", "fork"]) out[tag] = liveShapes(s1, CODEX_WS, threads[tag].id);
  out.resume = liveShapes(s2, CODEX_WS, threads.basics.id);
  return variant === "a" ? out : substitute(out, texts("a"), texts("b"));
}

// ---------------------------------------------------------------------------------------------
// order

const NOT_COMPARED = new Set([
  // Codex-only: rate limits, model metadata warnings, read states, remote control, sandbox setup, deprecations, diffs
  "account/rateLimits/updated",
  "warning",
  "thread/readState/changed",
  "configWarning",
  "remoteControl/status/changed",
  "deprecationNotice",
  "turn/diff/updated",
  // goals are another feature
  "thread/goal/updated",
  "thread/goal/cleared",
  // Spool streams every command's output; Codex's unified exec sent none for these short commands
  "item/commandExecution/outputDelta",
  // as many as the model's chunks: compared by content through item/completed
  "item/agentMessage/delta",
]);

/** What the server sent, in order: methods with item types and statuses, responses. */
function sentSequence(lines: TranscriptLine[]): string[] {
  const requests = new Map<unknown, string>();
  const out: string[] = [];
  for (const { dir, msg } of lines) {
    const m = msg as any;
    if (dir === ">>" && typeof m?.method === "string" && m.id !== undefined) requests.set(m.id, m.method);
    if (dir !== "<<" || !m || typeof m !== "object") continue;
    if (typeof m.method === "string") {
      if (NOT_COMPARED.has(m.method)) continue;
      const p = m.params ?? {};
      let extra = "";
      if (m.method === "item/started" || m.method === "item/completed") extra = ` ${p.item.type} ${p.item.status ?? ""}`;
      else if (m.method === "thread/status/changed") extra = ` ${JSON.stringify(p.status)}`;
      else if (m.method.startsWith("turn/")) extra = ` ${p.turn?.status ?? ""}`;
      out.push(`${m.id !== undefined ? "request " : ""}${m.method}${extra}`);
    } else {
      const method = requests.get(m.id);
      if (method === "thread/goal/get") continue;
      out.push(`response ${method}${m.error ? " error" : ""}`);
    }
  }
  return out;
}

function validateTranscript(lines: TranscriptLine[], label: string): number {
  const requests = new Map<unknown, string>();
  let checked = 0;
  for (const { dir, msg } of lines) {
    const m = msg as any;
    if (dir === ">>" && typeof m?.method === "string" && m.id !== undefined) requests.set(m.id, m.method);
    if (dir !== "<<") continue;
    let errs: string[] = [];
    if (typeof m.method === "string" && m.id !== undefined) errs = validateServerRequest(m.method, m.params);
    else if (typeof m.method === "string") errs = validateNotification(m.method, m.params);
    else if (m.result !== undefined) {
      const method = requests.get(m.id);
      if (!method) continue;
      errs = validateResponse(method, m.result);
    } else continue;
    assert.deepEqual(errs, [], `${label}: ${m.method ?? `response to ${requests.get(m.id)}`} validates: ${JSON.stringify(m).slice(0, 300)}`);
    checked++;
  }
  return checked;
}

// ---------------------------------------------------------------------------------------------

for (const variant of ["a", "b"] as const) {
  test(`corpus scenario ${variant}: Spool's threads have Codex's shapes, live and read back, by Spool and by a cold Codex`, { timeout: 240_000 }, async () => {
    const run = await runScenario(variant);
    const expectedRead = expectedReadShapes(variant);
    const expectedLive = expectedLiveShapes(variant);

    // read back by Spool during the scenario
    for (const tag of GOLDEN_TAGS) {
      const thread = run.reads[tag].thread;
      assert.deepEqual(turnShapes(thread, run.ws, { withCommands: true }), expectedRead[tag], `${tag}: Spool's thread/read`);
      assert.equal(thread.status.type, "idle", `${tag}: a loaded thread reads idle`);
      assert.equal(thread.historyMode, "legacy");
    }
    assert.equal(run.reads.basics.thread.name, texts(variant).name);
    assert.equal(run.reads.fork.thread.name, texts(variant).name, "a fork keeps the source's name");
    assert.equal(run.reads.fork.thread.forkedFromId, run.threads.basics);
    assert.equal(run.reads["basics.resume"].thread.status.type, "idle");
    assert.deepEqual(turnShapes(run.reads["basics.resume"].thread, run.ws, { withCommands: true }), expectedRead.basics, "resume answers the rebuilt turns");

    // live: what the turns reported, commands included
    const s1 = run.transcripts["s1-basics"];
    for (const tag of ["basics", "approvals", "interrupt", "goal", "archived", "fork"]) {
      const got = liveShapes(s1, run.ws, run.threads[tag]);
      assert.deepEqual(got, expectedLive[tag], `${tag}: live item/completed and turn/completed`);
    }
    assert.deepEqual(liveShapes(run.transcripts["s2-resume"], run.ws, run.threads.basics), expectedLive.resume, "the turn after a cold resume");

    // every message validates
    let checked = 0;
    for (const [name, lines] of Object.entries(run.transcripts)) checked += validateTranscript(lines, name);
    assert.ok(checked > 250, `validated ${checked} messages`);

    // order: Codex's transcript, message for message (variant a has Codex's own to compare with)
    if (variant === "a") {
      for (const name of ["s1-basics", "s2-resume"]) {
        const codex = fs.readFileSync(path.join(CORPUS, "transcripts", `${name}.jsonl`), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as TranscriptLine);
        assert.deepEqual(sentSequence(run.transcripts[name]), sentSequence(codex), `${name}: what the server sent, in order`);
      }
    }

    // cold: Spool in a new process, and the real Codex, read Spool's home the same way
    const codex = startCodex(run.home);
    try {
      await codex.initialize("corpus-codex-reads");
      for (const [tag, id] of Object.entries(run.threads)) {
        if (tag === "basics") continue;
        const c = (await codex.request("thread/read", { threadId: id, includeTurns: true })).thread;
        const sp = run.finalReads[tag].thread;
        assert.equal(c.historyMode, "legacy");
        assert.deepEqual(turnShapes(c, run.ws, { withCommands: true }), expectedRead[tag], `${tag}: Codex reads Spool's home with Codex's shapes`);
        assert.deepEqual(turnShapes(sp, run.ws, { withCommands: true }), expectedRead[tag], `${tag}: Spool reads it cold the same way`);
        assert.deepEqual(sp.turns, c.turns, `${tag}: Spool's cold read equals Codex's, field for field`);
        for (const k of ["id", "preview", "name", "forkedFromId", "cwd", "modelProvider", "model", "source", "status"]) assert.deepEqual(sp[k], c[k], `${tag}: thread.${k}`);
      }
      const list = await codex.request("thread/list", {});
      assert.equal(list.data.length, 5, "Codex lists the five active threads");
      const archived = await codex.request("thread/list", { archived: true });
      assert.deepEqual(
        archived.data.map((t: any) => t.id),
        [run.threads.archived],
      );
    } finally {
      await codex.close();
    }
  });
}

// The shared driver itself, unchanged, against `spool app-server` (when /work/shared is there):
// it runs through, and the thread reads it keeps have Codex's shapes.
const SHARED_DRIVER = "/work/shared/tools/gen-codex-corpus.mjs";
for (const variant of ["a", "b"] as const) {
  test(`the unchanged corpus driver (variant ${variant}) runs against spool app-server`, { timeout: 240_000, skip: !fs.existsSync(SHARED_DRIVER) && "no /work/shared/tools" }, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `spool-driver-${variant}-`));
    dirs.push(root);
    const bin = path.join(root, "spool");
    fs.writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${spoolMain()}" "$@"\n`, { mode: 0o755 });
    const out = path.join(root, "out");
    const { stdout } = await promisify(execFile)(process.execPath, [SHARED_DRIVER, bin, out, variant], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: root, SPOOL_LOG: "error" },
      cwd: root,
      timeout: 200_000,
    });
    assert.match(stdout, /done basics approvals interrupt goal archived fork basics-after-resume/);
    const expected = expectedReadShapes(variant);
    const ws = path.join(out, "work", "ws");
    for (const tag of GOLDEN_TAGS) {
      const got = readJson(path.join(out, "golden", `${tag}.read.json`)).thread;
      assert.deepEqual(turnShapes(got, ws, { withCommands: true }), expected[tag], `${tag}: the driver's read`);
    }
    assert.equal(readJson(path.join(out, "golden", "loaded-list.json")).data.length, 5);
  });
}
