// The three observers (ThreadItemProjection, TurnSummaryProjection, LifecycleProjection) as
// LiveThread runs them: they share one reducer, agree with the durable projections the projector
// writes from the same rollout, and the durable projections follow a LiveThread's appends.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { LiveThread } from "../src/live/live-thread.js";
import { LocalThreadStore } from "../src/store/local/local-store.js";
import type { RolloutItem } from "../src/store/types.js";
import { parseRolloutLine } from "../src/rollout/line.js";
import { ProjectionSession, type ThreadHistoryMutation } from "../src/projections/observers.js";
import { Projector } from "../src/projections/projector.js";
import { attachProjector } from "../src/projections/live.js";
import { dumpThread, fixtureHomes, rng, tmpDir } from "./fixtures/projections/helpers.js";
import { agentMessage, createParams, userMessage } from "./helpers/store-conformance.js";

const tmp = tmpDir("spool-projections-live-");
const stores: LocalThreadStore[] = [];
after(async () => {
  for (const s of stores) await s.close().catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ev = (type: string, extra: Record<string, unknown> = {}): RolloutItem => ({ type: "event_msg", payload: { type, ...extra } as never });

/** The rollout's lines as stored items; null when a line does not parse (the store would not hand it out). */
function itemsOf(file: string): RolloutItem[] | null {
  const out: RolloutItem[] = [];
  for (const l of fs.readFileSync(file, "utf8").split("\n")) {
    if (!l) continue;
    const r = parseRolloutLine(l);
    if (r.kind !== "line") return null;
    out.push({ type: r.line.type, payload: r.line.payload });
  }
  return out;
}

test("observers fed a rollout's items in random appends give the projector's rows (every non-fork fixture thread)", async () => {
  const homes = fixtureHomes(tmp);
  let n = 0;
  for (const h of homes) {
    const pj = new Projector({ home: h.home, memory: true, resolvePath: async (id) => h.threads.get(id) ?? null });
    for (const [id, file] of h.threads) {
      const items = itemsOf(file);
      if (!items) continue;
      if (items[0]?.type === "session_meta" && items[0].payload.history_base) continue; // a fork's stream starts in its parent
      await pj.syncThread(id, file);
      const session = new ProjectionSession({ threadId: id, history: items.slice(0, 1) });
      const r = rng(n + 1);
      let at = 1;
      while (at < items.length) {
        const k = 1 + Math.floor(r() * 9);
        const batch = items.slice(at, at + k);
        const all = session.observers().flatMap((o) => o.observeAppend(batch, batch)) as ThreadHistoryMutation[];
        // each observer returns its own kind
        assert.ok(all.every((m) => m.schema_version === 1));
        at += k;
      }
      assert.equal(dumpThread(session.db, id, { checkpoint: false }), dumpThread(pj.db, id, { checkpoint: false }), `${h.name} ${path.basename(file)}`);
      const cp = JSON.parse(pj.tables.checkpoint(id)!.state).core;
      assert.deepEqual(session.state(), cp, `${h.name} ${path.basename(file)}: resume state`);
      n++;
    }
    pj.close();
  }
  assert.ok(n >= 25, `${n} threads`);
});

test("each observer returns its own mutations; an append is reduced once", () => {
  const s = new ProjectionSession({ threadId: "0199a000-0000-7000-8000-000000000001" });
  const batch: RolloutItem[] = [
    ev("task_started", { turn_id: "t1", started_at: 10 }),
    userMessage("hello"),
    agentMessage("hi there"),
    ev("task_complete", { turn_id: "t1", completed_at: 12, duration_ms: 2000, error: { message: "quota", codex_error_info: "usage_limit_exceeded" } }),
  ];
  const [items, turns, life] = s.observers().map((o) => o.observeAppend(batch, batch) as ThreadHistoryMutation[]);
  assert.deepEqual(items.map((m) => m.type), ["thread_item", "thread_item"]);
  assert.deepEqual(items.map((m) => (m.type === "thread_item" ? [m.payload.itemKey, m.payload.itemOrdinal, m.payload.mutationKind] : null)), [
    ["item-1", 1, "upsert"],
    ["item-2", 2, "upsert"],
  ]);
  assert.equal(turns.length, 1);
  const t = turns[0];
  assert.ok(t.type === "turn_summary");
  assert.equal(t.payload.mutation.status, "failed");
  assert.equal(t.payload.mutation.firstUserItemOrdinal, 1);
  assert.equal(t.payload.mutation.finalAgentItemOrdinal, 2);
  assert.deepEqual(life.map((m) => (m.type === "lifecycle" ? [m.payload.seq, m.payload.eventType, m.payload.turnId] : null)), [
    [1, "turn.started", "t1"],
    [2, "turn.failed", "t1"],
  ]);
  const failed = life[1];
  assert.ok(failed.type === "lifecycle");
  assert.deepEqual(failed.payload.payload, { message: "quota", codexErrorInfo: "usageLimitExceeded", completedAt: 12, durationMs: 2000 });
  // the same array again is not reduced twice
  assert.deepEqual(s.observers()[2].observeAppend(batch, batch), life);
  assert.equal((s.db.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n, 2);
});

test("LiveThread on LocalThreadStore: observers' rows equal the durable projections, which follow every append and a resume", async () => {
  const home = fs.mkdtempSync(path.join(tmp, "live-"));
  const store = new LocalThreadStore({ home, defaultProvider: "openai" });
  stores.push(store);
  const projector = new Projector({ home });
  const p = createParams();
  const session = new ProjectionSession({ threadId: p.threadId, historyMode: "legacy" });
  const live = await LiveThread.create(store, p, { observers: session.observers() });
  const rolloutPath = async () => (await store.readThread(p.threadId, { includeArchived: true })).rolloutPath;
  const attached = attachProjector(live, projector, rolloutPath);
  const seen: unknown[][] = [];
  live.on("appended", (_persisted, mutations) => seen.push(mutations));

  const r1 = await live.appendItems([
    ev("task_started", { turn_id: "t1", started_at: 100 }),
    { type: "turn_context", payload: { turn_id: "t1", cwd: "/work/project", model: "gpt-5" } },
    userMessage("first"),
    ev("exec_command_begin", { call_id: "c1" }), // live-only: dropped by the policy, never projected
    ev("agent_reasoning", { text: "thinking" }),
    ev("agent_reasoning", { text: "more" }),
    agentMessage("done"),
    ev("task_complete", { turn_id: "t1", completed_at: 101, duration_ms: 1000 }),
  ]);
  assert.ok(r1.mutations.some((m) => (m as ThreadHistoryMutation).type === "lifecycle"));
  await live.appendItems([
    ev("task_started", { turn_id: "t2", started_at: 102 }),
    userMessage("second"),
    ev("error", { message: "stream disconnected" }),
    ev("task_complete", { turn_id: "t2", completed_at: 103, duration_ms: 1000, error: { message: "boom", codex_error_info: "other" } }),
  ]);
  await live.appendItems([ev("task_started", { turn_id: "t3", started_at: 104 }), userMessage("third"), ev("turn_aborted", { turn_id: "t3", reason: "interrupted", completed_at: 105 })]);
  await attached.idle();
  assert.equal(seen.length, 3);
  assert.equal(dumpThread(projector.db, p.threadId, { checkpoint: false }), dumpThread(session.db, p.threadId, { checkpoint: false }));
  const types = projector.readEvents(p.threadId, 0).map((e) => `${e.type}:${e.turnId}`);
  assert.deepEqual(types, ["turn.started:t1", "turn.completed:t1", "turn.started:t2", "turn.failed:t2", "turn.started:t3", "turn.cancelled:t3"]);
  const cp = JSON.parse(projector.tables.checkpoint(p.threadId)!.state).core;
  assert.equal(cp.model, "gpt-5");
  assert.deepEqual(session.state(), cp);

  // resume: a new session seeded from the stored history goes on where the first one stopped
  await live.shutdown();
  attached.detach();
  const history = await store.loadHistory(p.threadId);
  const session2 = new ProjectionSession({ threadId: p.threadId, history });
  const live2 = await LiveThread.resume(store, p.threadId, { history, observers: session2.observers() });
  const attached2 = attachProjector(live2, projector, rolloutPath);
  const r = await live2.appendItems([userMessage("after resume"), agentMessage("welcome back"), ev("thread_rolled_back", { num_turns: 2 }), userMessage("again")]);
  const life = r.mutations.filter((m) => (m as ThreadHistoryMutation).type === "lifecycle") as ThreadHistoryMutation[];
  assert.deepEqual(life.map((m) => m.type === "lifecycle" && m.payload.eventType), ["thread.rolled_back"]);
  const tomb = r.mutations.filter((m) => (m as ThreadHistoryMutation).type === "turn_summary" && (m as { payload: { mutationKind: string } }).payload.mutationKind === "tombstone");
  assert.equal(tomb.length, 2);
  await attached2.idle();
  assert.equal(dumpThread(projector.db, p.threadId, { checkpoint: false }), dumpThread(session2.db, p.threadId, { checkpoint: false }));
  // and both equal a rebuild from the file
  const rebuilt = new Projector({ home, memory: true });
  await rebuilt.syncThread(p.threadId, (await rolloutPath())!);
  assert.equal(dumpThread(rebuilt.db, p.threadId), dumpThread(projector.db, p.threadId));
  rebuilt.close();
  await live2.shutdown();
  projector.close();
});
