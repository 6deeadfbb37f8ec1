// A thread run by the turn engine and persisted the way the server will persist it (AgentSession
// -> onRolloutItems -> LiveThread -> LocalThreadStore, legacy history mode) is read back by a
// cold, real Codex 0.169.0 app-server and by Spool's app-server with the same turns and items,
// but for the commands: the corpus scenario (plain reply, command, reasoning, patch, web search,
// failing command, model error, a turn after it, an interrupt, an escalated command accepted
// then declined). Codex's legacy replay builds no commandExecution items; Spool's reader shows
// them for the threads Spool wrote (Spool's mark on their session_meta, src/history/codex-lines.ts),
// with their exit codes, and is otherwise Codex's field for field.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { AgentSession } from "../src/agent/session.js";
import { resolveAgentConfig } from "../src/agent/config.js";
import { uuidv7 } from "../src/agent/ids.js";
import type { ApprovalDecision } from "../src/agent/events.js";
import { loadConfig } from "../src/config/config.js";
import { LocalThreadStore } from "../src/store/local/local-store.js";
import { LiveThread } from "../src/live/live-thread.js";
import { startCodex } from "./helpers/codex.js";
import { startSpool } from "./helpers/spool.js";
import { useMockResponses } from "./helpers/mock-home.js";
import { ENGINE_BASICS } from "./helpers/corpus-scenario.js";
import { withoutStableIds } from "./helpers/compare.js";

const fx = useMockResponses();

test("Codex and Spool read a thread the turn engine wrote with the same turns and items", async () => {
  const { root, home, ws } = fx.makeHome({ prefix: "spool-agent-reads-" });
  const store = await LocalThreadStore.open({ home });
  const threadId = uuidv7();
  const live = await LiveThread.create(store, { threadId, source: "vscode", originator: "spool-agent-test", cliVersion: "0.169.0", cwd: ws, modelProvider: "mock", baseInstructions: "You are a test agent." });
  let decision: ApprovalDecision = "accept";
  const session = AgentSession.fromConfig(resolveAgentConfig(loadConfig(home)), {
    threadId,
    cwd: ws,
    baseInstructions: "You are a test agent.",
    onRolloutItems: async (items) => {
      await live.appendItems(items);
    },
    requestApproval: async () => decision,
  });
  const statuses: string[] = [];
  for (const text of ENGINE_BASICS.texts) statuses.push((await session.startTurn([{ type: "text", text }]).done).status);
  const slow = session.startTurn([{ type: "text", text: "slow: 40" }]);
  await new Promise((r) => setTimeout(r, 700));
  statuses.push((await slow.interrupt()).status);
  statuses.push((await session.startTurn([{ type: "text", text: "esc: touch ../outside-a.txt" }]).done).status);
  decision = "decline";
  statuses.push((await session.startTurn([{ type: "text", text: "esc: rm -rf ../nothing-here" }]).done).status);
  assert.deepEqual(statuses, ENGINE_BASICS.statuses);
  await live.shutdown();
  await store.close();

  const codex = startCodex(home);
  const spool = startSpool(home);
  try {
    await codex.initialize("agent-codex-reads");
    await spool.initialize("agent-codex-reads");
    const c = (await codex.request("thread/read", { threadId, includeTurns: true })).thread;
    const s = (await spool.request("thread/read", { threadId, includeTurns: true })).thread;
    assert.equal(c.historyMode, "legacy");
    const withoutCommands = (turns: Array<{ items: Array<{ type: string }> }>) => turns.map((t) => ({ ...t, items: t.items.filter((i) => i.type !== "commandExecution") }));
    assert.deepEqual(withoutStableIds(withoutCommands(s.turns)), withoutStableIds(c.turns), "Spool reads what Codex reads, plus the commands (and with the ids and times items had live)");
    // Spool's commands: the two of the basics (exit 0, exit 1) and the accepted escalation; none for the declined one
    const commands = s.turns.map((t: { items: Array<{ type: string; status?: string; exitCode?: number | null; command?: string }> }) =>
      t.items.filter((i) => i.type === "commandExecution").map((i) => `${i.status}:${i.exitCode}:${i.command}`),
    );
    assert.deepEqual(commands, [
      [],
      ["completed:0:/bin/bash -c 'echo hi > out.txt && cat out.txt'"],
      [],
      [],
      [],
      ["failed:1:/bin/bash -c false"],
      [],
      [],
      [],
      ["completed:0:/bin/bash -c 'touch ../outside-a.txt'"],
      [],
    ]);
    for (const k of ["id", "preview", "cwd", "modelProvider", "model", "source", "cliVersion", "originator"]) assert.deepEqual(s[k], c[k], `thread.${k}`);
    assert.equal(c.preview, "hello there");
    assert.equal(c.model, "mock-model");
    type T = { status: string; items: Array<{ type: string; text?: string; status?: string; changes?: Array<{ path: string }> }>; error: { message: string } | null };
    const turns = c.turns as T[];
    assert.deepEqual(turns.map((t) => t.status), ENGINE_BASICS.statuses);
    assert.deepEqual(
      turns.map((t) => t.items.map((i) => i.type).join("+")),
      ENGINE_BASICS.itemTypes,
    );
    assert.equal(turns[0].items[1].text, "Echo: hello there");
    assert.deepEqual(turns[3].items[1].changes!.map((x) => x.path), [path.join(ws, "notes.md")]);
    assert.equal(turns[3].items[1].status, "completed");
    assert.equal(turns[6].error!.message, '{"error":{"message":"mock refused: boom","type":"invalid_request_error"}}');
    // and the files the turns touched
    assert.equal(fs.readFileSync(path.join(ws, "out.txt"), "utf8"), "hi\n");
    assert.equal(fs.readFileSync(path.join(ws, "notes.md"), "utf8"), "hello world\n");
    assert.ok(fs.existsSync(path.join(root, "outside-a.txt")));
  } finally {
    await codex.close();
    await spool.close();
  }
});
