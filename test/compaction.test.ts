// Compaction with the scripted model through Spool's app-server: thread/compact/start runs a turn
// with one contextCompaction item and one summary request, writes a `compacted` line whose
// replacement history is what the next request (and a resumed thread's) starts from; the
// automatic one runs before a turn's input once the last request reached
// model_auto_compact_token_limit. A cold real Codex reads the rollout with Spool's turns.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startCodex } from "./helpers/codex.js";
import { spawnSync } from "node:child_process";
import { spoolMain, startSpool } from "./helpers/spool.js";
import { useMockResponses } from "./helpers/mock-home.js";
import { validateNotification, validateResponse } from "./helpers/schema.js";
import type { RpcClient } from "./helpers/rpc-client.js";
import { withoutStableIds } from "./helpers/compare.js";

const fx = useMockResponses();

type Item = { type: string; role?: string; content?: Array<{ text?: string }> };
const texts = (input: Item[]) => input.filter((i) => i.type === "message").map((i) => `${i.role}:${(i.content ?? []).map((c) => c.text ?? "").join("")}`);

/** Runs a turn to its end (clearing earlier notifications: waiters also match those). */
async function turn(c: RpcClient, threadId: string, text: string): Promise<void> {
  c.clearNotifications();
  const done = c.waitForNotification("turn/completed", (p) => p.threadId === threadId);
  await c.request("turn/start", { threadId, input: [{ type: "text", text }] });
  await done;
}

/** The codex_compaction_events Spool stored (analytics is on by default). */
function compactionEvents(home: string): Array<Record<string, unknown>> {
  const r = spawnSync(process.execPath, [spoolMain(), "analytics", "events", "--home", home, "--json"], { encoding: "utf8", env: { ...process.env, SPOOL_LOG: "error" } });
  return r.stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .map((o) => (o.event_type ? o : (o.event ?? o)))
    .filter((e) => e.event_type === "codex_compaction_event")
    .map((e) => e.event_params);
}

/** The fields Spool sets the same way every time. */
const stable = (e: Record<string, unknown>) => Object.fromEntries(["trigger", "reason", "implementation", "phase", "strategy", "status", "codex_error_kind", "active_context_tokens_before"].map((k) => [k, e[k]]));

function rolloutOf(home: string): Array<{ type: string; payload: any }> {
  const find = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? find(path.join(d, e.name)) : e.name.endsWith(".jsonl") ? [path.join(d, e.name)] : []));
  const [file] = find(path.join(home, "sessions"));
  return fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

test("thread/compact/start summarizes, the next request and a resumed thread start from the summary, Codex reads the turns", { timeout: 120_000 }, async () => {
  const { home, ws } = fx.makeHome({ prefix: "spool-compact-" });
  const spool = startSpool(home);
  let threadId = "";
  try {
    await spool.initialize("compaction-test");
    threadId = (await spool.request("thread/start", { cwd: ws })).thread.id;
    await turn(spool, threadId, "hello one");
    const before = fx.mock.requests.length;
    spool.clearNotifications();
    const done = spool.waitForNotification("turn/completed", (p) => p.threadId === threadId);
    const answer = await spool.request("thread/compact/start", { threadId });
    assert.deepEqual(answer, {});
    assert.deepEqual(validateResponse("thread/compact/start", answer), []);
    await done;
    const seen = spool.notifications.filter((n) => n.method.startsWith("item/") || n.method.startsWith("turn/"));
    for (const n of spool.notifications) assert.deepEqual(validateNotification(n.method, n.params), [], n.method);
    // as Codex 0.169 sends them: turn/started, the compaction item, turn/completed (no agent message)
    assert.deepEqual(seen.map((n) => `${n.method}:${(n.params as any).item?.type ?? ""}`), ["turn/started:", "item/started:contextCompaction", "item/completed:contextCompaction", "turn/completed:"]);
    const completed = (seen[3].params as any).turn;
    assert.equal(completed.status, "completed");
    assert.deepEqual(completed.items, []);
    assert.equal(completed.itemsView, "notLoaded");
    // one summary request: the conversation plus the request for a handoff note
    assert.equal(fx.mock.requests.length, before + 1);
    const summaryInput = texts(fx.mock.requests[before].body.input);
    assert.deepEqual(summaryInput.slice(-3).map((t) => t.slice(0, 40)), ["user:hello one", "assistant:Echo: hello one", "user:Write a handoff note so that a fres"]);

    await turn(spool, threadId, "hello two");
    const next = texts(fx.mock.requests[fx.mock.requests.length - 1].body.input);
    assert.ok(!next.includes("assistant:Echo: hello one"), "the old reply is gone");
    const tail = next.slice(-3);
    assert.equal(tail[0], "user:hello one");
    assert.match(tail[1], /^user:Earlier work on this thread was condensed into the handoff note below; continue from it\.\nEcho: Write a handoff note/);
    assert.equal(tail[2], "user:hello two");
  } finally {
    await spool.close();
  }
  const [manual, ...others] = compactionEvents(home);
  assert.equal(others.length, 0);
  // the scripted model prices a request at 100 + 10 per input item: the last request before the
  // compaction carried six (base instructions, developer context, user context, then the turn)
  assert.deepEqual(stable(manual), { trigger: "manual", reason: "user_requested", implementation: "responses", phase: "standalone_turn", strategy: "memento", status: "completed", codex_error_kind: null, active_context_tokens_before: 160 });
  assert.equal(manual.thread_id, threadId);

  // the rollout: the summary reply, then the `compacted` line, then the item's completion
  const lines = rolloutOf(home);
  const at = lines.findIndex((l) => l.type === "compacted");
  assert.ok(at > 0);
  const compacted = lines[at].payload;
  assert.match(compacted.message, /^Earlier work on this thread was condensed/);
  assert.deepEqual(texts(compacted.replacement_history).map((t: string) => t.slice(0, 30)).slice(-2), ["user:hello one", "user:Earlier work on this thre"]);
  assert.equal(lines[at - 2].type, "response_item");
  assert.equal(lines[at - 2].payload.role, "assistant");
  assert.deepEqual({ ...lines[at + 1].payload, thread_id: 0, turn_id: 0, started_at_ms: 0, completed_at_ms: 0, item: { ...lines[at + 1].payload.item, id: 0 } }, {
    type: "item_completed",
    thread_id: 0,
    turn_id: 0,
    item: { type: "ContextCompaction", id: 0 },
    started_at_ms: 0,
    completed_at_ms: 0,
  });

  // resumed cold: the next request starts from the replacement history, not the old items
  const again = startSpool(home);
  try {
    await again.initialize("compaction-test");
    await again.request("thread/resume", { threadId });
    await turn(again, threadId, "hello three");
    const input = texts(fx.mock.requests[fx.mock.requests.length - 1].body.input);
    assert.ok(!input.includes("assistant:Echo: hello one"));
    assert.deepEqual(input.slice(-5).map((t) => t.slice(0, 30)), ["user:hello one", "user:Earlier work on this thre", "user:hello two", "assistant:Echo: hello two", "user:hello three"]);
  } finally {
    await again.close();
  }

  // a cold real Codex reads the same turns and items
  const codex = startCodex(home);
  const reader = startSpool(home);
  try {
    await codex.initialize("compaction-test");
    await reader.initialize("compaction-test");
    const c = (await codex.request("thread/read", { threadId, includeTurns: true })).thread;
    const s = (await reader.request("thread/read", { threadId, includeTurns: true })).thread;
    assert.deepEqual(withoutStableIds(s.turns), withoutStableIds(c.turns), "the same turns but the ids and times Spool keeps from live");
    assert.deepEqual(c.turns.map((t: { items: Array<{ type: string }> }) => t.items.map((i) => i.type).join("+")), ["userMessage+agentMessage", "contextCompaction", "userMessage+agentMessage", "userMessage+agentMessage"]);
  } finally {
    await codex.close();
    await reader.close();
  }
});

test("a turn compacts first when the last request reached model_auto_compact_token_limit", { timeout: 120_000 }, async () => {
  // the scripted model's first request uses 140 tokens (100 + 10 per input item, 20 out)
  const { home, ws } = fx.makeHome({ prefix: "spool-autocompact-", extra: "model_auto_compact_token_limit = 130\n" });
  const spool = startSpool(home);
  try {
    await spool.initialize("compaction-test");
    const threadId = (await spool.request("thread/start", { cwd: ws })).thread.id;
    await turn(spool, threadId, "hello one");
    spool.clearNotifications();
    const before = fx.mock.requests.length;
    await turn(spool, threadId, "hello two");
    const kinds = spool.notifications.filter((n) => n.method === "item/completed").map((n) => (n.params as any).item.type);
    assert.deepEqual(kinds, ["contextCompaction", "userMessage", "agentMessage"]);
    assert.equal(fx.mock.requests.length, before + 2);
    assert.match(texts(fx.mock.requests[before].body.input).at(-1)!, /^user:Write a handoff note/);
    const answered = texts(fx.mock.requests[before + 1].body.input);
    assert.ok(!answered.includes("assistant:Echo: hello one"));
    assert.deepEqual(answered.slice(-3).map((t) => t.slice(0, 30)), ["user:hello one", "user:Earlier work on this thre", "user:hello two"]);
  } finally {
    await spool.close();
  }
  assert.deepEqual(compactionEvents(home).map(stable), [{ trigger: "auto", reason: "context_limit", implementation: "responses", phase: "pre_turn", strategy: "memento", status: "completed", codex_error_kind: null, active_context_tokens_before: 160 }]);
});
