// The corpus scenario, run against `spool app-server`: the port of the driver that made the Codex
// corpus (helpers/corpus-scenario.ts, variants a and b) over stdio, with the project's scripted
// Responses server. Checks:
//  - the shape of every thread (turn statuses and errors, item types and statuses, exit codes,
//    changed files, user texts) equals what Codex recorded (test/fixtures/corpus/golden), read
//    back by Spool and, cold, by the real Codex 0.169.0 over Spool's home;
//  - what the turns reported live (item/completed, turn/completed) equals Codex's transcript;
//  - every notification, server request and response validates against the official schema;
//  - the order of everything Spool sent equals Codex's transcript (variant a).
// One documented difference, in what a cold Codex reads: Spool writes legacy-mode rollouts, and
// Codex 0.169.0's legacy replay builds no commandExecution items (it ignores exec_command_end and
// item_completed CommandExecution); Codex's paginated read of its own threads has them. Spool's
// reader shows them for the threads it wrote (their session_meta carries Spool's mark, see
// src/history/codex-lines.ts), so Spool's reads equal what Codex recorded, commands and exit codes
// included, and a cold Codex's read of Spool's home equals Spool's read minus its commandExecution
// items (the rest field for field).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spoolMain } from "./helpers/spool.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startCodex } from "./helpers/codex.js";
import { corpusFixtureDir } from "./helpers/paths.js";
import { withoutStableIds } from "./helpers/compare.js";
import type { TranscriptLine } from "./helpers/rpc-client.js";
import { corpusTexts, runCorpusScenario, type CorpusRun } from "./helpers/corpus-scenario.js";
import { useMockResponses } from "./helpers/mock-home.js";
import { validateNotification, validateResponse, validateServerRequest } from "./helpers/schema.js";

const fx = useMockResponses();
const { dirs } = fx;

const CORPUS = corpusFixtureDir();
const CODEX_WS = "/home/dev/codex-demo/work/ws";
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, "utf8"));

/** The scenario in a fresh home laid out like the corpus's (`<root>/work/{home,ws}`). */
function runScenario(variant: "a" | "b"): Promise<CorpusRun> {
  const { home, ws } = fx.makeHome({ prefix: `spool-corpus-${variant}-`, under: "work" });
  return runCorpusScenario(home, ws, { variant });
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

function turnShapes(thread: any, cwd: string): TurnShape[] {
  return thread.turns.map((t: any) => ({ status: t.status, error: t.error?.message ?? null, items: t.items.map((i: any) => itemShape(i, cwd)) }));
}

/** What Codex's legacy replay cannot show: shapes, or v2 turns, without their commandExecution items. */
const withoutCommands = <T extends { items: Array<{ type: string }> }>(turns: T[]): T[] => turns.map((t) => ({ ...t, items: t.items.filter((i) => i.type !== "commandExecution") }));

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
function substitute<T>(shapes: T, from: ReturnType<typeof corpusTexts>, to: ReturnType<typeof corpusTexts>): T {
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
  for (const tag of GOLDEN_TAGS) out[tag] = turnShapes(readJson(path.join(CORPUS, "golden", `${tag}.read.json`)).thread, CODEX_WS);
  return variant === "a" ? out : substitute(out, corpusTexts("a"), corpusTexts("b"));
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
  return variant === "a" ? out : substitute(out, corpusTexts("a"), corpusTexts("b"));
}

// ---------------------------------------------------------------------------------------------
// order

const NOT_COMPARED = new Set([
  // Codex-only: rate limits, model metadata warnings, read states, remote control, sandbox setup, deprecations
  "account/rateLimits/updated",
  "warning",
  "thread/readState/changed",
  "configWarning",
  "remoteControl/status/changed",
  "deprecationNotice",
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
  test(`corpus scenario ${variant}: Spool's threads have Codex's shapes, live and read back, by Spool and by a cold Codex`, async () => {
    const run = await runScenario(variant);
    const expectedRead = expectedReadShapes(variant);
    const expectedLive = expectedLiveShapes(variant);
    const th = run.threads;
    assert.deepEqual(run.loaded, [th.basics, th.approvals, th.interrupt, th.goal, th.fork].sort(), "thread/loaded/list: every thread session 1 loaded but the archived one");

    // read back by Spool during the scenario
    for (const tag of GOLDEN_TAGS) {
      const thread = run.reads[tag].thread;
      assert.deepEqual(turnShapes(thread, run.ws), expectedRead[tag], `${tag}: Spool's thread/read (commands and exit codes included)`);
      assert.equal(thread.status.type, "idle", `${tag}: a loaded thread reads idle`);
      assert.equal(thread.historyMode, "legacy");
    }
    assert.equal(run.reads.basics.thread.name, corpusTexts(variant).name);
    assert.equal(run.reads.fork.thread.name, corpusTexts(variant).name, "a fork keeps the source's name");
    assert.equal(run.reads.fork.thread.forkedFromId, run.threads.basics);
    assert.equal(run.reads["basics.resume"].thread.status.type, "idle");
    assert.deepEqual(turnShapes(run.reads["basics.resume"].thread, run.ws), expectedRead.basics, "resume answers the rebuilt turns");

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
        const diffs = (lines: TranscriptLine[]) => lines.flatMap(({ dir, msg }) => ((msg as any)?.method === "turn/diff/updated" && dir === "<<" ? [(msg as any).params.diff] : []));
        assert.deepEqual(diffs(run.transcripts[name]), diffs(codex), `${name}: the turns' aggregated diffs`);
      }
    }

    // cold: Spool in a new process reads Spool's home as Codex recorded it; the real Codex the
    // same but for the commands (its legacy replay has none)
    const liveIds = new Set<string>();
    for (const lines of Object.values(run.transcripts))
      for (const { dir, msg } of lines) {
        const m = msg as { method?: string; params?: { item?: { id?: string } } };
        if (dir === "<<" && m.method === "item/completed" && m.params?.item?.id) liveIds.add(m.params.item.id);
      }
    const codex = startCodex(run.home);
    try {
      await codex.initialize("corpus-codex-reads");
      for (const [tag, id] of Object.entries(run.threads)) {
        if (tag === "basics") continue;
        const c = (await codex.request("thread/read", { threadId: id, includeTurns: true })).thread;
        const sp = run.finalReads[tag].thread;
        assert.equal(c.historyMode, "legacy");
        assert.deepEqual(turnShapes(c, run.ws), withoutCommands(expectedRead[tag]), `${tag}: Codex reads Spool's home with Codex's shapes, less the commands`);
        assert.deepEqual(turnShapes(sp, run.ws), expectedRead[tag], `${tag}: Spool reads it cold as Codex recorded it`);
        assert.deepEqual(withoutStableIds(withoutCommands(sp.turns)), withoutStableIds(c.turns), `${tag}: Spool's cold read minus its commandExecution items equals Codex's, field for field but item-N ids and times`);
        for (const turn of sp.turns as Array<{ items: Array<{ id: string }> }>)
          for (const item of turn.items) assert.ok(liveIds.has(item.id), `${tag}: Spool reads item ${item.id} back with the id a client saw live`);
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
  test(`the unchanged corpus driver (variant ${variant}) runs against spool app-server`, { skip: !fs.existsSync(SHARED_DRIVER) && "no /work/shared/tools" }, async () => {
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
      assert.deepEqual(turnShapes(got, ws), expected[tag], `${tag}: the driver's read`);
    }
    assert.equal(readJson(path.join(out, "golden", "loaded-list.json")).data.length, 5);
  });
}
