// Spool's extension of legacy history (src/history/codex-lines.ts): a legacy thread whose own
// session_meta carries Spool's mark (`spool_items`, written by src/rollout/writer-format.ts) also
// shows its command executions (`item_completed` CommandExecution), which Codex 0.169.0's legacy
// replay drops; everything else reads as Codex reads it. Checked here: a thread written with the
// turn engine's line builders shows its commands with exit codes; without the mark (what Codex
// wrote) it reads exactly as before; on every legacy sample rollout and on random marked streams,
// the marked reading minus its command items equals the unmarked one, the loader (with its triage)
// equals a line-by-line reducer, and a snapshot taken anywhere keeps the mark.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { JsonObject, RolloutLine } from "../src/rollout/line.js";
import { formatRolloutItem, sessionMetaPayload, SPOOL_ITEMS_FIELD } from "../src/rollout/writer-format.js";
import { loadThreadHistory } from "../src/history/load.js";
import { ThreadHistoryReducer } from "../src/history/reducer.js";
import { Triage, triage } from "../src/history/prefilter.js";
import { Projector } from "../src/projections/projector.js";
import { agentMessage, commandExecution, ev, reasoning, taskComplete, taskStarted, userMessage, type CommandExecutionFields } from "../src/agent/rollout-items.js";
import type { RolloutItem } from "../src/store/types.js";
import type { Turn } from "../src/protocol/v2.js";
import { parsedLines, randomRollout, reduceLines, withSpoolMark } from "./fixtures/projections/helpers.js";
import { withoutStableIds } from "./helpers/compare.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sampleDirs = [path.join(root, "test/fixtures/history/corpus"), path.join(root, "test/fixtures/history/probes")];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "history-spool-items-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

/** The rollout's text without Spool's mark on its first line. */
function withoutMark(text: string): string {
  const nl = text.indexOf("\n");
  const first = JSON.parse(text.slice(0, nl));
  delete first.payload[SPOOL_ITEMS_FIELD];
  return JSON.stringify(first) + text.slice(nl);
}

const withoutCommands = (turns: Turn[]) => turns.map((t) => ({ ...t, items: t.items.filter((i) => i.type !== "commandExecution") }));

const commandsOf = (turns: Turn[]) => turns.flatMap((t) => t.items.filter((i) => i.type === "commandExecution"));

async function loadText(text: string, name: string): Promise<ThreadHistoryReducer> {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return loadThreadHistory(file, async () => null);
}

// ---------------------------------------------------------------------------------------------
// a thread as the turn engine writes it

const THREAD = "0199b000-0000-7000-8000-00000000000a";
const CWD = "/tmp/spool-items/ws";

/** Lines of a Spool thread: commands (exit 0, exit 1, a failed spawn) between reasoning and messages, and a rollback. */
function engineThread(): string {
  const meta = sessionMetaPayload({ threadId: THREAD, source: "vscode", originator: "t", cliVersion: "0.169.0", cwd: CWD, modelProvider: "mock" }, new Date(1_800_000_000_000));
  const items: RolloutItem[] = [{ type: "session_meta", payload: meta }];
  let ms = 1_800_000_000_000;
  const cmd = (turnId: string, callId: string, argv: string[], exitCode: number | null, status: CommandExecutionFields["status"], output: string): RolloutItem[] =>
    commandExecution({ threadId: THREAD, turnId, callId, processId: "42", argv, cwd: CWD, source: "unified_exec_startup", status, output, exitCode, durationMs: 12, startedAtMs: ms++, completedAtMs: ms++ }, output);
  const turn = (turnId: string, text: string, body: RolloutItem[], answer: string) => {
    items.push(taskStarted(turnId, 1_800_000_000, 1000));
    items.push(...userMessage(THREAD, turnId, `u-${turnId}`, [{ type: "text", text }], ms++, () => null).items);
    items.push(...body);
    items.push(...agentMessage(THREAD, turnId, `a-${turnId}`, { type: "message", role: "assistant", content: [{ type: "output_text", text: answer }] }, ms++, ms++).items);
    items.push(taskComplete({ turnId, lastAgentMessage: answer, error: null, startedAt: 1_800_000_000, completedAt: 1_800_000_001, durationMs: 1000, timeToFirstTokenMs: null }));
  };
  const think = (turnId: string, id: string, text: string) => reasoning(THREAD, turnId, id, { type: "reasoning", summary: [{ type: "summary_text", text }], content: [] }, ms++, ms++).items;
  turn("t1", "hello", [], "hi");
  turn("t2", "run things", [...think("t2", "r1", "first"), ...cmd("t2", "call_1", ["/bin/bash", "-lc", "echo hi"], 0, "completed", "hi\n"), ...think("t2", "r2", "second"), ...cmd("t2", "call_2", ["/bin/bash", "-lc", "false"], 1, "failed", "")], "ran");
  turn("t3", "to be rolled back", cmd("t3", "call_3", ["/bin/bash", "-lc", "ls"], 0, "completed", "a\n"), "listed");
  items.push(ev({ type: "thread_rolled_back", num_turns: 1 }));
  turn("t4", "after the rollback", cmd("t4", "call_4", ["/bin/nope"], null, "failed", "spawn failed"), "could not");
  return items.map((it, i) => formatRolloutItem(it, 1_800_000_000_000 + i)).join("");
}

test("a marked thread shows its commands (status, exit code, output) in their turns; the same lines unmarked read as Codex reads them", async () => {
  const text = engineThread();
  assert.equal(JSON.parse(text.slice(0, text.indexOf("\n"))).payload[SPOOL_ITEMS_FIELD], 1, "Spool's legacy session_meta carries the mark");
  const marked = await loadText(text, `rollout-2026-01-01T00-00-00-${THREAD}.jsonl`);
  const turns = marked.turns();
  assert.deepEqual(JSON.stringify(reduceLines(parsedLines(text)).turns()), JSON.stringify(turns), "the loader (with its triage) equals a line-by-line reducer");
  assert.deepEqual(
    turns.map((t) => `${t.id}:${t.items.map((i) => i.type).join("+")}`),
    ["t1:userMessage+agentMessage", "t2:userMessage+reasoning+commandExecution+commandExecution+agentMessage", "t4:userMessage+commandExecution+agentMessage"],
  );
  const cmds = commandsOf(turns);
  assert.deepEqual(
    cmds.map((c) => [c.id, c.status, c.exitCode, c.aggregatedOutput, c.command]),
    [
      ["call_1", "completed", 0, "hi\n", "/bin/bash -lc 'echo hi'"],
      ["call_2", "failed", 1, null, "/bin/bash -lc false"],
      ["call_4", "failed", null, "spawn failed", "/bin/nope"],
    ],
  );
  assert.equal(cmds[0].cwd, CWD);
  assert.equal(cmds[0].durationMs, 12);
  // the reasoning around a command is one item, as Codex's replay makes it
  assert.deepEqual(turns[1].items[1].summary, ["first", "second"]);
  // thread/turns/list answers from the projections: the same turns, in one-line batches too
  for (const batchBytes of [4 << 20, 64]) {
    const pj = new Projector({ home: tmp, memory: true, batchBytes, resolvePath: async () => null });
    try {
      await pj.syncThread(THREAD, path.join(tmp, `rollout-2026-01-01T00-00-00-${THREAD}.jsonl`));
      const page = JSON.parse(pj.listTurnsJson(THREAD, { limit: 100, itemsView: "full", sortDirection: "asc" }, { threadActive: true, maxBytes: Infinity }));
      assert.equal(JSON.stringify(page.data), JSON.stringify(turns.map((t) => ({ ...t, itemsView: "full" }))), `projections, batches of ${batchBytes} bytes`);
      assert.equal(JSON.parse(pj.tables.checkpoint(THREAD)!.state).core.spoolItems, true, "the checkpoint carries the mark");
    } finally {
      pj.close();
    }
  }

  // messages and reasoning keep the ids and times they had live (their item_completed lines)
  assert.deepEqual(
    turns.map((t) => t.items.filter((i) => i.type !== "commandExecution").map((i) => `${i.id}@${i.startedAtMs}-${i.completedAtMs}`)),
    [
      ["u-t1@1800000000000-1800000000000", "a-t1@1800000000001-1800000000002"],
      ["u-t2@1800000000011-1800000000011", "r1@1800000000003-1800000000004", "a-t2@1800000000012-1800000000013"],
      ["u-t4@1800000000021-1800000000021", "a-t4@1800000000022-1800000000023"],
    ],
  );

  // what Codex wrote (no mark): the same minus the commands, with Codex's item-N ids and no times
  const plain = withoutMark(text);
  const unmarked = await loadText(plain, `rollout-2026-01-01T00-00-01-${THREAD}.jsonl`);
  assert.equal(commandsOf(unmarked.turns()).length, 0);
  assert.deepEqual(
    unmarked.turns().map((t) => t.items.map((i) => `${i.id}@${i.startedAtMs}`)),
    [["item-1@null", "item-2@null"], ["item-3@null", "item-4@null", "item-5@null"], ["item-6@null", "item-7@null"]],
  );
  assert.equal(JSON.stringify(withoutStableIds(unmarked.turns())), JSON.stringify(withoutStableIds(withoutCommands(turns))));
  assert.equal(JSON.stringify(reduceLines(parsedLines(plain)).turns()), JSON.stringify(unmarked.turns()));
});

test("every legacy sample rollout and random marked streams: the marked reading minus commands is the unmarked one; loader equals reducer; snapshots keep the mark", async () => {
  const samples: { name: string; text: string }[] = [];
  for (const dir of sampleDirs)
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".jsonl"))) {
      const text = withSpoolMark(fs.readFileSync(path.join(dir, f), "utf8"));
      if (text !== null) samples.push({ name: f, text });
    }
  for (let seed = 1; seed <= 60; seed++) samples.push({ name: `random ${seed}`, text: randomRollout(seed, "legacy", 60 + (seed % 4) * 40, { spoolItems: true }).text });
  let commands = 0;
  for (const { name, text } of samples) {
    const lines = parsedLines(text);
    const plainLines = parsedLines(withoutMark(text));
    const threadId = String((lines[0].line.payload as JsonObject).id);
    const once = reduceLines(lines);
    const turns = once.turns();
    commands += commandsOf(turns).length;
    assert.equal(JSON.stringify(withoutStableIds(withoutCommands(turns))), JSON.stringify(withoutStableIds(reduceLines(plainLines).turns())), `${name}: minus commands (and stable ids), as Codex reads it`);
    const file = `rollout-2026-01-01T00-00-00-${threadId}.jsonl`;
    assert.equal(JSON.stringify((await loadText(text, file)).turns()), JSON.stringify(turns), `${name}: loader`);
    assert.equal(JSON.stringify((await loadText(withoutMark(text), file)).turns()), JSON.stringify(reduceLines(plainLines).turns()), `${name}: loader, unmarked`);
    // snapshot and restore anywhere (right after the session_meta too), then go on
    const step = Math.max(1, Math.floor(lines.length / 10));
    for (const cut of [1, ...Array.from({ length: Math.ceil(lines.length / step) }, (_, k) => k * step)]) {
      const snap = JSON.parse(JSON.stringify(reduceLines(lines.slice(0, cut)).snapshot()));
      if (cut >= 1) assert.equal(snap.spoolItems, true, `${name} cut at ${cut}: the snapshot carries the mark`);
      const resumed = reduceLines(lines.slice(cut), ThreadHistoryReducer.restore(snap));
      assert.equal(JSON.stringify(resumed.turns()), JSON.stringify(turns), `${name} cut at ${cut}`);
      assert.equal(JSON.stringify(ThreadHistoryReducer.restore(snap).snapshot()), JSON.stringify(snap));
    }
  }
  assert.ok(samples.length > 50);
  assert.ok(commands > 40, `${commands} command items`);
});

test("only the thread's own first session_meta marks it", () => {
  const meta = (id: string, mark: boolean): RolloutLine => ({ timestamp: "2026-01-01T00:00:00.000Z", type: "session_meta", payload: { id, cwd: "/", history_mode: "legacy", ...(mark ? { [SPOOL_ITEMS_FIELD]: 1 } : {}) } });
  const e = (payload: JsonObject): RolloutLine => ({ timestamp: "2026-01-01T00:00:00.000Z", type: "event_msg", payload });
  const body = [
    e({ type: "task_started", turn_id: "t1" }),
    e({ type: "user_message", message: "hi", images: [], local_images: [], text_elements: [] }),
    e({ type: "item_completed", thread_id: "x", turn_id: "t1", item: { type: "CommandExecution", id: "c1", command: ["ls"], cwd: "/", status: "completed", exit_code: 0, parsed_cmd: [] } }),
    e({ type: "task_complete", turn_id: "t1" }),
  ];
  const read = (lines: RolloutLine[], threadId?: string) => {
    const h = new ThreadHistoryReducer({ threadId });
    lines.forEach((l, i) => h.feed(l, i));
    return h.turns()[0].items.map((i) => i.type).join("+");
  };
  assert.equal(read([meta("own", true), ...body]), "userMessage+commandExecution");
  assert.equal(read([meta("own", false), ...body]), "userMessage");
  // a fork parent's marked session_meta does not mark the fork
  assert.equal(read([meta("parent", true), meta("own", false), ...body], "own"), "userMessage");
  assert.equal(read([meta("parent", true), ...body], "own"), "userMessage");
  // a later session_meta of the thread changes nothing
  assert.equal(read([meta("own", true), meta("own", false), ...body]), "userMessage+commandExecution");
  assert.equal(read([meta("own", false), meta("own", true), ...body]), "userMessage");
  // paginated threads show their commands anyway; the mark changes nothing there
  const pag = (mark: boolean): RolloutLine => ({ ...meta("own", mark), payload: { ...meta("own", mark).payload, history_mode: "paginated" } });
  assert.equal(read([pag(true), ...body]), read([pag(false), ...body]));
});

test("triage: a marked legacy thread's command, message, reasoning, search and file change item_completed lines are parsed, an unmarked one's skipped", () => {
  const line = JSON.stringify({ timestamp: "2026-01-01T00:00:00.000Z", type: "event_msg", payload: { type: "item_completed", thread_id: THREAD, turn_id: "t1", item: { type: "CommandExecution", id: "c1" } } });
  const head = line.slice(0, 320);
  const find = (s: string) => line.indexOf(s);
  const at = (i: number, s: string) => line.startsWith(s, i);
  assert.equal(triage(head, "legacy", find, at, false), Triage.Skip);
  assert.equal(triage(head, "legacy", find, at, true), Triage.Parse);
  const kind = (k: string, marked: boolean) => {
    const other = line.replace("CommandExecution", k);
    return triage(other.slice(0, 320), "legacy", (s) => other.indexOf(s), (i, s) => other.startsWith(s, i), marked);
  };
  for (const k of ["UserMessage", "AgentMessage", "Reasoning", "WebSearch", "FileChange"]) {
    assert.equal(kind(k, true), Triage.Parse, k);
    assert.equal(kind(k, false), Triage.Skip, k);
  }
  assert.equal(kind("McpToolCall", true), Triage.Skip);
});
