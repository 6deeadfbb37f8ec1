// Goals (issue 6): one goal per thread, budgets, usage accounting, continuation. See store.ts,
// runtime.ts and continuation.ts; the app-server methods are in src/server/methods/goals.ts.
export { GoalStore, goalsPath, resolveStatus, usageTokens, type GoalEvent, type GoalListener, type GoalPatch, type GoalUsage, type AccountingResult, type GoalChangeCause } from "./store.js";
export { GoalRuntime, goalToolResponse, goalNotificationFor, COMPLETION_BUDGET_REPORT, type GoalRuntimeOptions, type GoalNotification, type ObservedNotification } from "./runtime.js";
export { ContinuationPolicy, type ContinuationDeps, type TurnEnd } from "./continuation.js";
export { continuationPrompt, budgetLimitPrompt, continuationItem, budgetLimitItem, goalObjectiveItem, threadGoalUpdatedItem, internalContext, internalContextItem, isGoalInternalContext, escapeXmlText } from "./prompts.js";
export { tokenDelta, totalsFrom, WallClock, type TokenTotals } from "./accounting.js";
export { GOAL_STATUSES, isGoalStatus, toThreadGoal, toolGoalJson, remainingTokens, type GoalStatus, type GoalRecord, type ThreadGoal, type AccountingMode } from "./types.js";
export { GoalError, MSG as GOAL_MESSAGES, MAX_OBJECTIVE_CHARS, normalizeObjective, checkBudget } from "./validate.js";
