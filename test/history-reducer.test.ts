// Reducer behaviour beyond the goldens: incremental feeding, checkpoints, forks, torn and unknown
// lines, legacy event kinds, shell quoting, and paging cursors and errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RolloutLine } from "../src/rollout/line.js";
import { loadThreadHistory } from "../src/history/load.js";
import { ThreadHistoryReducer, interruptStaleTurns } from "../src/history/reducer.js";
import { HistoryRequestError, listItems, listTurns } from "../src/history/paging.js";
import { parsedLines, reduceLines } from "./fixtures/projections/helpers.js";
import { shellJoin } from "../src/history/shell.js";
import type { Turn } from "../src/protocol/v2.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const corpusDir = path.join(root, "test/fixtures/history/corpus");
const probesDir = path.join(root, "test/fixtures/history/probes");
const BASICS = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
const FORK = "01a1fba4-a332-7e01-99a6-fb3880ffbbec";
const APPROVALS = "01a1fba4-9d48-77b0-87a3-71ea472a7a13";

function corpusFile(id: string): string {
  const f = fs.readdirSync(corpusDir).find((x) => x.endsWith(`${id}.jsonl`));
  assert.ok(f, id);
  return path.join(corpusDir, f);
}
const corpusResolve = async (id: string) => {
  const f = fs.readdirSync(corpusDir).find((x) => x.endsWith(`${id}.jsonl`));
  return f ? path.join(corpusDir, f) : null;
};

/** Everything paging can observe about a reducer, as JSON. */
function observe(h: ThreadHistoryReducer, threadId: string): string {
  const turns = h.turns();
  const out: unknown[] = [turns, turns.map((t) => h.turnOrdinal(t.id)), turns.flatMap((t) => t.items.map((i) => h.itemOrdinal(i.id)))];
  for (const view of ["summary", "full", "notLoaded"] as const) out.push(listTurns(h, threadId, { itemsView: view, sortDirection: "asc", limit: 100 }));
  try {
    out.push(listItems(h, threadId, { limit: 100 }));
  } catch (e) {
    out.push((e as Error).message);
  }
  return JSON.stringify(out);
}

function sampleRollouts(): { name: string; threadId: string; text: string }[] {
  const out: { name: string; threadId: string; text: string }[] = [];
  for (const dir of [corpusDir, probesDir]) {
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".jsonl"))) {
      const text = fs.readFileSync(path.join(dir, f), "utf8");
      const meta = JSON.parse(text.slice(0, text.indexOf("\n")));
      out.push({ name: f, threadId: meta.payload.id, text });
    }
  }
  return out;
}

test("incremental: feeding lines one by one with turns() in between equals one pass; old results stay unchanged", () => {
  for (const { name, threadId, text } of sampleRollouts()) {
    const lines = parsedLines(text);
    const once = observe(reduceLines(lines), threadId);
    const h = new ThreadHistoryReducer();
    const seen: { turns: Turn[]; json: string }[] = [];
    for (const { line, ordinal } of lines) {
      h.feed(line, ordinal);
      const turns = h.turns();
      assert.equal(h.turns(), turns, `${name}: turns() is cached until the next feed`);
      seen.push({ turns, json: JSON.stringify(turns) });
    }
    assert.equal(observe(h, threadId), once, name);
    for (const s of seen) assert.equal(JSON.stringify(s.turns), s.json, `${name}: a returned Turn[] was mutated later`);
  }
});

test("snapshot()/restore() mid-stream, then continuing, equals a full pass", () => {
  for (const { name, threadId, text } of sampleRollouts()) {
    const lines = parsedLines(text);
    const once = observe(reduceLines(lines), threadId);
    const step = Math.max(1, Math.floor(lines.length / 12));
    for (let cut = 0; cut <= lines.length; cut += step) {
      const first = reduceLines(lines.slice(0, cut));
      const snap = JSON.parse(JSON.stringify(first.snapshot()));
      const resumed = reduceLines(lines.slice(cut), ThreadHistoryReducer.restore(snap));
      assert.equal(observe(resumed, threadId), once, `${name} cut at ${cut}`);
      // the snapshot is detached from the reducer it came from
      first.feed(lines[lines.length - 1].line, 10_000);
      assert.equal(JSON.stringify(ThreadHistoryReducer.restore(snap).snapshot()), JSON.stringify(snap));
    }
  }
});

test("fork: the parent's bytes up to history_base.end_byte_offset come first, recursively", async () => {
  const forkTurns = (await loadThreadHistory(corpusFile(FORK), corpusResolve)).turns();
  const parentTurns = (await loadThreadHistory(corpusFile(BASICS), corpusResolve)).turns();
  // the fork shares the parent's first 8 turns (the parent grew a 9th after the fork point)
  assert.equal(forkTurns.length, 9);
  assert.deepEqual(forkTurns.slice(0, 8), parentTurns.slice(0, 8));
  assert.notEqual(forkTurns[8].id, parentTurns[8].id);

  // a fork of the fork: its history is the fork's whole file, then its own turn
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "history-fork-"));
  try {
    const forkFile = corpusFile(FORK);
    const grandId = "01a1fba4-ffff-7000-8000-000000000001";
    const size = fs.statSync(forkFile).size;
    const meta = { timestamp: "2026-11-21T02:00:00.000Z", ordinal: 103, type: "session_meta", payload: { id: grandId, forked_from_id: FORK, timestamp: "2026-11-21T02:00:00.000Z", cwd: "/w", originator: "t", cli_version: "0.169.0", source: "vscode", history_mode: "paginated", history_base: { thread_id: FORK, end_ordinal_exclusive: 103, end_byte_offset: size } } };
    const ev = (ordinal: number, payload: object) => JSON.stringify({ timestamp: "2026-11-21T02:00:01.000Z", ordinal, type: "event_msg", payload });
    const lines = [
      JSON.stringify(meta),
      ev(104, { type: "task_started", turn_id: "g-turn", root_turn_id: "g-turn", started_at: 1795230000 }),
      ev(105, { type: "item_completed", thread_id: grandId, turn_id: "g-turn", item: { type: "UserMessage", id: "g-user", content: [{ type: "text", text: "grandchild", text_elements: [] }] }, started_at_ms: 1795230000100, completed_at_ms: 1795230000100 }),
      ev(106, { type: "task_complete", turn_id: "g-turn", started_at: 1795230000, completed_at: 1795230001, duration_ms: 900 }),
    ];
    const grandFile = path.join(tmp, `rollout-2026-11-21T02-00-00-${grandId}.jsonl`);
    fs.writeFileSync(grandFile, lines.join("\n") + "\n");
    const resolve = async (id: string) => (id === grandId ? grandFile : corpusResolve(id));
    const h = await loadThreadHistory(grandFile, resolve);
    const turns = h.turns();
    assert.equal(turns.length, 10);
    assert.deepEqual(turns.slice(0, 9), forkTurns);
    assert.equal(turns[9].id, "g-turn");
    assert.equal(turns[9].items[0].id, "g-user");
    assert.equal(h.turnOrdinal("g-turn"), 104);
    assert.equal(h.turnOrdinal(forkTurns[8].id), 94, "the fork's own turn keeps its ordinal");
    assert.equal(h.turnOrdinal(forkTurns[0].id), 1, "inherited turns keep the parent's ordinals");

    // feeding the same logical stream by hand (parent bytes, then the fork's own lines) gives the same
    const forkBase = JSON.parse(fs.readFileSync(forkFile, "utf8").split("\n")[0]).payload.history_base.end_byte_offset;
    const stream = fs.readFileSync(corpusFile(BASICS)).subarray(0, forkBase).toString("utf8") + fs.readFileSync(forkFile, "utf8") + fs.readFileSync(grandFile, "utf8");
    const byHand = new ThreadHistoryReducer({ threadId: grandId });
    for (const { line, ordinal } of parsedLines(stream)) byHand.feed(line, ordinal);
    assert.equal(byHand.historyMode(), "paginated");
    assert.equal(JSON.stringify(byHand.turns()), JSON.stringify(turns));

    // a parent that cannot be found: only the thread's own lines
    const alone = await loadThreadHistory(grandFile, async () => null);
    assert.deepEqual(alone.turns().map((t) => t.id), ["g-turn"]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("a truncated last line (torn write) is ignored; unknown line types and event kinds are skipped", async () => {
  const text = fs.readFileSync(corpusFile(APPROVALS), "utf8");
  const want = JSON.stringify((await loadThreadHistory(corpusFile(APPROVALS), corpusResolve)).turns());
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "history-torn-"));
  try {
    const torn = path.join(tmp, `rollout-x-${APPROVALS}.jsonl`);
    fs.writeFileSync(torn, text + '{"timestamp":"2026-11-21T01:07:12.000Z","ordinal":32,"type":"event_msg","payload":{"type":"task_sta');
    assert.equal(JSON.stringify((await loadThreadHistory(torn, async () => null)).turns()), want);

    // noise after every line: unknown line types, unknown event kinds, junk, blank lines
    const noisy = text
      .split("\n")
      .filter(Boolean)
      .flatMap((l) => [
        l,
        '{"timestamp":"t","type":"brand_new_line_type","payload":{"type":"task_started","turn_id":"bogus"}}',
        '{"timestamp":"t","type":"event_msg","payload":{"type":"brand_new_event","turn_id":"bogus"}}',
        "not json at all",
        "",
        "[1,2,3]",
      ])
      .join("\n");
    const noisyFile = path.join(tmp, `rollout-y-${APPROVALS}.jsonl`);
    fs.writeFileSync(noisyFile, noisy + "\n");
    assert.equal(JSON.stringify((await loadThreadHistory(noisyFile, async () => null)).turns()), want);
    assert.equal(JSON.stringify(reduceLines(parsedLines(noisy)).turns()), want);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("loader: a line longer than its read buffer (8 MB) is read whole", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "history-big-"));
  try {
    const id = "01a1fba4-eeee-7000-8000-000000000001";
    const big = "x".repeat(9 << 20);
    const lines = [
      { timestamp: "t", ordinal: 0, type: "session_meta", payload: { id, history_mode: "paginated" } },
      { timestamp: "t", ordinal: 1, type: "event_msg", payload: { type: "task_started", turn_id: "a", started_at: 1 } },
      { timestamp: "t", ordinal: 2, type: "response_item", payload: { type: "message", role: "assistant", content: [{ type: "output_text", text: big }] } },
      { timestamp: "t", ordinal: 3, type: "event_msg", payload: { type: "item_completed", turn_id: "a", item: { type: "AgentMessage", id: "m", content: [{ type: "Text", text: big }] } } },
      { timestamp: "t", ordinal: 4, type: "event_msg", payload: { type: "task_complete", turn_id: "a", completed_at: 2 } },
    ];
    const file = path.join(tmp, `rollout-x-${id}.jsonl`);
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const [turn] = (await loadThreadHistory(file, async () => null)).turns();
    assert.equal(turn.status, "completed");
    assert.equal(turn.items.length, 1);
    assert.equal((turn.items[0].text as string).length, big.length);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------------------- small fixtures

let clock = 0;
const L = (type: string, payload: object, ordinal?: number): RolloutLine => ({ timestamp: `2026-01-01T00:00:${String(clock++ % 60).padStart(2, "0")}Z`, ...(ordinal !== undefined ? { ordinal } : {}), type, payload }) as RolloutLine;
const meta = (id: string, extra: object = {}) => L("session_meta", { id, timestamp: "2026-01-01T00:00:00Z", cwd: "/w", originator: "t", cli_version: "0.50.0", source: "cli", ...extra });
const ev = (type: string, o: object = {}) => L("event_msg", { type, ...o });
function run(lines: RolloutLine[], opts = {}): ThreadHistoryReducer {
  const h = new ThreadHistoryReducer(opts);
  lines.forEach((l, i) => h.feed(l, l.ordinal ?? i));
  return h;
}

test("paginated: a failed turn carries task_complete.error; an aborted turn is interrupted", () => {
  const P = (type: string, o: object, ord: number) => L("event_msg", { type, ...o }, ord);
  const h = run([
    L("session_meta", { id: "t1", history_mode: "paginated" }, 0),
    P("task_started", { turn_id: "a", root_turn_id: "a", started_at: 10 }, 1),
    P("item_completed", { turn_id: "a", item: { type: "UserMessage", id: "u", content: [{ type: "text", text: "x", text_elements: [] }] }, started_at_ms: 5, completed_at_ms: 6 }, 2),
    P("task_complete", { turn_id: "a", started_at: 10, completed_at: 11, duration_ms: 1000, error: { message: "boom", codex_error_info: { response_stream_disconnected: { http_status_code: 502 } }, misalignment: { error_type: "x", detailed_explanation: null, steer: null } } }, 3),
    P("task_started", { turn_id: "b", started_at: 20 }, 4),
    P("turn_aborted", { turn_id: "b", reason: "interrupted", started_at: 20, completed_at: 22, duration_ms: 2000 }, 5),
    P("task_started", { turn_id: "c", started_at: 30 }, 6),
  ]);
  const [a, b, c] = h.turns();
  assert.equal(a.status, "failed");
  assert.deepEqual(a.error, { message: "boom", codexErrorInfo: { responseStreamDisconnected: { httpStatusCode: 502 } }, additionalDetails: null, misalignment: { errorType: "x", detailedExplanation: null, steer: null } });
  assert.deepEqual([b.status, b.startedAt, b.completedAt, b.durationMs], ["interrupted", 20, 22, 2000]);
  assert.equal(c.status, "inProgress", "the reducer reports what the rollout says");
  assert.equal(interruptStaleTurns(h.turns())[2].status, "interrupted", "servers report stale in-progress turns as interrupted");
  assert.equal(listTurns(h, "t1", {}).data[0].status, "interrupted");
  assert.equal(listTurns(h, "t1", {}, { threadActive: true }).data[0].status, "inProgress");
});

test("legacy: implicit turns are named after the index of the line that opened them, counting only lines Codex keeps", () => {
  const h = run([
    meta("t2"),
    L("turn_context", { cwd: "/w", approval_policy: "never", sandbox_policy: { mode: "read-only" }, model: "m" }), // 0.50 shape: unreadable, not counted
    L("response_item", { type: "message", role: "user", content: [{ type: "input_text", text: "<environment_context/>" }] }), // 1
    ev("exec_command_end", { call_id: "x" }), // dropped by the rollout policy: not counted
    ev("user_message", { message: "hello", images: [] }), // 2 -> rollout-2
    ev("agent_reasoning", { text: "a" }),
    ev("agent_reasoning", { text: "b" }),
    ev("agent_reasoning_raw_content", { text: "raw" }),
    ev("agent_message", { message: "hi" }),
    ev("agent_reasoning", { text: "c" }), // a message in between starts a new reasoning item
    ev("error", { message: "ignored: errors are not persisted" }),
    ev("user_message", { message: "again" }), // 8 -> rollout-8
    ev("agent_message", { message: "" }), // 9: kept by Codex, but an empty message makes no item
    ev("thread_rolled_back", { num_turns: 1 }), // 10: drops rollout-8
    ev("user_message", { message: "after rollback" }), // 11 -> rollout-11
  ]);
  const turns = interruptStaleTurns(h.turns());
  assert.deepEqual(turns.map((t) => t.id), ["rollout-2", "rollout-11"]);
  assert.deepEqual(turns[0].items.map((i) => [i.type, i.id]), [["userMessage", "item-1"], ["reasoning", "item-2"], ["agentMessage", "item-3"], ["reasoning", "item-4"]]);
  assert.deepEqual([turns[0].items[1].summary, turns[0].items[1].content], [["a", "b"], ["raw"]]);
  assert.equal(turns[0].status, "completed");
  assert.equal(turns[1].items[0].id, "item-5", "a rollback resets the item counter to the remaining items + 1");
  assert.equal(turns[0].rootTurnId, null);
  assert.throws(() => listItems(h, "t2", {}), (e: HistoryRequestError) => e.code === -32601 && e.message === "thread/items/list is not supported yet");
});

test("legacy: explicit turns, late completions routed by turn id, review and compaction items", () => {
  const h = run([
    meta("t3"),
    ev("task_started", { turn_id: "A", started_at: 100 }),
    ev("user_message", { message: "first" }),
    ev("entered_review_mode", { target: { type: "uncommittedChanges" }, user_facing_hint: "my changes" }),
    ev("exited_review_mode", { review_output: { overall_explanation: " fine " } }),
    ev("task_complete", { turn_id: "A", completed_at: 101, duration_ms: 1000 }),
    ev("task_started", { turn_id: "B" }),
    ev("patch_apply_end", { call_id: "p", turn_id: "A", stdout: "", stderr: "", success: false, changes: { "/w/b": { type: "add", content: "x" } }, status: "failed" }),
    ev("context_compacted"),
    ev("turn_aborted", { reason: "interrupted" }),
  ]);
  const [a, b] = h.turns();
  assert.deepEqual([a.id, a.status, a.startedAt, a.completedAt, a.durationMs], ["A", "completed", 100, 101, 1000]);
  assert.deepEqual(a.items.map((i) => [i.type, i.id]), [["userMessage", "item-1"], ["enteredReviewMode", "item-2"], ["exitedReviewMode", "item-3"], ["fileChange", "p"]]);
  assert.deepEqual([a.items[1].review, a.items[2].review], ["my changes", "fine"]);
  assert.deepEqual(a.items[3], { type: "fileChange", id: "p", changes: [{ path: "/w/b", kind: { type: "add" }, diff: "x" }], status: "failed", startedAtMs: null, completedAtMs: null });
  assert.deepEqual([b.id, b.status, b.items.map((i) => i.type)], ["B", "interrupted", ["contextCompaction"]]);
});

test("commandExecution commands are shell-joined like Codex (bare, single- or double-quoted chunks)", () => {
  assert.equal(shellJoin(["/bin/bash", "-c", "echo hi > out.txt && cat out.txt"]), "/bin/bash -c 'echo hi > out.txt && cat out.txt'");
  assert.equal(shellJoin(["/bin/bash", "-c", "false"]), "/bin/bash -c false");
  assert.equal(shellJoin(["bash", "-lc", `cat 'a b' | grep "x" $HOME ^x !y`]), `bash -lc "cat 'a b' | grep \\"x\\" "'$HOME ''^x !y'`);
  assert.equal(shellJoin(["", "a=b", "x,y", "é"]), "'' 'a=b' 'x,y' 'é'");
  assert.equal(shellJoin(["it's"]), `"it's"`);
  assert.equal(shellJoin(["a\0b", "c d"]), "a\0b c d", "NUL: plain join");
});

// ------------------------------------------------------------------------------- paging

async function corpusHistory(id: string) {
  return loadThreadHistory(corpusFile(id), corpusResolve);
}

test("turns/list and items/list: walking pages with nextCursor and backwardsCursor", async () => {
  const h = await corpusHistory(BASICS);
  const all = interruptStaleTurns(h.turns()).map((t) => t.id);
  for (const dir of ["asc", "desc"] as const) {
    for (const limit of [1, 2, 4, 25]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (;;) {
        const page = listTurns(h, BASICS, { cursor, limit, sortDirection: dir, itemsView: "notLoaded" });
        assert.ok(page.data.length <= limit);
        seen.push(...page.data.map((t) => t.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      assert.deepEqual(seen, dir === "asc" ? all : [...all].reverse(), `${dir} ${limit}`);
    }
  }
  // a backwards cursor read in the other direction includes its anchor again
  const page = listTurns(h, BASICS, { limit: 3 });
  const back = listTurns(h, BASICS, { cursor: page.backwardsCursor, sortDirection: "asc", limit: 3 });
  assert.deepEqual(back.data.map((t) => t.id), [all[all.length - 1]]);

  const items = h.turns().flatMap((t) => t.items.map((i) => i.id));
  for (const dir of ["asc", "desc"] as const) {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const p = listItems(h, BASICS, { cursor, limit: 4, sortDirection: dir });
      seen.push(...p.data.map((e) => e.item.id));
      if (!p.nextCursor) break;
      cursor = p.nextCursor;
    }
    assert.deepEqual(seen, dir === "asc" ? items : [...items].reverse());
  }
  // per turn, and from an item anchor
  const t2 = h.turns()[1];
  assert.deepEqual(listItems(h, BASICS, { turnId: t2.id }).data.map((e) => e.item.id), t2.items.map((i) => i.id));
  assert.deepEqual(listItems(h, BASICS, { turnId: t2.id, cursor: { type: "item", itemId: t2.items[0].id } }).data.map((e) => e.item.id), t2.items.slice(1).map((i) => i.id));
  assert.deepEqual(listItems(h, BASICS, { turnId: t2.id, sortDirection: "desc", cursor: { type: "item", itemId: t2.items[2].id } }).data.map((e) => e.item.id), [t2.items[1].id, t2.items[0].id]);
});

test("paging: limits are clamped to 1..100; defaults are 25 newest-first summary turns and 25 oldest-first items", async () => {
  const h = await corpusHistory(BASICS);
  assert.equal(listTurns(h, BASICS, { limit: 0 }).data.length, 1);
  assert.equal(listTurns(h, BASICS, { limit: -5 }).data.length, 1);
  assert.equal(listTurns(h, BASICS, { limit: 1000 }).data.length, 9);
  const d = listTurns(h, BASICS, {});
  assert.equal(d.data[0].itemsView, "summary");
  assert.equal(d.data[0].id, h.turns()[8].id);
  const items = listItems(h, BASICS, { limit: null });
  assert.equal(items.data.length, 22);
  assert.equal(items.data[0].item.id, h.turns()[0].items[0].id);
});

test("paging: bad cursors are request errors (-32600) with a clear message", async () => {
  const h = await corpusHistory(BASICS);
  const bad = (f: () => unknown, msg: RegExp) =>
    assert.throws(f, (e: unknown) => {
      assert.ok(e instanceof HistoryRequestError);
      assert.equal(e.code, -32600);
      assert.match(e.message, msg);
      return true;
    });
  const c = (o: object) => JSON.stringify({ requestedThreadId: BASICS, rolloutOrdinal: 5, includeAnchor: false, scope: { kind: "turns" }, ...o });
  bad(() => listTurns(h, BASICS, { cursor: "nope" }), /^invalid cursor: nope$/);
  bad(() => listTurns(h, BASICS, { cursor: c({ requestedThreadId: APPROVALS }) }), /^invalid cursor: /);
  bad(() => listTurns(h, BASICS, { cursor: c({ scope: { kind: "itemsByCreatedAtOrdinal" } }) }), /^invalid cursor: /);
  bad(() => listTurns(h, BASICS, { cursor: c({ rolloutOrdinal: -1 }) }), /^invalid cursor: /);
  bad(() => listTurns(h, BASICS, { cursor: c({ includeAnchor: "yes" }) }), /^invalid cursor: /);
  bad(() => listItems(h, BASICS, { cursor: c({}) }), /^invalid cursor: /);
  bad(() => listItems(h, BASICS, { cursor: { type: "item", itemId: "msg_2" } }), /turnId is required when cursor is an item anchor/);
  bad(() => listItems(h, BASICS, { turnId: h.turns()[1].id, cursor: { type: "item", itemId: "msg_2" } }), /cursor.itemId does not identify an item/);
  // an upper-case thread id in the cursor is the same thread
  assert.equal(listTurns(h, BASICS, { cursor: c({ requestedThreadId: BASICS.toUpperCase() }) }).data.length, 1);

  const legacy = run([meta("t4"), ev("user_message", { message: "a" }), ev("user_message", { message: "b" })]);
  bad(() => listTurns(legacy, "t4", { cursor: "{}" }), /^invalid cursor: \{\}$/);
  bad(() => listTurns(legacy, "t4", { cursor: JSON.stringify({ turnId: "gone", includeAnchor: true }) }), /^invalid cursor: anchor turn is no longer present$/);
  const page = listTurns(legacy, "t4", { limit: 1 });
  assert.equal(page.nextCursor, JSON.stringify({ turnId: "rollout-2", includeAnchor: false }));
  assert.deepEqual(listTurns(legacy, "t4", { limit: 1, cursor: page.nextCursor }).data.map((t) => t.id), ["rollout-1"]);
  // an empty legacy history never looks at the cursor
  assert.deepEqual(listTurns(run([meta("t5")]), "t5", { cursor: "garbage" }), { data: [], nextCursor: null, backwardsCursor: null });
});
