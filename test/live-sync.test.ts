// ThreadMetadataSync: which patch an append yields, and when.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ThreadMetadataSync, mergePatch, itemAffectsMetadata } from "../src/metadata/sync.js";
import type { CreateThreadParams, RolloutItem } from "../src/store/types.js";

const ID = "01a1fba4-0000-7000-8000-000000000001";

function clock(start = 1_800_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const params = (over: Partial<CreateThreadParams> = {}): CreateThreadParams => ({
  threadId: ID,
  source: "vscode",
  originator: "spool-test",
  cliVersion: "0.169.0",
  cwd: "/work/ws",
  modelProvider: "openai",
  ...over,
});

const ev = (type: string, extra: Record<string, unknown> = {}): RolloutItem => ({ type: "event_msg", payload: { type, ...extra } as never });
const userMsg = (text: string) => ev("user_message", { message: text, images: [] });
const userItem = (text: string) => ev("item_completed", { thread_id: ID, turn_id: "t1", item: { type: "UserMessage", id: "u1", content: [{ type: "text", text, text_elements: [] }] } });
const turnCtx = (model: string, effort: string | null = "medium", cwd = "/work/ws"): RolloutItem => ({ type: "turn_context", payload: { turn_id: "t1", cwd, model, effort } as never });
const tokens = (total: number) => ev("token_count", { info: { total_token_usage: { total_tokens: total } } });
const agent = (text: string) => ev("agent_message", { message: text });
const response = (): RolloutItem => ({ type: "response_item", payload: { type: "message", role: "assistant", content: [] } });

test("create: the creation patch waits for the first user item, then carries it with the derived facts", () => {
  const c = clock();
  const sync = ThreadMetadataSync.forCreate(params(), { now: c.now });
  const createdAt = c.now();
  assert.equal(sync.takePendingForExistingHistory(), null, "nothing before history exists");
  c.advance(10);
  assert.equal(sync.observeAppendedItems([ev("task_started", { turn_id: "t1" }), turnCtx("gpt-5")]), null, "no user item yet");
  assert.equal(sync.takePendingForExistingHistory(), null, "flush does not force it either");
  c.advance(10);
  const up = sync.observeAppendedItems([userItem("## My request for Codex:\n  hello there  ")]);
  assert.ok(up);
  assert.deepEqual(up.patch, {
    modelProvider: "openai",
    createdAtMs: createdAt,
    updatedAtMs: c.now(),
    cwd: "/work/ws",
    cliVersion: "0.169.0",
    threadSource: null,
    agentNickname: null,
    agentRole: null,
    model: "gpt-5",
    reasoningEffort: "medium",
    advanceRecencyAtMs: createdAt + 10,
    preview: "hello there",
    firstUserMessage: "hello there",
  });
});

test("a thread with no user item never yields a patch", () => {
  const c = clock();
  const sync = ThreadMetadataSync.forCreate(params(), { now: c.now });
  for (let i = 0; i < 5; i++) {
    c.advance(10_000);
    assert.equal(sync.observeAppendedItems([ev("task_started"), turnCtx("m"), response(), tokens(5)]), null);
  }
  assert.equal(sync.takePendingForExistingHistory(), null);
  assert.ok(sync.takePending(), "the facts are kept for when a user item comes");
});

test("preview and first user message are set once; model, effort, tokens follow the latest", () => {
  const c = clock();
  const sync = ThreadMetadataSync.forCreate(params(), { now: c.now });
  const first = sync.observeAppendedItems([userMsg("first question")])!;
  sync.markApplied(first);
  c.advance(1);
  const second = sync.observeAppendedItems([turnCtx("gpt-5", "high"), userMsg("second question"), tokens(42)])!;
  assert.equal(second.patch.preview, undefined);
  assert.equal(second.patch.firstUserMessage, undefined);
  assert.equal(second.patch.model, "gpt-5");
  assert.equal(second.patch.reasoningEffort, "high");
  assert.equal(second.patch.tokensUsed, 42);
  assert.equal(second.patch.updatedAtMs, c.now());
  sync.markApplied(second);
  const third = sync.observeAppendedItems([ev("thread_settings_applied", { thread_settings: { model: "gpt-6", reasoning_effort: "low" } })])!;
  assert.equal(third.patch.model, "gpt-6");
  assert.equal(third.patch.reasoningEffort, "low");
  assert.equal(third.patch.cwd, undefined, "cwd from create is not overwritten by turn_context");
});

test("image-only first message previews as [Image]; a goal objective is the preview when no message gave one", () => {
  const a = ThreadMetadataSync.forCreate(params(), {});
  const pa = a.observeAppendedItems([ev("user_message", { message: "  ", images: ["data:image/png;base64,AA"] })])!;
  assert.equal(pa.patch.preview, "[Image]");
  assert.equal(pa.patch.firstUserMessage, "[Image]");

  const b = ThreadMetadataSync.forCreate(params(), {});
  b.observeAppendedItems([ev("thread_goal_updated", { goal: { objective: "  ship it " } })]);
  const pb = b.observeAppendedItems([userMsg("now go")])!;
  assert.equal(pb.patch.preview, "ship it");
  assert.equal(pb.patch.firstUserMessage, "now go");
});

test("touch throttle: no-metadata appends touch updatedAt at most once per interval", () => {
  const c = clock();
  const sync = ThreadMetadataSync.forCreate(params(), { now: c.now, touchIntervalMs: 50 });
  sync.markApplied(sync.observeAppendedItems([userMsg("hi")])!);
  c.advance(10);
  assert.equal(sync.observeAppendedItems([agent("a")]), null, "too soon");
  c.advance(10);
  assert.equal(sync.observeAppendedItems([response()]), null, "still too soon");
  c.advance(40); // 60 ms after the last applied touch
  const touch = sync.observeAppendedItems([agent("b")])!;
  assert.deepEqual(touch.patch, { updatedAtMs: c.now() });
  sync.markApplied(touch);
  c.advance(1);
  assert.equal(sync.observeAppendedItems([agent("c")]), null);
  c.advance(1);
  const facts = sync.observeAppendedItems([tokens(7)])!;
  assert.equal(facts.patch.tokensUsed, 7, "metadata-bearing items are never throttled");
  assert.equal(facts.patch.updatedAtMs, c.now());
  sync.markApplied(facts);
  c.advance(1);
  const recency = sync.observeAppendedItems([ev("task_started", { turn_id: "t2" })])!;
  assert.equal(recency.patch.advanceRecencyAtMs, c.now(), "a turn start is a fact, not a mere touch");
});

test("default touch interval is 5 s", () => {
  const c = clock();
  const sync = ThreadMetadataSync.forCreate(params(), { now: c.now });
  sync.markApplied(sync.observeAppendedItems([userMsg("hi")])!);
  c.advance(4_999);
  assert.equal(sync.observeAppendedItems([agent("a")]), null);
  c.advance(1);
  assert.ok(sync.observeAppendedItems([agent("b")]));
});

test("generation: a patch applied while newer facts arrived keeps them pending", () => {
  const c = clock();
  const sync = ThreadMetadataSync.forCreate(params(), { now: c.now });
  const first = sync.observeAppendedItems([userMsg("hi")])!;
  c.advance(1);
  const newer = sync.observeAppendedItems([tokens(9)])!; // arrives before `first` is applied
  sync.markApplied(first);
  const left = sync.takePending();
  assert.ok(left, "newer facts survive");
  assert.equal(left.patch.tokensUsed, 9);
  assert.equal(left.generation, newer.generation);
  sync.markApplied(newer);
  assert.equal(sync.takePending(), null);
});

test("resume: history replays without updatedAt; the patch waits for the first append", () => {
  const c = clock();
  const history: RolloutItem[] = [
    { type: "session_meta", payload: { id: ID, timestamp: "2026-01-02T03:04:05.000Z", cwd: "/old", cli_version: "0.160.0", model_provider: "openai", source: "cli" } },
    { type: "session_meta", payload: { id: "another-thread", timestamp: "2020-01-01T00:00:00Z", cwd: "/elsewhere", model_provider: "other" } },
    turnCtx("gpt-5", "low", "/old"),
    userMsg("from history"),
    tokens(100),
  ];
  const sync = ThreadMetadataSync.forResume(ID, history, { now: c.now });
  assert.equal(sync.takePendingForExistingHistory(), null, "deferred until an append");
  const replay = sync.takePending()!;
  assert.equal(replay.patch.updatedAtMs, undefined, "replay never bumps updatedAt");
  assert.equal(replay.patch.advanceRecencyAtMs, undefined);
  assert.equal(replay.patch.preview, "from history");
  assert.equal(replay.patch.cwd, "/old");
  assert.equal(replay.patch.modelProvider, "openai", "a forked-in session_meta of another thread is ignored");
  assert.equal(replay.patch.createdAtMs, Date.parse("2026-01-02T03:04:05.000Z"));
  c.advance(5);
  const up = sync.observeAppendedItems([userMsg("new question")])!;
  assert.equal(up.patch.preview, "from history");
  assert.equal(up.patch.firstUserMessage, "from history", "first user message comes from history, not the new append");
  assert.equal(up.patch.updatedAtMs, c.now());
  sync.markApplied(up);
  assert.equal(sync.observeAppendedItems([userMsg("third")])?.patch.preview, undefined);
});

test("resume of a history with nothing to say yields only touches", () => {
  const c = clock();
  const sync = ThreadMetadataSync.forResume(ID, [userMsg("x")], { now: c.now, touchIntervalMs: 50 });
  const p = sync.observeAppendedItems([agent("y")])!;
  assert.equal(p.patch.updatedAtMs, c.now());
  assert.equal(p.patch.preview, "x", "the replayed facts ride along with the first touch");
});

test("item_completed UserMessage counts as the user item (Codex 0.169 writes no user_message event)", () => {
  const sync = ThreadMetadataSync.forCreate(params(), {});
  assert.ok(itemAffectsMetadata(userItem("x")));
  assert.ok(!itemAffectsMetadata(ev("item_completed", { item: { type: "AgentMessage" } })));
  assert.ok(sync.observeAppendedItems([userItem("x")]));
});

test("subagent sources seed agent nickname and role; git info is passed through", () => {
  const sync = ThreadMetadataSync.forCreate(
    params({ source: { subagent: { thread_spawn: { parent_thread_id: "p", depth: 1, agent_nickname: "Ada", agent_role: "reviewer" } } } }),
    { gitInfo: { sha: "abc", branch: "main", originUrl: null } },
  );
  const p = sync.observeAppendedItems([userMsg("hi")])!.patch;
  assert.equal(p.agentNickname, "Ada");
  assert.equal(p.agentRole, "reviewer");
  assert.deepEqual(p.gitInfo, { sha: "abc", branch: "main", originUrl: null });
});

test("mergePatch: absent keeps, null clears, git merges per field, recency keeps the max", () => {
  assert.deepEqual(
    mergePatch({ name: "a", model: "m", gitInfo: { sha: "1", branch: "b" }, advanceRecencyAtMs: 10 }, { name: null, gitInfo: { branch: null }, advanceRecencyAtMs: 5, preview: "p" }),
    { name: null, model: "m", gitInfo: { sha: "1", branch: null }, advanceRecencyAtMs: 10, preview: "p" },
  );
});
