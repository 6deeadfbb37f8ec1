#!/usr/bin/env node
// make-legacy-fixtures.mjs: regenerates test/fixtures/legacy/<release>/, Codex homes written by
// OLDER Codex releases, plus what Codex 0.169.0 answers about them (golden/final/*.json).
//
// Usage (from the repo root; a clean environment is not required, the script gives every Codex
// process a clean one itself):
//   node scripts/make-legacy-fixtures.mjs [RELEASE...] [--no-check] [--keep-work]
//     RELEASE      one or more of 0.50.0 0.80.0 0.110.0 (default: all of them)
//     --no-check   skip the final CONF_FILES_ONLY=1 conformance run of Codex 0.169.0
//     --keep-work  keep /tmp/spool-legacy/<release>/ (the live home, workspace, mock log)
//
// What it installs, and where (never inside the repo):
//   /tmp/codex-legacy/<release>/   npm i @openai/codex@<release> (binary found under
//                                  node_modules/@openai/*/vendor/x86_64-unknown-linux-musl/…/codex)
//   /tmp/codexpkg/                 npm i @openai/codex@0.169.0 (the reference that answers)
// Environment overrides: CODEX_TOOLS (default /work/shared/tools: mock-responses.mjs,
// rpc-client.mjs, golden-from-home.mjs, conformance.mjs), CODEX_169_BIN.
//
// What it does per release:
//   1. starts tools/mock-responses.mjs (scripted Responses API) on a fixed loopback port;
//   2. in /tmp/spool-legacy/<release>/{home,ws,h} writes config.toml pointing at the mock and
//      drives the OLD release: `codex exec --skip-git-repo-check "…"` and
//      `codex exec --skip-git-repo-check resume <ID> "…"` for exec threads (a plain reply, a shell
//      command, reasoning, a file patch, a web search, a failing command, a model error that fails
//      a turn, a turn after it, several threads, a process SIGKILLed mid-stream), and the old
//      release's own app-server (v1 `newConversation`/`sendUserMessage`/`interruptConversation`
//      for 0.50.0, v2 `thread/start`/`turn/start`/`turn/interrupt` later) for an interrupted turn,
//      an archived thread and, where the release has it, `thread/name/set` (session_index.jsonl);
//      0.110.0 also gets a thread with persistExtendedHistory (its rollout keeps exec_command_end,
//      patch_apply_end, web_search_end, error) and one more app-server run with
//      `-c features.unified_exec=false` (the classic `shell` tool);
//   3. stages config.toml, sessions/, archived_sessions/, session_index.jsonl (NOT the old
//      release's *.sqlite, skills/, logs, caches) and runs tools/golden-from-home.mjs with Codex
//      0.169.0 over it into test/fixtures/legacy/<release>/ (codex-home/,
//      codex-home-mtimes.json, golden/final/list-*.json and read-N.json);
//   4. adds goldens golden-from-home does not take, from another cold Codex 0.169.0 over the
//      same staged home: list-archived.json, read-archived-N.json, read-missing.json, and
//      thread/turns/list + thread/items/list answers for the `basics` and `app-interrupt`
//      threads (turns-default-, turns-full-asc-, turns-limit3-, items-all-<tag>.json);
//   5. writes threads.json (tag -> thread id, how it was made, prompts, which goldens read it);
//   6. prints line-type / event-kind counts (jq) and, unless --no-check, the result of
//      `CONF_FILES_ONLY=1 tools/conformance.mjs <fixture> -- <codex 0.169> app-server`, and, for
//      a release that left its own state_5.sqlite, the same replay with that file put back.
// Nothing in the fixtures is written by hand; rerunning produces new ids and timestamps.
import fs from "node:fs";
import path from "node:path";
import { spawn, execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TOOLS = process.env.CODEX_TOOLS || "/work/shared/tools";
const { RpcClient } = await import(path.join(TOOLS, "rpc-client.mjs"));
const CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// release -> how to drive it. tools: what its exec offers the model (shell vs exec_command);
// app: which app-server protocol it speaks; names: whether thread/name/set exists; extended:
// whether v2 thread/start takes persistExtendedHistory (rollouts then keep exec_command_end,
// patch_apply_end, web_search_end, error… event kinds).
const RELEASES = {
  "0.50.0": { port: 18750, app: "v1", patchViaShell: true, names: false },
  "0.80.0": { port: 18751, app: "v2", patchViaShell: true, names: false },
  "0.110.0": { port: 18752, app: "v2", patchViaShell: false, names: true, extended: true },
};

const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith("--")));
const wanted = argv.filter((a) => !a.startsWith("--"));
const releases = wanted.length ? wanted : Object.keys(RELEASES);
for (const r of releases) if (!RELEASES[r]) throw new Error(`unknown release ${r} (known: ${Object.keys(RELEASES).join(" ")})`);

function findCodexBin(dir) {
  const base = path.join(dir, "node_modules/@openai");
  if (!fs.existsSync(base)) return null;
  for (const pkg of fs.readdirSync(base)) {
    for (const sub of ["codex/codex", "bin/codex"]) {
      const p = path.join(base, pkg, "vendor/x86_64-unknown-linux-musl", sub);
      if (fs.existsSync(p)) return p;
    }
  }
  return null;
}

function ensureCodex(version, dir) {
  let bin = findCodexBin(dir);
  if (bin) return bin;
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, "package.json"))) execFileSync("npm", ["init", "-y"], { cwd: dir, stdio: "ignore" });
  console.log(`installing @openai/codex@${version} into ${dir}`);
  execFileSync("npm", ["i", "--no-audit", "--no-fund", `@openai/codex@${version}`], { cwd: dir, stdio: "inherit" });
  bin = findCodexBin(dir);
  if (!bin) throw new Error(`no linux-x64 codex binary found under ${dir}`);
  return bin;
}

const bin169 = process.env.CODEX_169_BIN || ensureCodex("0.169.0", "/tmp/codexpkg");

function listRollouts(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".jsonl")).map((f) => path.join(dir, f));
}
const firstLine = (f) => JSON.parse(fs.readFileSync(f, "utf8").split("\n")[0]);

async function makeRelease(version) {
  const cfg = RELEASES[version];
  const bin = ensureCodex(version, `/tmp/codex-legacy/${version}`);
  const work = `/tmp/spool-legacy/${version}`;
  const home = path.join(work, "home");
  const ws = path.join(work, "ws");
  const fakeHome = path.join(work, "h");
  fs.rmSync(work, { recursive: true, force: true });
  for (const d of [home, ws, fakeHome]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(home, "config.toml"), `model = "mock-model"
model_provider = "mock"
approval_policy = "on-request"
sandbox_mode = "workspace-write"

[model_providers.mock]
name = "Mock"
base_url = "http://127.0.0.1:${cfg.port}/v1"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
supports_websockets = false
`);
  const env = { PATH: CLEAN_PATH, HOME: fakeHome, CODEX_HOME: home };
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);

  // the scripted model
  const mock = spawn(process.execPath, [path.join(TOOLS, "mock-responses.mjs")], {
    env: { PATH: CLEAN_PATH, MOCK_PORT: String(cfg.port), MOCK_LOG: path.join(work, "mock.log") },
    stdio: ["ignore", "ignore", "pipe"],
  });
  process.on("exit", () => mock.kill());
  await new Promise((resolve, reject) => {
    mock.stderr.on("data", (d) => String(d).includes("mock responses on") && resolve());
    mock.on("exit", (c) => reject(new Error(`mock exited ${c} (port ${cfg.port} busy?)`)));
  });

  const threads = {};
  const note = (tag, how, prompt, id) => {
    threads[tag] ??= { id, how, prompts: [] };
    if (id) threads[tag].id = id;
    threads[tag].prompts.push(prompt);
  };

  // ---- codex exec ----
  const sessions = path.join(home, "sessions");
  function exec(args, { killWhen } = {}) {
    return new Promise((resolve) => {
      const child = spawn(bin, ["exec", "--skip-git-repo-check", ...args], { cwd: ws, env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      let timer;
      if (killWhen) {
        timer = setInterval(() => {
          if (killWhen()) { clearInterval(timer); setTimeout(() => child.kill("SIGKILL"), 1500); }
        }, 100);
      }
      const guard = setTimeout(() => child.kill("SIGKILL"), 90000);
      child.on("exit", (code, signal) => { clearInterval(timer); clearTimeout(guard); resolve({ code, signal, out }); });
    });
  }
  async function execNew(tag, prompt) {
    const before = new Set(listRollouts(sessions));
    const r = await exec([prompt]);
    const fresh = listRollouts(sessions).filter((f) => !before.has(f));
    if (fresh.length !== 1) throw new Error(`${version} ${tag}: expected one new rollout, got ${fresh.length}\n${r.out}`);
    const id = firstLine(fresh[0]).payload.id;
    note(tag, "exec", prompt, id);
    threads[tag].rollout = fresh[0];
    console.log(`  [${tag}] exec ${JSON.stringify(prompt.slice(0, 50))} -> ${id} (exit ${r.code})`);
    return id;
  }
  async function execResume(tag, prompt, opts) {
    const r = await exec(["resume", threads[tag].id, prompt], opts);
    note(tag, "exec", prompt);
    console.log(`  [${tag}] exec resume ${JSON.stringify(prompt.slice(0, 50))} (exit ${r.code ?? r.signal})`);
    return r;
  }

  const patch = (file, text) => (cfg.patchViaShell
    ? `cmd: apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: ${file}\n+${text}\n*** End Patch\nEOF`
    : `patch: ${file} ${text}`);
  const patchPrompt = patch("notes.md", "hello world");
  // the app-server thread: the same kinds of turns, plus an interrupted one
  const appTurns = ["hello from the app server", "cmd: echo from-app > app.txt", "think: the app plan", patch("app-notes.md", "from the app"),
    "search: app threads", "cmd: false", "fail: app-side failure", ["slow: 40", { interrupt: true }], "after the interrupt"];
  await execNew("basics", "hello there");
  for (const p of ["cmd: echo hi > out.txt && cat out.txt", "think: a plan", patchPrompt, "search: codex threads", "cmd: cat does-not-exist.txt", "fail: boom", "after the failure"]) {
    await execResume("basics", p);
  }
  await execNew("second", "cmd: ls");
  await execResume("second", "think: what next");
  await execNew("fail-first", "fail: the very first turn fails");
  await execNew("killed", "before the crash");
  const killedFile = threads.killed.rollout;
  const r = await execResume("killed", "slow: 40", { killWhen: () => fs.readFileSync(killedFile, "utf8").includes('"message":"slow: 40"') });
  threads.killed.killed = r.signal;

  // ---- the old release's app-server ----
  async function appSession(globalArgs, body) {
    const app = new RpcClient("env", ["-i", ...envArgs, bin, ...globalArgs, "app-server"], { env: {}, cwd: ws });
    const since = () => app.notes.length;
    async function waitNote(from, pred, ms = 60000) {
      const t0 = Date.now();
      for (;;) {
        const hit = app.notes.slice(from).find(pred);
        if (hit) return hit;
        if (Date.now() - t0 > ms) throw new Error(`${version}: timeout waiting for a notification`);
        await sleep(50);
      }
    }
    await app.request("initialize", { clientInfo: { name: "spool_legacy_fixtures", version: "0.1.0" }, ...(cfg.extended ? { capabilities: { experimentalApi: true } } : {}) });
    app.notify("initialized");
    let start, send;
    if (cfg.app === "v1") {
      start = async (tag) => {
        const c = await app.request("newConversation", { cwd: ws });
        await app.request("addConversationListener", { conversationId: c.conversationId });
        note(tag, "app-server v1", undefined, c.conversationId);
        threads[tag].prompts = [];
        threads[tag].rollout = c.rolloutPath;
        return c.conversationId;
      };
      send = async (tag, text, { interrupt } = {}) => {
        const id = threads[tag].id;
        const mine = (m) => (n) => n.method === `codex/event/${m}` && n.params?.conversationId === id;
        const from = since();
        await app.request("sendUserMessage", { conversationId: id, items: [{ type: "text", data: { text } }] });
        note(tag, "app-server v1", text);
        if (interrupt) {
          await waitNote(from, mine("agent_message_delta"));
          await sleep(900);
          await app.request("interruptConversation", { conversationId: id });
          await waitNote(from, mine("turn_aborted"));
        } else {
          const end = await waitNote(from, (n) => mine("task_complete")(n) || mine("error")(n));
          // after an error, let the turn wind down before the next message (else it would be
          // taken as input for the still-running turn)
          if (end.method.endsWith("/error")) await waitNote(from, mine("task_complete"), 3000).catch(() => sleep(500));
        }
        console.log(`  [${tag}] app-server v1 ${JSON.stringify(text)}${interrupt ? " (interrupted)" : ""}`);
      };
    } else {
      start = async (tag, extra = {}) => {
        const s = await app.request("thread/start", { cwd: ws, ...extra });
        note(tag, "app-server v2", undefined, s.thread.id);
        threads[tag].prompts = [];
        if (extra.persistExtendedHistory) threads[tag].persistExtendedHistory = true;
        if (globalArgs.length) threads[tag].codexArgs = globalArgs.join(" ");
        return s.thread.id;
      };
      send = async (tag, text, { interrupt } = {}) => {
        const threadId = threads[tag].id;
        const from = since();
        const t = await app.request("turn/start", { threadId, input: [{ type: "text", text }] });
        note(tag, "app-server v2", text);
        if (interrupt) {
          await waitNote(from, (n) => n.method === "item/agentMessage/delta" && n.params?.threadId === threadId);
          await sleep(900);
          await app.request("turn/interrupt", { threadId, turnId: t.turn.id });
        }
        await waitNote(from, (n) => n.method === "turn/completed" && n.params?.turn?.id === t.turn.id);
        console.log(`  [${tag}] app-server v2 ${JSON.stringify(text)}${interrupt ? " (interrupted)" : ""}`);
      };
    }
    await body({ app, start, send });
    await app.close();
  }

  await appSession([], async ({ app, start, send }) => {
    await start("app-interrupt", cfg.extended ? { persistExtendedHistory: true } : {});
    for (const t of appTurns) await send("app-interrupt", ...[t].flat());
    if (cfg.names) {
      await app.request("thread/name/set", { threadId: threads["app-interrupt"].id, name: "Interrupted app thread" });
      threads["app-interrupt"].name = "Interrupted app thread";
      // an exec thread named afterwards, from the app-server
      await app.request("thread/resume", { threadId: threads.basics.id });
      await app.request("thread/name/set", { threadId: threads.basics.id, name: "Legacy basics" });
      threads.basics.name = "Legacy basics";
    }
    const archId = await start("archived");
    await send("archived", "to be archived");
    if (cfg.app === "v1") await app.request("archiveConversation", { conversationId: archId, rolloutPath: threads.archived.rollout });
    else await app.request("thread/archive", { threadId: archId });
    threads.archived.archived = true;
  });
  if (cfg.extended) {
    // the same release with its older `shell` tool instead of unified exec: exec_command_end
    // events from the classic exec path, and an apply_patch through the shell
    await appSession(["-c", "features.unified_exec=false"], async ({ start, send }) => {
      await start("app-shell-tool", { persistExtendedHistory: true });
      for (const t of ["cmd: echo from the shell tool", "cmd: cat does-not-exist.txt",
        "cmd: apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: shell-notes.md\n+via the shell tool\n*** End Patch\nEOF"]) await send("app-shell-tool", t);
    });
  }
  mock.kill();

  // ---- Codex 0.169.0's answers ----
  // Recorded over exactly what the fixture keeps (no *.sqlite of the old release: the repo copy has
  // none, and Codex 0.169.0 answers differently when an old state_5.sqlite is there; see the
  // "with the release's sqlite" check below).
  const keep = new Set(["config.toml", "sessions", "archived_sessions", "session_index.jsonl"]);
  const staged = path.join(work, "staged-home");
  fs.mkdirSync(staged);
  for (const f of fs.readdirSync(home)) if (keep.has(f)) fs.cpSync(path.join(home, f), path.join(staged, f), { recursive: true, preserveTimestamps: true });
  const out = path.join(REPO, "test/fixtures/legacy", version);
  const g = spawnSync("env", ["-i", `PATH=${CLEAN_PATH}`, `HOME=${fakeHome}`, process.execPath, path.join(TOOLS, "golden-from-home.mjs"), bin169, staged, out], { encoding: "utf8" });
  if (g.status !== 0) throw new Error(`golden-from-home failed: ${g.stdout}\n${g.stderr}`);
  console.log(`  ${g.stdout.trim()}`);
  // extra goldens golden-from-home does not take: archived threads and an unknown id
  {
    const copy = fs.mkdtempSync("/tmp/legacy-golden-extra-");
    fs.cpSync(staged, copy, { recursive: true, preserveTimestamps: true });
    const c = new RpcClient("env", ["-i", `PATH=${CLEAN_PATH}`, `HOME=${fakeHome}`, `CODEX_HOME=${copy}`, "RUST_LOG=error", bin169, "app-server"], { env: {}, cwd: copy });
    await c.initialize("golden-extra");
    const save = (name, body) => fs.writeFileSync(path.join(out, "golden/final", name), JSON.stringify(body, null, 1));
    const all = ["cli", "vscode", "exec", "appServer", "subAgent", "subAgentReview", "subAgentCompact", "subAgentThreadSpawn", "subAgentOther", "unknown"];
    const params = { archived: true, sourceKinds: all };
    const arch = await c.request("thread/list", params);
    save("list-archived.json", { params, result: arch });
    for (const [i, t] of arch.data.entries()) {
      const p = { threadId: t.id, includeTurns: true };
      save(`read-archived-${i}.json`, { params: p, result: await c.request("thread/read", p).catch((e) => ({ error: e.rpc || e.message })) });
    }
    // paged turns/items of the two richest threads (legacy turn ids are synthesized by Codex)
    for (const tag of ["basics", "app-interrupt"]) {
      const threadId = threads[tag].id;
      for (const [name, method, params] of [
        ["turns-default", "thread/turns/list", { threadId }],
        ["turns-full-asc", "thread/turns/list", { threadId, itemsView: "full", sortDirection: "asc" }],
        ["turns-limit3", "thread/turns/list", { threadId, limit: 3, itemsView: "summary" }],
        ["items-all", "thread/items/list", { threadId }],
      ]) {
        save(`${name}-${tag}.json`, { method, params, result: await c.request(method, params).catch((e) => ({ error: e.rpc || e.message })) });
      }
    }
    const missing = await c.request("thread/read", { threadId: "00000000-0000-0000-0000-000000000000" }).catch((e) => ({ error: e.rpc || e.message }));
    save("read-missing.json", missing);
    await c.close();
    fs.rmSync(copy, { recursive: true, force: true });
  }
  for (const f of fs.readdirSync(path.join(out, "codex-home"))) if (!keep.has(f)) fs.rmSync(path.join(out, "codex-home", f), { recursive: true, force: true });
  for (const t of Object.values(threads)) delete t.rollout;
  // which golden/final file reads which thread
  for (const f of fs.readdirSync(path.join(out, "golden/final")).sort()) {
    const id = JSON.parse(fs.readFileSync(path.join(out, "golden/final", f), "utf8")).params?.threadId;
    const t = Object.values(threads).find((x) => x.id === id);
    if (t) (t.goldens ??= []).push(f);
  }
  fs.writeFileSync(path.join(out, "threads.json"), JSON.stringify({ release: version, cwd: ws, threads }, null, 1) + "\n");

  // ---- report ----
  const files = listRollouts(path.join(out, "codex-home")).filter((f) => path.basename(f).startsWith("rollout-"));
  const jq = spawnSync("sh", ["-c", `cat "$@" | jq -r '[.type, (.payload.type // "-")] | join(" ")' | sort | uniq -c`, "sh", ...files], { encoding: "utf8" });
  console.log(`  line types / payload kinds (${files.length} rollouts):\n${jq.stdout.replace(/^/gm, "    ")}`);
  if (!flags.has("--no-check")) {
    const c = spawnSync("env", ["-i", `PATH=${CLEAN_PATH}`, `HOME=${fakeHome}`, "CONF_FILES_ONLY=1", "CONF_SHOW=4", process.execPath, path.join(TOOLS, "conformance.mjs"), out, "--", bin169, "app-server"], { encoding: "utf8" });
    console.log(`  CONF_FILES_ONLY=1 conformance of codex 0.169.0:\n${c.stdout.replace(/^/gm, "    ")}`);
    // the same goldens, with the *.sqlite files the OLD release left in its home put back
    const dbs = fs.readdirSync(home).filter((f) => /\.sqlite$/.test(f));
    if (dbs.length) {
      const tmp = fs.mkdtempSync("/tmp/legacy-with-sqlite-");
      fs.cpSync(out, tmp, { recursive: true });
      for (const db of dbs) {
        execFileSync("python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()", path.join(home, db)]);
        fs.copyFileSync(path.join(home, db), path.join(tmp, "codex-home", db));
      }
      const w = spawnSync("env", ["-i", `PATH=${CLEAN_PATH}`, `HOME=${fakeHome}`, "CONF_SHOW=3", process.execPath, path.join(TOOLS, "conformance.mjs"), tmp, "--", bin169, "app-server"], { encoding: "utf8" });
      console.log(`  with ${version}'s own ${dbs.join(", ")} present (not kept in the fixture):\n${w.stdout.replace(/^/gm, "    ")}`);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  if (!flags.has("--keep-work")) fs.rmSync(work, { recursive: true, force: true });
}

for (const v of releases) {
  console.log(`== ${v}`);
  await makeRelease(v);
}
