// GoalRuntime: goals on live threads. It owns, per loaded thread, what Codex 0.169.0 keeps in
// memory around the goal table: the current turn's token baseline and whether the goal is that
// turn's goal, the wall clock of the active goal, whether the budget-limit notice was given, the
// objective the model still has to be told; and it answers the model tools and the server's
// thread/goal/* mutations, and drives the continuation policy.
//
// What the server wiring calls, and when:
//   threadLoaded(id, {totals, resumed})  a thread is loaded (totals: the session's token usage);
//                                        resumed: no continuation before resumeReady(id)
//   resumeReady(id)                      after the resume response, token usage, the goal snapshot
//                                        (snapshot(id)) and the replayed requests are out
//   observe(id, notification)            every turn notification, BEFORE it is forwarded, so the
//                                        turn-end goal update precedes turn/completed as in Codex
//   beforeModelRequest(id, turnId)       before each model request of a turn: charges the last
//                                        tool round and returns items to record first (the
//                                        budget-limit notice, the goal_objective context)
//   tools(id)                            the goal tools for the thread's ToolRegistry
//   setGoal / clearGoal                  thread/goal/set and thread/goal/clear
//   threadUnloaded(id)
// and it calls `startContinuationTurn(id, input, goal)`: start a turn whose input is `input`
// (internal context, not a user message; Codex records the turn with turn_trigger "goal").
//
// Accounting (Codex's): a turn's goal is the goal that was active or budgetLimited when it
// started, or the one create_goal or thread/goal/set made active during it. It is charged after
// each tool round (steering allowed: crossing the budget mid-turn injects the budget-limit notice
// once per goal), before update_goal changes it (activeOrComplete for complete, activeOrStopped
// for blocked/paused), before thread/goal/set or clear touch it, and at the end of the turn. A
// turn that fails blocks its active goal (usageLimited when the failure is a usage limit); an
// interrupted one leaves it as it is.
import type { RolloutItem } from "../store/types.js";
import { goalTools, type GoalToolHost, type GoalStatusUpdate } from "../agent/tools/goals.js";
import type { FunctionTool, ToolContext } from "../agent/tools/registry.js";
import { WallClock, subTotals, tokenDelta, totalsFrom, type TokenTotals } from "./accounting.js";
import { ContinuationPolicy, type TurnEnd } from "./continuation.js";
import { budgetLimitItem, continuationItem, goalObjectiveItem } from "./prompts.js";
import { GoalStore, type GoalEvent, type GoalPatch } from "./store.js";
import { isAccountedAtTurnStart, remainingTokens, toThreadGoal, toolGoalJson, type AccountingMode, type GoalRecord, type ThreadGoal } from "./types.js";
import { GoalError, MSG, checkBudget, normalizeObjective } from "./validate.js";

export const COMPLETION_BUDGET_REPORT =
  "Goal achieved. Report final usage from this tool result's structured goal fields. If `goal.tokenBudget` is present, include token usage from `goal.tokensUsed` and `goal.tokenBudget`. If `goal.timeUsedSeconds` is greater than 0, summarize elapsed time in a concise, human-friendly form appropriate to the response language.";

/** What the model tools answer: the goal (no tokenBudget key without a budget), remainingTokens, completionBudgetReport. */
export function goalToolResponse(goal: GoalRecord | null, opts: { completion?: boolean } = {}): string {
  const g = goal ? toolGoalJson(goal) : null;
  const report = opts.completion && goal && goal.status === "complete" && (goal.tokenBudget !== null || goal.timeUsedSeconds > 0) ? COMPLETION_BUDGET_REPORT : null;
  return JSON.stringify({ goal: g, remainingTokens: goal ? remainingTokens(goal) : null, completionBudgetReport: report });
}

/** A notification the server sends to every connection. */
export interface GoalNotification {
  method: "thread/goal/updated" | "thread/goal/cleared";
  params: { threadId: string; turnId: string | null; goal: ThreadGoal } | { threadId: string };
}

export interface GoalRuntimeOptions {
  store: GoalStore;
  /** Wall clock in ms (default Date.now). */
  now?: () => number;
  /** Starts an automatic goal turn with `input` as its first items (see the header). */
  startContinuationTurn?: (threadId: string, input: RolloutItem[], goal: GoalRecord) => void | Promise<void>;
  /** How continuation starts are deferred (default setImmediate). */
  schedule?: (fn: () => void) => void;
  /** Whether the thread's model has an update_plan tool (adds "Progress visibility" to the continuation prompt). */
  updatePlanTool?: (threadId: string) => boolean;
  onError?: (threadId: string, err: unknown) => void;
}

/** A turn notification, as the turn engine reports it (only the three below matter here). */
export interface ObservedNotification {
  method: string;
  params?: unknown;
}

interface TurnState {
  id: string;
  /** Token totals when the goal's charging (re)started; null until the turn's first usage report. */
  baseline: TokenTotals | null;
  goalId: string | null;
  requests: number;
}

interface ThreadState {
  totals: TokenTotals | null;
  turn: TurnState | null;
  wall: WallClock;
  budgetReported: string | null;
  /** An objective the model has not been given as goal_objective context yet. */
  objectivePending: string | null;
  ephemeral: boolean;
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function isUsageLimit(error: unknown): boolean {
  const info = obj(error).codexErrorInfo ?? obj(error).codex_error_info;
  if (typeof info === "string") return info === "usageLimitExceeded" || info === "usage_limit_exceeded";
  const o = obj(info);
  return "usageLimitExceeded" in o || "usage_limit_exceeded" in o;
}

export class GoalRuntime {
  readonly store: GoalStore;
  readonly continuation: ContinuationPolicy;
  private readonly now: () => number;
  private readonly threads = new Map<string, ThreadState>();

  constructor(private readonly opts: GoalRuntimeOptions) {
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.continuation = new ContinuationPolicy({
      goalStatus: (id) => this.store.get(id)?.status ?? null,
      isDeferred: (id) => this.store.isDeferred(id),
      startContinuationTurn: (id) => this.startContinuation(id),
      schedule: opts.schedule,
      onError: opts.onError,
    });
  }

  // ------------------------------------------------------------------------------ thread lifecycle

  /** A thread is loaded. `totals`: its token usage so far (rollout or v2 shape). `resumed`: wait for resumeReady. */
  threadLoaded(threadId: string, opts: { totals?: unknown; resumed?: boolean; ephemeral?: boolean; running?: boolean } = {}): void {
    const st = this.state(threadId);
    st.totals = totalsFrom(opts.totals) ?? st.totals;
    st.ephemeral = opts.ephemeral ?? st.ephemeral;
    if (!st.ephemeral) this.continuation.attach(threadId, { awaitingReady: opts.resumed, running: opts.running });
  }

  /** The resume answer and everything after it are out: an idle thread with an active goal continues. */
  resumeReady(threadId: string): void {
    if (!this.state(threadId).ephemeral) this.continuation.ready(threadId);
  }

  threadUnloaded(threadId: string): void {
    this.threads.delete(threadId);
    this.continuation.detach(threadId);
  }

  /** The goal snapshot a resume sends after its answer: thread/goal/updated, or thread/goal/cleared without a goal. */
  snapshot(threadId: string): GoalNotification {
    const g = this.store.get(threadId);
    return g ? { method: "thread/goal/updated", params: { threadId, turnId: null, goal: toThreadGoal(g) } } : { method: "thread/goal/cleared", params: { threadId } };
  }

  /** The input of an automatic goal turn: the goal_objective context if the model lacks it, then the continuation prompt. */
  continuationInput(threadId: string, goal = this.store.get(threadId)): RolloutItem[] {
    if (!goal) return [];
    const st = this.state(threadId);
    const items: RolloutItem[] = [];
    if (st.objectivePending !== null) {
      items.push(goalObjectiveItem(st.objectivePending));
      st.objectivePending = null;
    }
    items.push(continuationItem(goal, { updatePlan: this.opts.updatePlanTool?.(threadId) ?? false }));
    return items;
  }

  /** A continuation that did not start gives back the objective it took (the model still has to be told it). */
  requeueObjective(threadId: string, objective: string): void {
    const st = this.state(threadId);
    st.objectivePending ??= objective;
  }

  /** Stops automatic continuation for the thread's goal (persisted with the goal; false without one). */
  defer(threadId: string): boolean {
    return this.store.defer(threadId);
  }

  /** Lifts a deferral; an idle thread with an active goal continues. */
  undefer(threadId: string): boolean {
    const had = this.store.undefer(threadId);
    this.continuation.goalChanged(threadId);
    return had;
  }

  // ------------------------------------------------------------------------------ turn events

  /** Feed every turn notification here before forwarding it. */
  observe(threadId: string, n: ObservedNotification): void {
    const p = obj(n.params);
    switch (n.method) {
      case "turn/started":
        this.turnStarted(threadId, String(obj(p.turn).id));
        return;
      case "thread/tokenUsage/updated": {
        const u = obj(p.tokenUsage);
        this.tokenUsage(threadId, u.total, u.last);
        return;
      }
      case "turn/completed": {
        const t = obj(p.turn);
        const status = t.status === "failed" || t.status === "interrupted" ? t.status : "completed";
        this.turnEnded(threadId, String(t.id), status, t.error);
        return;
      }
    }
  }

  turnStarted(threadId: string, turnId: string): void {
    const st = this.state(threadId);
    st.turn = { id: turnId, baseline: st.totals, goalId: null, requests: 0 };
    const goal = this.store.get(threadId);
    if (goal && isAccountedAtTurnStart(goal.status)) {
      st.turn.goalId = goal.goalId;
      st.wall.markActive(goal.goalId);
    } else st.wall.clear();
    this.continuation.turnStarted(threadId);
  }

  /** The thread's token totals after a model response (`last`: that response's usage). */
  tokenUsage(threadId: string, total: unknown, last?: unknown): void {
    const st = this.state(threadId);
    const t = totalsFrom(total);
    if (!t) return;
    if (st.turn && st.turn.baseline === null) {
      const l = totalsFrom(last);
      st.turn.baseline = l ? subTotals(t, l) : t;
    }
    st.totals = t;
  }

  /**
   * Before each model request of a turn: charges the tool round that just ended (the first request
   * has none) and returns what to record in the conversation before sending it.
   */
  beforeModelRequest(threadId: string, turnId: string): RolloutItem[] {
    const st = this.state(threadId);
    const items: RolloutItem[] = [];
    if (st.turn && st.turn.id === turnId) {
      if (st.turn.requests++ > 0) {
        const notice = this.accountProgress(threadId, { steering: true, mode: "activeOnly" });
        if (notice) items.push(notice);
      }
    }
    if (st.objectivePending !== null) {
      items.unshift(goalObjectiveItem(st.objectivePending));
      st.objectivePending = null;
    }
    return items;
  }

  turnEnded(threadId: string, turnId: string, how: TurnEnd, error?: unknown): void {
    const st = this.state(threadId);
    if (st.turn && st.turn.id === turnId) this.accountProgress(threadId, { steering: false, mode: "activeOnly" });
    if (how === "failed") {
      if (isUsageLimit(error)) this.store.transition(threadId, ["active", "budgetLimited"], "usageLimited", { turnId });
      else this.store.transition(threadId, ["active"], "blocked", { turnId });
    }
    if (st.turn?.id === turnId) st.turn = null;
    this.continuation.turnEnded(threadId, how);
  }

  // ------------------------------------------------------------------------------ model tools

  /** The goal tools for a thread's ToolRegistry. */
  tools(threadId?: string, opts: { ephemeral?: boolean } = {}): FunctionTool[] {
    if (threadId !== undefined && opts.ephemeral !== undefined) this.state(threadId).ephemeral = opts.ephemeral;
    return goalTools(this.toolHost());
  }

  toolHost(): GoalToolHost {
    return {
      getGoal: async (ctx) => this.toolGet(ctx),
      createGoal: async (args, ctx) => this.toolCreate(args, ctx),
      updateGoal: async (args, ctx) => this.toolUpdate(args.status, ctx),
    };
  }

  private toolGet(ctx: ToolContext): string {
    if (this.state(ctx.threadId).ephemeral) return MSG.persistentThreadOnly;
    try {
      return goalToolResponse(this.store.get(ctx.threadId));
    } catch (e) {
      return `failed to read goal: ${(e as Error).message}`;
    }
  }

  private toolCreate(args: { objective: string; tokenBudget: number | null }, ctx: ToolContext): string {
    const st = this.state(ctx.threadId);
    if (st.ephemeral) return MSG.persistentThreadOnly;
    let goal: GoalRecord;
    try {
      goal = this.store.create(ctx.threadId, args, { turnId: ctx.turnId });
    } catch (e) {
      return e instanceof GoalError ? e.message : `failed to create goal: ${(e as Error).message}`;
    }
    st.budgetReported = null;
    if (st.turn && st.turn.id === ctx.turnId) {
      st.turn.goalId = goal.goalId;
      st.turn.baseline = st.totals;
    }
    st.wall.markActive(goal.goalId);
    st.objectivePending = goal.objective;
    return goalToolResponse(goal);
  }

  private toolUpdate(status: GoalStatusUpdate, ctx: ToolContext): string {
    const st = this.state(ctx.threadId);
    if (st.ephemeral) return MSG.persistentThreadOnly;
    if (status !== "complete" && status !== "blocked" && status !== "paused") return MSG.modelStatus;
    let goal: GoalRecord;
    try {
      this.accountProgress(ctx.threadId, { steering: false, mode: status === "complete" ? "activeOrComplete" : "activeOrStopped" });
      goal = this.store.modelUpdate(ctx.threadId, status, { turnId: ctx.turnId });
    } catch (e) {
      return e instanceof GoalError ? e.message : `failed to update goal: ${(e as Error).message}`;
    }
    this.afterStatusChange(st, goal);
    return goalToolResponse(goal, { completion: status === "complete" });
  }

  // ------------------------------------------------------------------------------ server mutations

  /**
   * thread/goal/set: validates, charges the running turn (or the idle wall clock) first, then
   * updates or creates the goal; a goal that becomes active is charged from now on and, on an
   * idle thread, continues. `origin: "user"` also lifts a continuation deferral.
   */
  setGoal(threadId: string, patch: GoalPatch, opts: { origin?: "user" | "automatic" | null } = {}): GoalRecord {
    if (patch.objective !== undefined) normalizeObjective(patch.objective);
    checkBudget(patch.tokenBudget);
    this.prepareExternalMutation(threadId);
    const previous = this.store.get(threadId);
    const goal = this.store.set(threadId, patch);
    const st = this.state(threadId);
    st.budgetReported = null;
    const newlyActive = goal.status === "active" && (!previous || previous.goalId !== goal.goalId || previous.status !== "active");
    if (newlyActive) {
      if (st.turn) {
        st.turn.goalId = goal.goalId;
        st.turn.baseline = st.totals;
      }
      st.wall.markActive(goal.goalId);
    } else if (goal.status !== "active") this.afterStatusChange(st, goal);
    if (patch.objective !== undefined && (!previous || previous.objective !== goal.objective || previous.goalId !== goal.goalId)) st.objectivePending = goal.objective;
    if (opts.origin === "user") this.store.undefer(threadId);
    this.continuation.goalChanged(threadId);
    return goal;
  }

  /** thread/goal/clear: charges what is pending, deletes the goal; whether there was one. */
  clearGoal(threadId: string): boolean {
    this.prepareExternalMutation(threadId);
    const cleared = this.store.clear(threadId);
    if (cleared) {
      const st = this.state(threadId);
      if (st.turn) st.turn.goalId = null;
      st.wall.clear();
      st.budgetReported = null;
      st.objectivePending = null;
    }
    return cleared;
  }

  // ------------------------------------------------------------------------------ internals

  private state(threadId: string): ThreadState {
    let st = this.threads.get(threadId);
    if (!st) {
      st = { totals: null, turn: null, wall: new WallClock(this.now), budgetReported: null, objectivePending: null, ephemeral: false };
      this.threads.set(threadId, st);
    }
    return st;
  }

  /** A goal left active: not the turn's goal any more, its wall clock stopped. */
  private afterStatusChange(st: ThreadState, goal: GoalRecord): void {
    if (goal.status === "active") return;
    if (st.turn && st.turn.goalId === goal.goalId) st.turn.goalId = null;
    if (st.wall.goalId === goal.goalId) st.wall.clear();
    if (goal.status !== "budgetLimited") st.budgetReported = null;
  }

  /**
   * Charges the turn's goal for the tokens since the baseline and the pending wall seconds.
   * Returns the budget-limit notice when `steering` and this is the goal's first crossing.
   */
  private accountProgress(threadId: string, opts: { steering: boolean; mode: AccountingMode }): RolloutItem | null {
    const st = this.state(threadId);
    const turn = st.turn;
    if (!turn || !turn.goalId) return null;
    const goalId = turn.goalId;
    const tokens = st.totals && turn.baseline ? tokenDelta(st.totals, turn.baseline) : 0;
    const secs = st.wall.goalId === goalId ? st.wall.pendingSeconds() : 0;
    if (tokens <= 0 && secs === 0) return null;
    const res = this.store.accountDelta(threadId, tokens, secs, { mode: opts.mode, expectedGoalId: goalId, turnId: turn.id });
    if (!res.updated || !res.goal) return null;
    turn.baseline = st.totals;
    st.wall.charged(secs);
    const goal = res.goal;
    const keep = goal.status === "active" || (goal.status === "budgetLimited" && opts.steering);
    if (!keep) {
      turn.goalId = null;
      if (st.wall.goalId === goalId) st.wall.clear();
    }
    if (goal.status !== "budgetLimited") {
      st.budgetReported = null;
      return null;
    }
    if (!opts.steering || st.budgetReported === goalId) return null;
    st.budgetReported = goalId;
    return budgetLimitItem(goal);
  }

  /** Before a server mutation: the running turn's progress, or the idle wall clock (activeOnly). */
  private prepareExternalMutation(threadId: string): void {
    const st = this.threads.get(threadId);
    if (!st) return;
    if (st.turn) {
      this.accountProgress(threadId, { steering: false, mode: "activeOnly" });
      return;
    }
    const goalId = st.wall.goalId;
    if (!goalId) return;
    const secs = st.wall.pendingSeconds();
    if (secs === 0) return;
    const res = this.store.accountDelta(threadId, 0, secs, { mode: "activeOnly", expectedGoalId: goalId });
    if (res.updated) st.wall.charged(secs);
    else st.wall.clear();
  }

  private startContinuation(threadId: string): void | Promise<void> {
    const start = this.opts.startContinuationTurn;
    if (!start) throw new Error("goal continuation: no startContinuationTurn configured");
    const goal = this.store.get(threadId);
    if (!goal || goal.status !== "active") throw new Error(`goal continuation: thread ${threadId} has no active goal`);
    return start(threadId, this.continuationInput(threadId, goal), goal);
  }
}

/** The notification for a store event. */
export function goalNotificationFor(e: GoalEvent): GoalNotification {
  return e.type === "updated"
    ? { method: "thread/goal/updated", params: { threadId: e.threadId, turnId: e.turnId, goal: toThreadGoal(e.goal) } }
    : { method: "thread/goal/cleared", params: { threadId: e.threadId } };
}
