// Goal facts from goal notifications, for servers whose goals feature does not call
// `AnalyticsClient.trackGoal` itself. The goals feature is the better source (it knows when a
// row was created, replaced or deleted, and the row's goal id); this deriver rebuilds the same
// facts from what `thread/goal/updated` and `thread/goal/cleared` say, by comparing each goal
// with the previous one of its thread:
//
//   no previous goal, or a different createdAt      -> created
//   tokensUsed or timeUsedSeconds changed           -> usage_accounted (cumulative values)
//   status changed (after usage, if both)           -> status_changed
//   cleared while a goal was known                  -> cleared (turn null)
//
// A snapshot (the goal a resume reports) only seeds the previous goal. The v2 ThreadGoal carries
// no goal id: `goalId` resolves it (the goals store's row id); without one the deriver names the
// goal `<threadId>:<createdAt>`, stable for the life of that goal.
import type { GoalEventKind, GoalFact, GoalStatus } from "./facts.js";

export interface WireGoal {
  threadId?: string;
  status: string;
  tokenBudget: number | null;
  tokensUsed: number;
  timeUsedSeconds: number;
  createdAt: number;
  goalId?: string;
}

const STATUS: Record<string, GoalStatus> = {
  active: "active",
  paused: "paused",
  blocked: "blocked",
  usageLimited: "usage_limited",
  usage_limited: "usage_limited",
  budgetLimited: "budget_limited",
  budget_limited: "budget_limited",
  complete: "complete",
};

/** v2 ThreadGoalStatus (camelCase) -> the analytics goal_status (snake_case). */
export function goalStatusName(s: string): GoalStatus | null {
  return STATUS[s] ?? null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function wireGoal(v: unknown): WireGoal | null {
  if (!isObj(v) || typeof v.status !== "string") return null;
  const n = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : 0);
  return {
    status: v.status,
    tokenBudget: typeof v.tokenBudget === "number" ? v.tokenBudget : null,
    tokensUsed: n(v.tokensUsed),
    timeUsedSeconds: n(v.timeUsedSeconds),
    createdAt: n(v.createdAt),
    goalId: typeof v.goalId === "string" ? v.goalId : typeof v.id === "string" ? v.id : undefined,
  };
}

interface Known {
  goal: WireGoal;
  goalId: string;
}

export class GoalFactDeriver {
  private readonly known = new Map<string, Known>();

  constructor(private readonly resolveGoalId: (threadId: string, goal: WireGoal) => string | null = () => null) {}

  /**
   * The goal facts a goal notification stands for (`thread/goal/updated`, `thread/goal/cleared`);
   * `snapshot` marks a notification that reports the current goal without a change (resume).
   */
  observe(method: string, params: unknown, opts: { snapshot?: boolean } = {}): GoalFact[] {
    if (!isObj(params) || typeof params.threadId !== "string") return [];
    const threadId = params.threadId;
    const prev = this.known.get(threadId);
    if (method === "thread/goal/cleared") {
      this.known.delete(threadId);
      if (!prev || opts.snapshot) return [];
      return [this.fact(threadId, null, prev.goalId, "cleared", prev.goal)];
    }
    if (method !== "thread/goal/updated") return [];
    const goal = wireGoal(params.goal);
    if (!goal || !goalStatusName(goal.status)) return [];
    const turnId = typeof params.turnId === "string" ? params.turnId : null;
    const replaced = !prev || prev.goal.createdAt !== goal.createdAt || (goal.goalId !== undefined && goal.goalId !== prev.goalId);
    const goalId = replaced ? (goal.goalId ?? this.resolveGoalId(threadId, goal) ?? `${threadId}:${goal.createdAt}`) : prev.goalId;
    this.known.set(threadId, { goal, goalId });
    if (opts.snapshot) return [];
    if (replaced) return [this.fact(threadId, turnId, goalId, "created", goal)];
    const out: GoalFact[] = [];
    if (goal.tokensUsed !== prev.goal.tokensUsed || goal.timeUsedSeconds !== prev.goal.timeUsedSeconds) out.push(this.fact(threadId, turnId, goalId, "usage_accounted", goal));
    if (goal.status !== prev.goal.status) out.push(this.fact(threadId, turnId, goalId, "status_changed", goal));
    return out;
  }

  private fact(threadId: string, turnId: string | null, goalId: string, eventKind: GoalEventKind, goal: WireGoal): GoalFact {
    const usage = eventKind === "usage_accounted";
    return {
      kind: "goal",
      threadId,
      turnId: eventKind === "cleared" ? null : turnId,
      goalId,
      eventKind,
      goalStatus: goalStatusName(goal.status)!,
      hasTokenBudget: goal.tokenBudget !== null,
      cumulativeTokensAccounted: usage ? goal.tokensUsed : null,
      cumulativeTimeAccountedSeconds: usage ? goal.timeUsedSeconds : null,
    };
  }
}
