// The real, unmodified Codex 0.169.0 TUI (`codex --remote ws://…`, in tmux) used as a user would,
// against `codex app-server --listen` and against `spool app-server --listen`, with the scripted
// Responses server as the model provider. The script (helpers/tui-script.ts) runs against both;
// every frame between TUI and server is logged by a proxy and validated against the schema; the
// masked screens after each step are diffed; the requests Codex answered are replayed against
// Spool to list what it lacks, step by step. Artifacts land in .cache/tui-remote/ (frames,
// screens, diffs, gaps.md). Steps Spool cannot pass yet are `todo` (see test/tui-remote.md).
import { test, after, type TestContext } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { useMockResponses } from "./helpers/mock-home.js";
import type { MockScriptContext } from "./helpers/mock-responses.js";
import { codexBin, codexEnv } from "./helpers/codex.js";
import { spoolMain } from "./helpers/spool.js";
import { cacheDir, repoRoot } from "./helpers/paths.js";
import { validateNotification, validateResponse, validateServerRequest } from "./helpers/schema.js";
import { startFrameProxy, type Exchange, type Frame, type StubAnswer } from "./helpers/ws-frame-proxy.js";
import { TuiSession, startWsServer, tmuxAvailable, tuiConfigToml, writeArtifact, type WsServerProcess } from "./helpers/tui.js";
import { SCRIPT, WORKSPACE_FILE, type ScriptRun } from "./helpers/tui-script.js";
import { maskScreen, diffScreens } from "./helpers/tui-screen.js";
import { probeGaps, gapsMarkdown, recordedAnswers, unsentMethods, type Gap } from "./helpers/tui-gaps.js";

/**
 * Why each step cannot pass against Spool yet (measured on this branch; details in
 * test/tui-remote.md and .cache/tui-remote/gaps.md). Remove a line when its step passes.
 */
const CATALOG = "model/list lists the provider's models without Codex's bundled catalog (display names, reasoning presets), so the picker has no \"GPT-6.1-Sol (current)\" row";
const SPOOL_TODO: Record<string, string> = {
  "/model opens the model picker": CATALOG,
  "/status shows the session": `follows /model: the picker never opened, so "/status" is typed into a turn (${CATALOG})`,
};
const SCREENS_TODO = "the /model and /status screens (catalog), the apply_patch output's Wall time lines and the footer's model name (\"gpt-6.1-sol medium\" vs \"GPT-6.1-Sol default\") differ";

const ARTIFACTS = cacheDir("tui-remote");
const noTmux = tmuxAvailable() ? false : "tmux is not installed (.ci/run installs it)";

// The bundled model the TUI is configured with is served in Codex's "responses lite" form (no
// `tools` list in the request), so the mock's default would fall back to the old `shell` tool:
// answer `cmd:` with an exec_command call whatever tools the request lists.
function execCommandForCmd(ctx: MockScriptContext): boolean {
  if (!ctx.text.startsWith("cmd:") || ctx.last.type !== "message") return false;
  const rid = ctx.nextId("resp");
  ctx.beginStream();
  ctx.sse("response.created", { response: { id: rid } });
  ctx.sse("response.output_item.done", { item: { type: "function_call", name: "exec_command", call_id: ctx.nextId("call"), arguments: JSON.stringify({ cmd: ctx.text.slice(4).trim(), login: false }) } });
  ctx.completed(rid);
  return true;
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  TuiSession.killServer();
  for (const c of cleanups.reverse()) await c();
});
const fx = useMockResponses({ script: execCommandForCmd });

interface RunResult {
  screens: Map<string, string>;
  frames: Frame[];
  exchanges: Exchange[];
  paths: { ws: string; serverHome: string; tuiHome: string };
}

type Launch = (home: string, ws: string) => Promise<WsServerProcess>;

const launchCodex: Launch = (home, ws) => startWsServer(codexBin(), ["app-server", "--listen", "ws://127.0.0.1:0"], { cwd: ws, env: codexEnv(home) });
const launchSpool: Launch = (home, ws) =>
  startWsServer(process.execPath, [spoolMain(), "app-server", "--home", home, "--listen", "ws://127.0.0.1:0"], { cwd: ws, env: { SPOOL_HOME: home, SPOOL_LOG: "error" } });

/** The errors and unanswered requests of one step, for a failing step's message. */
function serverTrouble(exchanges: Exchange[], step: string): string {
  const bad = exchanges.filter((e) => e.step === step && (!e.answer || e.answer.error));
  if (!bad.length) return "";
  return "\nrequests the server refused or left unanswered in this step:\n" + bad.map((e) => `  ${e.method}: ${e.answer?.error ? `${e.answer.error.code} ${e.answer.error.message.slice(0, 200)}` : "no answer"}`).join("\n");
}

const SCHEMA_STEP = "every frame the server sent validates against the schema";

interface RunOptions {
  /** Steps expected to fail, with why. */
  todo?: Record<string, string>;
  /** Runs while the server is still up, after the script. */
  andThen?: (url: string) => Promise<void>;
  /** Diagnostics only: answers the proxy gives instead of the server (paths of this run given). */
  stub?: (paths: { ws: string; serverHome: string; tuiHome: string }) => StubAnswer;
}

/** Runs the whole script against one server, each step a subtest. */
async function runScript(t: TestContext, label: string, launch: Launch, o: RunOptions = {}): Promise<RunResult> {
  const todo = o.todo ?? {};
  // homes outside the OS temp dir: Codex refuses to create its sandbox helper links under it,
  // and sandboxed commands then fail
  const homes = fs.mkdtempSync(path.join(ARTIFACTS, `${label}-`));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `spool-tui-${label}-`));
  cleanups.push(() => fs.rmSync(homes, { recursive: true, force: true }), () => fs.rmSync(root, { recursive: true, force: true }));
  const ws = path.join(root, "ws");
  const serverHome = path.join(homes, "server-home");
  const tuiHome = path.join(homes, "tui-home");
  for (const d of [ws, serverHome, tuiHome]) fs.mkdirSync(d, { recursive: true });
  const config = tuiConfigToml(fx.mock.url, ws);
  fs.writeFileSync(path.join(serverHome, "config.toml"), config);
  fs.writeFileSync(path.join(tuiHome, "config.toml"), config);
  fs.writeFileSync(path.join(ws, WORKSPACE_FILE), "# notes the @ mention must find\n");

  const server = await launch(serverHome, ws);
  cleanups.push(() => server.stop());
  const frameLog = path.join(ARTIFACTS, `${label}.frames.jsonl`);
  fs.rmSync(frameLog, { force: true });
  const proxy = await startFrameProxy(server.url, frameLog, o.stub?.({ ws, serverHome, tuiHome }));
  cleanups.push(() => proxy.close());
  const serverSent = (method: string, where: (params: any) => boolean = () => true) =>
    proxy.frames.filter((f) => f.dir === "s2c" && f.msg.method === method && f.msg.id === undefined && where(f.msg.params)).length;
  const run: ScriptRun = { url: proxy.url, tuiHome, ws, mock: fx.mock, serverSent };
  const masks = { [ws]: "<ws>", [root]: "<root>", [tuiHome]: "<tui-home>", [serverHome]: "<server-home>" };
  const screens = new Map<string, string>();
  try {
    for (const step of SCRIPT) {
      proxy.step = step.name;
      await t.test(step.name, { todo: todo[step.name] }, async () => {
        try {
          await step.run(run);
        } catch (e) {
          (e as Error).message += serverTrouble(proxy.exchanges(), step.name);
          throw e;
        } finally {
          screens.set(step.name, maskScreen(run.tui ? run.tui.visible() : "(no TUI)", masks));
        }
      });
    }
    proxy.step = "(after the script)";
    await t.test(SCHEMA_STEP, { todo: todo[SCHEMA_STEP] }, () => assertFramesValid(proxy.frames));
    if (o.andThen) await o.andThen(server.url);
  } finally {
    run.tui?.kill();
    writeArtifact(ARTIFACTS, `${label}.screens.txt`, [...screens].map(([k, v]) => `=== ${k}\n${v}`).join("\n\n") + "\n");
  }
  return { screens, frames: proxy.frames, exchanges: proxy.exchanges(), paths: { ws, serverHome, tuiHome } };
}

function assertFramesValid(frames: Frame[]): void {
  const methods = new Map<string, string>();
  const problems: string[] = [];
  for (const f of frames) {
    const m = f.msg;
    const key = `${f.conn}:${JSON.stringify(m.id)}`;
    if (f.dir === "c2s") {
      if (typeof m.method === "string" && m.id !== undefined) methods.set(key, m.method);
      continue;
    }
    let errs: string[] = [];
    if (typeof m.method === "string") errs = m.id !== undefined ? validateServerRequest(m.method, m.params) : validateNotification(m.method, m.params);
    else if (m.result !== undefined && methods.has(key)) errs = validateResponse(methods.get(key)!, m.result);
    if (errs.length) problems.push(`${m.method ?? methods.get(key)}: ${errs.slice(0, 3).join("; ")}`);
  }
  assert.deepEqual(problems, [], "every notification, server request and answer matches Codex's JSON Schema");
}

let codexRun: RunResult | undefined;
let spoolRun: RunResult | undefined;
let spoolGaps: Gap[] = [];
const STEP_NAMES = SCRIPT.map((s) => s.name).concat("(after the script)");

/** All of Spool's sources as one text (to find event names Spool never emits). */
function spoolSources(): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) out.push(fs.readFileSync(p, "utf8"));
    }
  };
  walk(path.join(repoRoot(), "src"));
  return out.join("\n");
}

test("the Codex TUI against codex app-server (the reference run)", { skip: noTmux, timeout: 20 * 60_000 }, async (t) => {
  codexRun = await runScript(t, "codex", launchCodex);
});

test("the Codex TUI against spool app-server", { skip: noTmux, timeout: 20 * 60_000 }, async (t) => {
  spoolRun = await runScript(t, "spool", launchSpool, {
    todo: SPOOL_TODO,
    andThen: async (url) => {
      if (!codexRun) return;
      // what Spool lacks, step by step: the requests Codex answered, replayed; the events Codex sent
      const gaps = (await probeGaps(url, codexRun.exchanges)).concat(unsentMethods(codexRun.frames, spoolSources()));
      spoolGaps = gaps;
      writeArtifact(ARTIFACTS, "gaps.md", gapsMarkdown(STEP_NAMES, gaps) + "\n");
      t.diagnostic(`what the TUI asked of Codex that Spool lacks (${gaps.length}; table in .cache/tui-remote/gaps.md):`);
      for (const g of gaps) t.diagnostic(`${g.step}: ${g.method}: ${g.problem}`);
    },
  });
});

// Diagnostics for the integrator (SPOOL_TUI_STUBS=1): the proxy answers the methods Spool does not
// know with Codex's recorded answers, so the TUI gets past them and the later steps show what
// else Spool lacks. Never evidence that Spool passes: every step is todo.
// SPOOL_TUI_STUBS=1 stubs every method Spool does not know; a comma-separated list stubs only those.
const stubsEnv = process.env.SPOOL_TUI_STUBS ?? "";
const stubsWanted = stubsEnv ? false : "diagnostic run: set SPOOL_TUI_STUBS=1 to run the TUI against Spool with Codex's answers for the methods Spool lacks";
test("diagnostic: the Codex TUI against spool with Codex's answers for the methods it lacks", { skip: noTmux || stubsWanted, timeout: 30 * 60_000 }, async (t) => {
  assert.ok(codexRun, "the reference run happened");
  const unknown = spoolGaps.filter((g) => g.problem === "unknown method").map((g) => g.method);
  const lacking = new Set(stubsEnv === "1" ? unknown : stubsEnv.split(",").filter((m) => unknown.includes(m)));
  t.diagnostic(`stubbed with Codex's answers: ${[...lacking].join(", ")}`);
  const todo = Object.fromEntries([...SCRIPT.map((s) => s.name), SCHEMA_STEP].map((n) => [n, "diagnostic run with stubbed methods"]));
  const ref = codexRun.paths;
  const run = await runScript(t, "spool-stubbed", launchSpool, {
    todo,
    stub: (p) => recordedAnswers(codexRun!.exchanges, lacking, [[ref.ws, p.ws], [ref.serverHome, p.serverHome], [ref.tuiHome, p.tuiHome]]),
  });
  const diffs = SCRIPT.map((s) => diffScreens({ label: `codex: ${s.name}`, text: codexRun!.screens.get(s.name) ?? "" }, { label: `spool-stubbed: ${s.name}`, text: run.screens.get(s.name) ?? "" })).filter(Boolean);
  writeArtifact(ARTIFACTS, "screens-stubbed.diff", diffs.join("\n"));
});

test("Spool's screens match Codex's step by step (masked)", { skip: noTmux, todo: SCREENS_TODO }, () => {
  assert.ok(codexRun && spoolRun, "both runs happened");
  const diffs: string[] = [];
  for (const step of SCRIPT) {
    const d = diffScreens({ label: `codex: ${step.name}`, text: codexRun.screens.get(step.name) ?? "" }, { label: `spool: ${step.name}`, text: spoolRun.screens.get(step.name) ?? "" });
    if (d) diffs.push(d);
  }
  writeArtifact(ARTIFACTS, "screens.diff", diffs.join("\n"));
  assert.equal(diffs.length, 0, `screens differ in ${diffs.length} steps (.cache/tui-remote/screens.diff):\n${diffs.join("\n").slice(0, 6000)}`);
});
