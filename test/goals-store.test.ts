// GoalStore: every status transition, the budget rules, usage accounting (exactly at and across
// the budget, cached tokens not counted, accounting modes), the model's create/update rules,
// events, deferrals, and persistence across close/reopen in <home>/spool/goals.sqlite.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { GoalStore, goalsPath, type GoalEvent } from "../src/goals/store.js";
import { GoalError, MSG } from "../src/goals/validate.js";
import { GOAL_STATUSES, toThreadGoal, type GoalStatus } from "../src/goals/types.js";

const T = "01a1fba4-a2a8-7a62-985a-848ae84fbe5b";

function memStore(start = 1_795_223_233_000) {
  let now = start;
  let n = 0;
  const store = GoalStore.memory({ now: () => now, newGoalId: () => `goal-${++n}` });
  const events: GoalEvent[] = [];
  store.subscribe((e) => events.push(e));
  return { store, events, tick: (ms: number) => (now += ms) };
}

const throwsGoal = (fn: () => unknown, message: string) =>
  assert.throws(fn, (e: unknown) => e instanceof GoalError && e.message === message, `expected GoalError "${message}"`);

test("set creates a goal (objective trimmed, active by default) and updates it in place", () => {
  const { store, events } = memStore();
  const g = store.set(T, { objective: "  ship the thread store  ", tokenBudget: 50000 });
  assert.equal(g.objective, "ship the thread store");
  assert.equal(g.status, "active");
  assert.equal(g.tokenBudget, 50000);
  assert.deepEqual(toThreadGoal(g), {
    threadId: T,
    objective: "ship the thread store",
    status: "active",
    tokenBudget: 50000,
    tokensUsed: 0,
    timeUsedSeconds: 0,
    createdAt: 1795223233,
    updatedAt: 1795223233,
  });
  store.accountDelta(T, 300, 0);
  const edited = store.set(T, { objective: "ship it all" });
  assert.equal(edited.goalId, g.goalId, "an objective edit keeps the goal");
  assert.equal(edited.tokensUsed, 300, "and its usage");
  assert.equal(edited.objective, "ship it all");
  const unbudgeted = store.set(T, { tokenBudget: null });
  assert.equal(unbudgeted.tokenBudget, null);
  assert.equal(store.set(T, {}).tokenBudget, null, "absent tokenBudget leaves it");
  assert.deepEqual(
    events.map((e) => (e.type === "updated" ? `${e.cause}:${e.goal.status}:${e.turnId}` : e.type)),
    ["created:active:null", "usage:active:null", "updated:active:null", "updated:active:null", "updated:active:null"],
  );
  const created = store.set("01a1fba4-0000-7000-8000-000000000001", { objective: "paused from the start", status: "paused" });
  assert.equal(created.status, "paused");
});

test("set: validation and the no-goal error use Codex's wording", () => {
  const { store, events } = memStore();
  throwsGoal(() => store.set(T, { status: "paused" }), `cannot update goal for thread ${T}: no goal exists`);
  throwsGoal(() => store.set(T, {}), MSG.noGoalForUpdate(T));
  throwsGoal(() => store.set(T, { objective: "   " }), "goal objective must not be empty");
  throwsGoal(() => store.set(T, { objective: "y".repeat(4001) }), "goal objective must be at most 4000 characters");
  assert.equal(store.set(T, { objective: "é".repeat(4000) }).objective.length, 4000, "4,000 characters are fine");
  throwsGoal(() => store.set(T, { tokenBudget: 0 }), "goal budgets must be positive when provided");
  throwsGoal(() => store.set(T, { tokenBudget: -3 }), "goal budgets must be positive when provided");
  throwsGoal(() => store.set(T, { tokenBudget: 2.5 }), "goal budgets must be positive when provided");
  assert.equal(events.length, 1, "failed sets change nothing and emit nothing");
});

test("every status transition through set, with the budget rules", () => {
  const { store } = memStore();
  store.set(T, { objective: "o" });
  // any status to any status (the user's / system's set is not restricted), except that paused
  // or blocked asked of a budgetLimited goal leave it budgetLimited
  for (const from of GOAL_STATUSES)
    for (const to of GOAL_STATUSES) {
      store.set(T, { status: from, tokenBudget: null });
      const expected = from === "budgetLimited" && (to === "paused" || to === "blocked") ? "budgetLimited" : to;
      assert.equal(store.set(T, { status: to }).status, expected, `${from} -> ${to}`);
    }
  // budget rules
  store.set(T, { status: "active", tokenBudget: 1000 });
  store.accountDelta(T, 400, 0);
  assert.equal(store.set(T, { tokenBudget: 300 }).status, "budgetLimited", "a budget under the usage limits an active goal");
  assert.equal(store.set(T, { status: "paused" }).status, "budgetLimited", "paused asked of a budgetLimited goal: budget wins");
  assert.equal(store.set(T, { status: "blocked" }).status, "budgetLimited", "blocked too");
  assert.equal(store.set(T, { tokenBudget: 5000 }).status, "budgetLimited", "a bigger budget alone does not resume");
  assert.equal(store.set(T, { status: "active" }).status, "active", "active under the budget resumes");
  assert.equal(store.set(T, { status: "active", tokenBudget: 400 }).status, "budgetLimited", "active with tokensUsed >= budget is budgetLimited");
  assert.equal(store.set(T, { status: "complete" }).status, "complete", "complete is allowed from budgetLimited");
  assert.equal(store.set(T, { status: "usageLimited" }).status, "usageLimited");
  assert.equal(store.set(T, { status: "paused", tokenBudget: 10 }).status, "paused", "a small budget does not limit a paused goal");
  assert.equal(store.set(T, { status: "active" }).status, "budgetLimited", "resuming over the budget is budgetLimited");
  assert.equal(store.set(T, { status: "active", tokenBudget: null }).status, "active", "no budget, no limit");
});

test("replace and insert: usage starts over; a budget of 0 is budgetLimited at once", () => {
  const { store, events } = memStore();
  const a = store.replace(T, { objective: "first", tokenBudget: 100 });
  store.accountDelta(T, 50, 3);
  assert.equal(store.insert(T, { objective: "second" }), null, "insert keeps an existing goal");
  const b = store.replace(T, { objective: "second", tokenBudget: 0 });
  assert.notEqual(b.goalId, a.goalId);
  assert.equal(b.status, "budgetLimited");
  assert.equal(b.tokensUsed, 0);
  assert.equal(b.timeUsedSeconds, 0);
  const other = "01a1fba4-0000-7000-8000-000000000002";
  assert.equal(store.insert(other, { objective: "zero", tokenBudget: 0 })!.status, "budgetLimited");
  assert.equal(store.insert("01a1fba4-0000-7000-8000-000000000003", { objective: "paused zero", status: "paused", tokenBudget: 0 })!.status, "paused");
  assert.deepEqual(
    events.filter((e) => e.type === "updated").map((e) => (e as { cause: string }).cause),
    ["created", "usage", "replaced", "created", "created"],
  );
});

test("the model's create: fails while an unfinished goal exists, replaces a complete one", () => {
  const { store, events } = memStore();
  const g = store.create(T, { objective: "  build  ", tokenBudget: 500 }, { turnId: "turn-1" });
  assert.equal(g.objective, "build");
  assert.equal(g.status, "active");
  for (const s of ["active", "paused", "blocked", "usageLimited", "budgetLimited"] as GoalStatus[]) {
    store.set(T, { status: s });
    throwsGoal(() => store.create(T, { objective: "other" }), "cannot create a new goal because this thread has an unfinished goal; complete the existing goal first");
  }
  store.accountDelta(T, 100, 0, { mode: "activeOrStopped" });
  store.set(T, { status: "complete" });
  const next = store.create(T, { objective: "next" }, { turnId: "turn-2" });
  assert.notEqual(next.goalId, g.goalId);
  assert.equal(next.tokensUsed, 0);
  assert.equal(next.tokenBudget, null);
  throwsGoal(() => store.create("01a1fba4-0000-7000-8000-000000000009", { objective: "x", tokenBudget: 0 }), MSG.badBudget);
  const first = events[0] as Extract<GoalEvent, { type: "updated" }>;
  assert.equal(first.turnId, "turn-1");
  assert.equal(first.cause, "created");
  const last = events[events.length - 1] as Extract<GoalEvent, { type: "updated" }>;
  assert.equal(last.cause, "replaced");
  assert.equal(last.previous?.status, "complete");
});

test("the model's update: complete, blocked or paused only; budgetLimited wins over paused/blocked", () => {
  const { store } = memStore();
  throwsGoal(() => store.modelUpdate(T, "complete"), "cannot update goal because this thread has no goal");
  store.create(T, { objective: "o", tokenBudget: 100 });
  for (const s of ["active", "usageLimited", "budgetLimited"] as GoalStatus[]) throwsGoal(() => store.modelUpdate(T, s), MSG.modelStatus);
  assert.equal(store.modelUpdate(T, "blocked").status, "blocked");
  assert.equal(store.modelUpdate(T, "paused").status, "paused", "paused from blocked");
  assert.equal(store.modelUpdate(T, "blocked").status, "blocked", "blocked from paused");
  store.set(T, { status: "active" });
  store.accountDelta(T, 100, 0);
  assert.equal(store.get(T)!.status, "budgetLimited");
  assert.equal(store.modelUpdate(T, "paused").status, "budgetLimited");
  assert.equal(store.modelUpdate(T, "blocked").status, "budgetLimited");
  assert.equal(store.modelUpdate(T, "complete").status, "complete");
});

test("transition and clear", () => {
  const { store, events } = memStore();
  assert.equal(store.clear(T), false, "nothing to clear");
  store.create(T, { objective: "o" });
  assert.equal(store.transition(T, ["paused"], "active"), null, "only from the given statuses");
  assert.equal(store.transition(T, ["active"], "blocked", { turnId: "t" })!.status, "blocked");
  assert.equal(store.clear(T), true);
  assert.equal(store.get(T), null);
  assert.equal(store.clear(T), false);
  assert.deepEqual(events.map((e) => e.type), ["updated", "updated", "cleared"]);
});

test("accountUsage: (input - cached) + output in one update; exactly at the budget flips active to budgetLimited", () => {
  const { store, events, tick } = memStore();
  store.create(T, { objective: "o", tokenBudget: 1000 });
  tick(1500);
  // 140 input of which 50 cached, 20 output: 110
  let r = store.accountUsage(T, { inputTokens: 140, cachedInputTokens: 50, outputTokens: 20, wallSeconds: 1 }, { turnId: "turn-1" });
  assert.equal(r.updated, true);
  assert.equal(r.goal!.tokensUsed, 110, "cached input is not counted");
  assert.equal(r.goal!.timeUsedSeconds, 1);
  assert.equal(r.goal!.updatedAtMs, 1_795_223_234_500);
  assert.equal(r.budgetLimited, false);
  // to 999: still active
  r = store.accountUsage(T, { inputTokens: 1000, cachedInputTokens: 111, outputTokens: 0, wallSeconds: 0 });
  assert.equal(r.goal!.tokensUsed, 999);
  assert.equal(r.goal!.status, "active");
  // exactly at the budget
  r = store.accountUsage(T, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 0, wallSeconds: 0 });
  assert.equal(r.goal!.tokensUsed, 1000);
  assert.equal(r.goal!.status, "budgetLimited");
  assert.equal(r.budgetLimited, true, "this update crossed the budget");
  // budgetLimited is still charged in the default mode (activeOnly), and does not flip again
  r = store.accountUsage(T, { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, wallSeconds: 0 });
  assert.equal(r.goal!.tokensUsed, 1015);
  assert.equal(r.budgetLimited, false);
  // across the budget in one update
  const U = "01a1fba4-0000-7000-8000-000000000004";
  store.create(U, { objective: "o", tokenBudget: 100 });
  r = store.accountUsage(U, { inputTokens: 500, cachedInputTokens: 100, outputTokens: 50, wallSeconds: 0 });
  assert.equal(r.goal!.tokensUsed, 450);
  assert.equal(r.goal!.status, "budgetLimited");
  assert.equal(r.budgetLimited, true);
  // cached more than input, negative parts: nothing below 0
  r = store.accountUsage(U, { inputTokens: 10, cachedInputTokens: 50, outputTokens: -5, wallSeconds: -2 });
  assert.equal(r.updated, false, "a zero delta changes nothing");
  assert.equal(events.filter((e) => e.type === "updated" && e.cause === "usage").length, 5);
  assert.equal((events[1] as { turnId: string | null }).turnId, "turn-1");
});

test("accounting modes decide which statuses are charged and where the budget applies", () => {
  const { store } = memStore();
  store.create(T, { objective: "o", tokenBudget: 100 });
  store.set(T, { status: "paused" });
  assert.equal(store.accountDelta(T, 50, 0).updated, false, "activeOnly does not charge a paused goal");
  assert.equal(store.accountDelta(T, 50, 0, { mode: "activeStatusOnly" }).updated, false);
  const r = store.accountDelta(T, 150, 0, { mode: "activeOrStopped" });
  assert.equal(r.goal!.status, "budgetLimited", "activeOrStopped charges a paused goal and applies the budget to it");
  assert.equal(r.budgetLimited, true);
  store.set(T, { status: "complete" });
  assert.equal(store.accountDelta(T, 10, 0).updated, false, "complete is not charged in activeOnly");
  const c = store.accountDelta(T, 10, 0, { mode: "activeOrComplete" });
  assert.equal(c.goal!.tokensUsed, 160);
  assert.equal(c.goal!.status, "complete", "the budget never applies to a complete goal");
  assert.equal(store.accountDelta(T, 10, 0, { mode: "activeOrStopped" }).updated, false, "activeOrStopped leaves complete alone");
  store.set(T, { status: "active", tokenBudget: null });
  assert.equal(store.accountDelta(T, 10, 0, { mode: "activeStatusOnly" }).goal!.tokensUsed, 170);
  const id = store.get(T)!.goalId;
  assert.equal(store.accountDelta(T, 10, 0, { expectedGoalId: "another goal" }).updated, false, "another goal id: unchanged");
  assert.equal(store.accountDelta(T, 10, 0, { expectedGoalId: id }).goal!.tokensUsed, 180);
  assert.equal(store.accountDelta("01a1fba4-0000-7000-8000-00000000000f", 10, 0).goal, null, "no goal");
});

test("deferrals live with the goal", () => {
  const { store } = memStore();
  assert.equal(store.defer(T), false, "no goal, no deferral");
  store.create(T, { objective: "o" });
  assert.equal(store.defer(T), true);
  assert.equal(store.isDeferred(T), true);
  store.set(T, { status: "paused" });
  assert.equal(store.isDeferred(T), true, "an update keeps it");
  assert.equal(store.undefer(T), true);
  assert.equal(store.undefer(T), false);
  store.defer(T);
  store.clear(T);
  assert.equal(store.isDeferred(T), false, "cleared with the goal");
  store.create(T, { objective: "o" });
  store.defer(T);
  store.set(T, { status: "complete" });
  store.create(T, { objective: "new" });
  assert.equal(store.isDeferred(T), false, "a new goal is not deferred");
});

test("goals survive a restart: <home>/spool/goals.sqlite (WAL), never Codex's goals_1.sqlite", () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "spool-goals-"));
  try {
    let now = 1_795_223_233_218;
    const a = GoalStore.open(home, { now: () => now });
    a.create(T, { objective: "ship the thread store", tokenBudget: 50000 });
    now += 38;
    a.accountUsage(T, { inputTokens: 310, cachedInputTokens: 100, outputTokens: 40, wallSeconds: 0 });
    a.modelUpdate(T, "complete");
    a.set("01a1fba4-0000-7000-8000-000000000005", { objective: "other", status: "paused" });
    a.defer("01a1fba4-0000-7000-8000-000000000005");
    const before = a.get(T);
    a.close();
    assert.ok(fs.existsSync(goalsPath(home)));
    assert.equal(goalsPath(home), path.join(home, "spool", "goals.sqlite"));
    assert.ok(!fs.existsSync(path.join(home, "goals_1.sqlite")), "Codex's file is never written");
    const b = GoalStore.open(home);
    assert.deepEqual(b.get(T), before);
    assert.equal(b.get(T)!.tokensUsed, 250);
    assert.equal(b.get(T)!.status, "complete");
    assert.equal(b.isDeferred("01a1fba4-0000-7000-8000-000000000005"), true);
    b.close();
    const raw = new Database(goalsPath(home), { readonly: true });
    assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(raw.pragma("user_version", { simple: true }), 1);
    raw.close();
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test("two stores on one file see each other's changes (the update is atomic in SQLite)", () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "spool-goals-"));
  try {
    const a = GoalStore.open(home);
    const b = GoalStore.open(home);
    a.create(T, { objective: "o", tokenBudget: 100 });
    for (let i = 0; i < 10; i++) (i % 2 ? a : b).accountDelta(T, 10, 0);
    assert.equal(a.get(T)!.tokensUsed, 100);
    assert.equal(b.get(T)!.status, "budgetLimited");
    a.close();
    b.close();
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
