// Codex reads what Spool writes: threads written through LocalThreadStore are read by a cold,
// real Codex 0.169.0 app-server (`thread/read` with includeTurns) with the same turns and items
// that Spool's own app-server reports for them, but for the commands: the store marks the
// session_meta of the legacy threads it writes (`spool_items`, which Codex ignores), and for
// those Spool's reader also shows the `item_completed` CommandExecution items Codex's legacy
// replay drops (src/history/codex-lines.ts).
//
// Three threads: one built item by item with the line shapes Codex writes for legacy history
// (task_started/turn_started, user message response item + user_message event, agent messages,
// a command with exec_command_end, reasoning, a patch, a web search, an aborted turn,
// task_complete), and two replays through the store of every line of real rollouts (one
// written by Codex 0.110.0, one by Codex 0.169.0), so their exact payloads go through Spool's
// writer. All are written in legacy history mode, which Codex replays from the JSONL alone.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { LocalThreadStore } from "../src/store/local/local-store.js";
import type { RolloutItem } from "../src/store/types.js";
import { startCodex } from "./helpers/codex.js";
import { startSpool } from "./helpers/spool.js";
import { mockConfigToml } from "./helpers/mock-home.js";
import { corpusFixtureDir } from "./helpers/paths.js";
import { withoutStableIds } from "./helpers/compare.js";

const homes: string[] = [];
after(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

const CWD = "/tmp/spool-codex-reads/ws";
// nothing here calls the model: the provider points at a closed port
const CONFIG = mockConfigToml("http://127.0.0.1:9/v1");

const ev = (payload: RolloutItem["payload"]): RolloutItem => ({ type: "event_msg", payload });
const ri = (payload: RolloutItem["payload"]): RolloutItem => ({ type: "response_item", payload });
const turnContext = (turnId: string): RolloutItem => ({
  type: "turn_context",
  payload: { turn_id: turnId, cwd: CWD, current_date: "2026-11-21", timezone: "Etc/UTC", approval_policy: "on-request", sandbox_policy: { type: "workspace-write", writable_roots: [], network_access: false, exclude_tmpdir_env_var: false, exclude_slash_tmp: false }, model: "mock-model", effort: "medium", summary: "auto" },
});
const userTurn = (text: string): RolloutItem[] => [
  ri({ type: "message", role: "user", content: [{ type: "input_text", text }] }),
  ev({ type: "user_message", message: text, images: [], local_images: [], text_elements: [] }),
];
const agentSays = (text: string): RolloutItem[] => [
  ev({ type: "agent_message", message: text, phase: null }),
  ri({ type: "message", role: "assistant", content: [{ type: "output_text", text }] }),
];
const tokens = (total: number): RolloutItem =>
  ev({ type: "token_count", info: { total_token_usage: { input_tokens: total - 20, cached_input_tokens: 0, output_tokens: 20, reasoning_output_tokens: 0, total_tokens: total }, last_token_usage: { input_tokens: total - 20, cached_input_tokens: 0, output_tokens: 20, reasoning_output_tokens: 0, total_tokens: total }, model_context_window: 258400 }, rate_limits: null });

/** A thread in Codex's legacy line shapes (after test/fixtures/legacy/0.110.0). */
function handBuiltTurns(): RolloutItem[][] {
  const t = () => randomUUID();
  const [t1, t2, t3, t4, t5] = [t(), t(), t(), t(), t()];
  return [
    [ev({ type: "task_started", turn_id: t1, model_context_window: 258400, collaboration_mode_kind: "default" }), turnContext(t1), ...userTurn("hello from spool"), ...agentSays("Echo: hello from spool"), tokens(150), ev({ type: "task_complete", turn_id: t1, last_agent_message: "Echo: hello from spool" })],
    [
      ev({ type: "task_started", turn_id: t2, model_context_window: 258400, collaboration_mode_kind: "default" }),
      turnContext(t2),
      ...userTurn("cmd: echo hi > out.txt"),
      ri({ type: "function_call", name: "exec_command", arguments: '{"cmd":"echo hi > out.txt","login":false}', call_id: "call_7" }),
      ev({ type: "exec_command_end", call_id: "call_7", process_id: "4242", turn_id: t2, command: ["/bin/bash", "-c", "echo hi > out.txt"], cwd: CWD, parsed_cmd: [{ type: "unknown", cmd: "echo hi > out.txt" }], source: "unified_exec_startup", stdout: "", stderr: "", aggregated_output: "", exit_code: 0, duration: { secs: 0, nanos: 5_000_000 }, formatted_output: "", status: "completed" }),
      ri({ type: "function_call_output", call_id: "call_7", output: "Process exited with code 0\nOutput:\n" }),
      ...agentSays("Done."),
      tokens(320),
      ev({ type: "task_complete", turn_id: t2, last_agent_message: "Done." }),
    ],
    [
      ev({ type: "task_started", turn_id: t3, model_context_window: 258400, collaboration_mode_kind: "default" }),
      turnContext(t3),
      ...userTurn("think, patch and search"),
      ev({ type: "agent_reasoning", text: "**Thinking** about it" }),
      ri({ type: "reasoning", summary: [{ type: "summary_text", text: "**Thinking** about it" }], content: null, encrypted_content: null }),
      ri({ type: "function_call", name: "apply_patch", arguments: "{}", call_id: "call_8" }),
      ev({ type: "patch_apply_end", call_id: "call_8", turn_id: t3, stdout: "Success. Updated the following files:\nA notes.md\n", stderr: "", success: true, changes: { [`${CWD}/notes.md`]: { type: "add", content: "hello\n" } }, status: "completed" }),
      ri({ type: "function_call_output", call_id: "call_8", output: "Success." }),
      ev({ type: "web_search_end", call_id: "ws_9", query: "spool threads", action: { type: "search", query: "spool threads" } }),
      ri({ type: "web_search_call", status: "completed", action: { type: "search", query: "spool threads" } }),
      ...agentSays("All done: ✓ “unicode” and\nnewlines"),
      ev({ type: "task_complete", turn_id: t3, last_agent_message: "All done" }),
    ],
    [ev({ type: "task_started", turn_id: t4, model_context_window: 258400, collaboration_mode_kind: "default" }), turnContext(t4), ...userTurn("stop me"), ev({ type: "turn_aborted", turn_id: t4, reason: "interrupted" })],
    [ev({ type: "turn_started", turn_id: t5, model_context_window: 258400, collaboration_mode_kind: "default" }), turnContext(t5), ...userTurn("last one"), ...agentSays("bye"), ev({ type: "turn_complete", turn_id: t5, last_agent_message: "bye" })],
  ];
}

/** Every line of a real rollout after its session_meta, as store items (envelope fields dropped), and its cwd. */
function rolloutItems(file: string): { items: RolloutItem[]; cwd: string } {
  const items: RolloutItem[] = [];
  let cwd = CWD;
  for (const l of fs.readFileSync(file, "utf8").split("\n")) {
    if (!l.trim()) continue;
    const v = JSON.parse(l) as { type: RolloutItem["type"]; payload: RolloutItem["payload"] };
    if (v.type !== "session_meta") items.push({ type: v.type, payload: v.payload });
    else cwd = v.payload.cwd as string;
  }
  return { items, cwd };
}

async function writeThread(store: LocalThreadStore, batches: RolloutItem[][], name: string | null, preview: string, cwd = CWD): Promise<string> {
  const threadId = randomUUID();
  // (a replay keeps its rollout's cwd: Codex reports the turn_context cwd when the two disagree)
  await store.createThread({ threadId, source: "vscode", originator: "spool-test", cliVersion: "0.169.0", cwd, modelProvider: "mock", baseInstructions: "You are Codex.", createdAt: new Date(Date.now() - 60_000) });
  for (const b of batches) {
    // concurrent appends within a turn, like a live thread streaming events
    const half = Math.ceil(b.length / 2);
    await Promise.all([store.appendItems(threadId, b.slice(0, half)), store.appendItems(threadId, b.slice(half))]);
  }
  await store.updateThreadMetadata(threadId, { preview, firstUserMessage: preview, model: "mock-model" });
  if (name) await store.updateThreadMetadata(threadId, { name });
  await store.shutdownThread(threadId);
  return threadId;
}

test("a cold Codex 0.169.0 reads threads written by LocalThreadStore with the same turns and items as Spool", async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "spool-codex-reads-"));
  homes.push(home);
  fs.writeFileSync(path.join(home, "config.toml"), CONFIG);
  const store = await LocalThreadStore.open({ home });
  const legacy = path.join(corpusFixtureDir(), "..", "legacy", "0.110.0", "codex-home", "sessions", "2026", "11", "21");
  const legacyBasics = fs.readdirSync(legacy).find((f) => f.includes("01a1fbed-deaa-7b82-ab70-69c46d307cd0"))!;
  const modern = path.join(corpusFixtureDir(), "codex-home", "sessions", "2026", "11", "21", "rollout-2026-11-21T01-07-11-01a1fba4-9b62-7df1-a194-f0e48a69b025.jsonl");
  const chunk = (items: RolloutItem[], n: number) => Array.from({ length: Math.ceil(items.length / n) }, (_, i) => items.slice(i * n, i * n + n));
  const old = rolloutItems(path.join(legacy, legacyBasics));
  const cur = rolloutItems(modern);
  const threads = {
    handBuilt: await writeThread(store, handBuiltTurns(), "Written by Spool", "hello from spool"),
    replay0110: await writeThread(store, chunk(old.items, 7), null, "hello there", old.cwd),
    replay0169: await writeThread(store, chunk(cur.items, 5), "Modern shapes", "hello there", cur.cwd),
  };
  await store.close();

  const codex = startCodex(home);
  const spool = startSpool(home);
  try {
    await codex.initialize("store-codex-reads");
    await spool.initialize("store-codex-reads");
    for (const [tag, threadId] of Object.entries(threads)) {
      const c = (await codex.request("thread/read", { threadId, includeTurns: true })).thread;
      const s = (await spool.request("thread/read", { threadId, includeTurns: true })).thread;
      assert.ok(c.turns.length > 0, `${tag}: Codex read no turns`);
      if (process.env.SPOOL_DEBUG) console.log(tag, c.turns.map((t: { items: Array<{ type: string }> }) => t.items.map((i) => i.type).join("+")).join(" | "));
      const withoutCommands = (turns: Array<{ items: Array<{ type: string }> }>) => turns.map((t) => ({ ...t, items: t.items.filter((i) => i.type !== "commandExecution") }));
      assert.deepEqual(withoutStableIds(withoutCommands(s.turns)), withoutStableIds(c.turns), `${tag}: turns differ between Spool (less its commands, and but the ids and times items had live) and Codex`);
      assert.ok(c.turns.every((t: { items: Array<{ type: string }> }) => t.items.every((i) => i.type !== "commandExecution")), `${tag}: Codex's legacy replay shows no commands`);
      for (const k of ["id", "historyMode", "cwd", "source", "modelProvider", "name", "preview", "createdAt", "cliVersion", "originator"]) assert.deepEqual(s[k], c[k], `${tag}: thread.${k}`);
      assert.equal(c.historyMode, "legacy");
      if (tag === "handBuilt") {
        assert.equal(c.turns.length, 5);
        assert.equal(c.name, "Written by Spool");
        assert.deepEqual(c.turns.map((t: { status: string }) => t.status), ["completed", "completed", "completed", "interrupted", "completed"]);
        const types = c.turns.flatMap((t: { items: Array<{ type: string }> }) => t.items.map((i) => i.type));
        for (const kind of ["userMessage", "agentMessage", "reasoning", "fileChange", "webSearch"]) assert.ok(types.includes(kind), `Codex shows a ${kind} item (got ${[...new Set(types)].join(", ")})`);
      }
      if (tag === "replay0169") {
        // Worth knowing for writers: in a legacy-mode rollout Codex 0.169.0 builds items from the
        // legacy events (user_message, agent_message, agent_reasoning, patch_apply_end, ...); the
        // paginated-era `item_completed` events alone give turns without items.
        assert.equal(c.turns.length, 9);
        assert.ok(c.turns.every((t: { items: unknown[] }) => t.items.length === 0));
        // Spool shows the two commands of the corpus's basics (their item_completed lines), with exit codes
        const commands = s.turns.map((t: { items: Array<{ type: string; status?: string; exitCode?: number | null }> }) => t.items.map((i) => `${i.type}:${i.status}:${i.exitCode}`).join("+"));
        assert.deepEqual(commands, ["", "commandExecution:completed:0", "", "", "", "commandExecution:failed:1", "", "", ""]);
      } else {
        // these threads have no item_completed CommandExecution lines (the hand-built one has an
        // exec_command_end, which neither reader turns into an item)
        assert.deepEqual(withoutStableIds(s.turns), withoutStableIds(c.turns), `${tag}: turns differ between Spool and Codex`);
      }
    }
    // and Codex lists them (its list reads the rollouts too)
    const list = await codex.request("thread/list", { limit: 10 });
    const listed = new Set(list.data.map((t: { id: string }) => t.id));
    for (const id of Object.values(threads)) assert.ok(listed.has(id), `Codex lists ${id}`);
  } finally {
    await codex.close();
    await spool.close();
  }
});
