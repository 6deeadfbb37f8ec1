// A thread's goal (Codex's `/goal`): one per thread, in the shapes Codex 0.169.0 uses.
//
//   GoalRecord   the stored row (Spool's goals.sqlite), with the goal id and millisecond times
//   ThreadGoal   the app-server v2 shape (thread/goal/* results and notifications; seconds,
//                `tokenBudget: number | null` always present)
//   tool JSON    what the model tools answer: the same goal with `tokenBudget` left out when
//                there is none, plus `remainingTokens` and `completionBudgetReport`
import type { JsonObject } from "../rollout/line.js";

/** v2 ThreadGoalStatus. */
export const GOAL_STATUSES = ["active", "paused", "blocked", "usageLimited", "budgetLimited", "complete"] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

export const isGoalStatus = (v: unknown): v is GoalStatus => typeof v === "string" && (GOAL_STATUSES as readonly string[]).includes(v);

export interface GoalRecord {
  threadId: string;
  /** A new id for every created or replaced goal (an objective edit keeps it). */
  goalId: string;
  objective: string;
  status: GoalStatus;
  tokenBudget: number | null;
  tokensUsed: number;
  timeUsedSeconds: number;
  createdAtMs: number;
  updatedAtMs: number;
}

/** v2 ThreadGoal. */
export interface ThreadGoal extends JsonObject {
  threadId: string;
  objective: string;
  status: GoalStatus;
  tokenBudget: number | null;
  tokensUsed: number;
  timeUsedSeconds: number;
  createdAt: number;
  updatedAt: number;
}

const secs = (ms: number) => Math.floor(ms / 1000);

export function toThreadGoal(g: GoalRecord): ThreadGoal {
  return {
    threadId: g.threadId,
    objective: g.objective,
    status: g.status,
    tokenBudget: g.tokenBudget,
    tokensUsed: g.tokensUsed,
    timeUsedSeconds: g.timeUsedSeconds,
    createdAt: secs(g.createdAtMs),
    updatedAt: secs(g.updatedAtMs),
  };
}

/** The goal as the model tools and the rollout's thread_goal_updated show it: ThreadGoal without a tokenBudget key when there is none. */
export function toolGoalJson(g: GoalRecord): JsonObject {
  const t = toThreadGoal(g);
  const out: JsonObject = { threadId: t.threadId, objective: t.objective, status: t.status };
  if (t.tokenBudget !== null) out.tokenBudget = t.tokenBudget;
  return Object.assign(out, { tokensUsed: t.tokensUsed, timeUsedSeconds: t.timeUsedSeconds, createdAt: t.createdAt, updatedAt: t.updatedAt });
}

/** Tokens left under the budget (never negative), or null without a budget. */
export const remainingTokens = (g: Pick<GoalRecord, "tokenBudget" | "tokensUsed">): number | null =>
  g.tokenBudget === null ? null : Math.max(0, g.tokenBudget - g.tokensUsed);

/** Statuses a goal turn keeps accounting for (Codex's "active this turn"). */
export const isAccountedAtTurnStart = (s: GoalStatus) => s === "active" || s === "budgetLimited";

/**
 * Which statuses a usage update may charge (Codex's ThreadGoalAccountingMode):
 *   activeStatusOnly  active
 *   activeOnly        active, budgetLimited                 (turn progress and turn end)
 *   activeOrComplete  active, budgetLimited, complete       (before the model completes a goal)
 *   activeOrStopped   active, paused, blocked, usageLimited, budgetLimited
 *                                                           (before the model pauses or blocks one)
 * Reaching the budget flips an active goal to budgetLimited; in activeOrStopped it flips any
 * charged goal.
 */
export type AccountingMode = "activeStatusOnly" | "activeOnly" | "activeOrComplete" | "activeOrStopped";

export const CHARGED: Record<AccountingMode, readonly GoalStatus[]> = {
  activeStatusOnly: ["active"],
  activeOnly: ["active", "budgetLimited"],
  activeOrComplete: ["active", "budgetLimited", "complete"],
  activeOrStopped: ["active", "paused", "blocked", "usageLimited", "budgetLimited"],
};

export const BUDGET_CHECKED: Record<AccountingMode, readonly GoalStatus[]> = {
  activeStatusOnly: ["active"],
  activeOnly: ["active"],
  activeOrComplete: ["active"],
  activeOrStopped: CHARGED.activeOrStopped,
};
