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
import { cacheDir } from "./helpers/paths.js";
import { validateNotification, validateResponse, validateServerRequest } from "./helpers/schema.js";
import { startFrameProxy, type Exchange, type Frame } from "./helpers/ws-frame-proxy.js";
import { TuiSession, startWsServer, tmuxAvailable, tuiConfigToml, writeArtifact, type WsServerProcess } from "./helpers/tui.js";
import { SCRIPT, WORKSPACE_FILE, type ScriptRun } from "./helpers/tui-script.js";
import { maskScreen, diffScreens } from "./helpers/tui-screen.js";
import { probeGaps, gapsMarkdown } from "./helpers/tui-gaps.js";

/**
 * Why each step cannot pass against Spool yet (measured on this branch; details in
 * test/tui-remote.md and .cache/tui-remote/gaps.md). Remove a line when its step passes.
 */
const STARTUP = "the TUI exits at start: account/read, config/read, model/list, configRequirements/read are unknown to Spool";
const SPOOL_TODO: Record<string, string> = Object.fromEntries(SCRIPT.map((s) => [s.name, STARTUP]));
SPOOL_TODO["resume lists the thread"] = `${STARTUP}; the picker also needs thread/list's sortKey "section_position"/useStateDbOnly params`;

const ARTIFACTS = path.join(cacheDir("tui-remote"));
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

/** Runs the whole script against one server, each step a subtest; keeps the server for `andThen`. */
async function runScript(t: TestContext, label: string, launch: Launch, todo: Record<string, string>, andThen?: (url: string) => Promise<void>): Promise<RunResult> {
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
  const proxy = await startFrameProxy(server.url, frameLog);
  cleanups.push(() => proxy.close());
  const serverSent = (method: string) => proxy.frames.filter((f) => f.dir === "s2c" && f.msg.method === method && f.msg.id === undefined).length;
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
    await t.test("every frame the server sent validates against the schema", () => assertFramesValid(proxy.frames));
    if (andThen) await andThen(server.url);
  } finally {
    run.tui?.kill();
    writeArtifact(ARTIFACTS, `${label}.screens.txt`, [...screens].map(([k, v]) => `=== ${k}\n${v}`).join("\n\n") + "\n");
  }
  return { screens, frames: proxy.frames, exchanges: proxy.exchanges() };
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

test("the Codex TUI against codex app-server (the reference run)", { skip: noTmux, timeout: 20 * 60_000 }, async (t) => {
  codexRun = await runScript(t, "codex", launchCodex, {});
});

test("the Codex TUI against spool app-server", { skip: noTmux, timeout: 20 * 60_000 }, async (t) => {
  spoolRun = await runScript(t, "spool", launchSpool, SPOOL_TODO, async (url) => {
    if (!codexRun) return;
    // what Spool lacks, step by step, found by replaying the requests Codex answered
    const gaps = await probeGaps(url, codexRun.exchanges);
    const md = gapsMarkdown(SCRIPT.map((s) => s.name).concat("(after the script)"), gaps);
    writeArtifact(ARTIFACTS, "gaps.md", md + "\n");
    t.diagnostic(`requests of the TUI that Spool does not answer as Codex does (${gaps.length}; table in .cache/tui-remote/gaps.md)`);
    for (const g of gaps) t.diagnostic(`${g.step}: ${g.method}: ${g.problem}`);
  });
});

test("Spool's screens match Codex's step by step (masked)", { skip: noTmux, todo: STARTUP }, () => {
  assert.ok(codexRun && spoolRun, "both runs happened");
  const diffs: string[] = [];
  for (const step of SCRIPT) {
    const d = diffScreens({ label: `codex: ${step.name}`, text: codexRun.screens.get(step.name) ?? "" }, { label: `spool: ${step.name}`, text: spoolRun.screens.get(step.name) ?? "" });
    if (d) diffs.push(d);
  }
  writeArtifact(ARTIFACTS, "screens.diff", diffs.join("\n"));
  assert.equal(diffs.length, 0, `screens differ in ${diffs.length} steps (.cache/tui-remote/screens.diff):\n${diffs.join("\n").slice(0, 6000)}`);
});
