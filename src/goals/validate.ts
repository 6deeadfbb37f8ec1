// Goal validation with Codex 0.169.0's limits and wording (the app-server answers these messages
// as -32600, the model tools as the call's output).
export const MAX_OBJECTIVE_CHARS = 4000;

export const MSG = {
  emptyObjective: "goal objective must not be empty",
  longObjective: `goal objective must be at most ${MAX_OBJECTIVE_CHARS} characters`,
  badBudget: "goal budgets must be positive when provided",
  noGoalForUpdate: (threadId: string) => `cannot update goal for thread ${threadId}: no goal exists`,
  // model tools
  unfinishedGoal: "cannot create a new goal because this thread has an unfinished goal; complete the existing goal first",
  modelStatus:
    "update_goal can only mark the existing goal complete, blocked, or paused at the user's explicit request; resume, budget-limited, and usage-limited status changes are controlled by the user or system",
  noGoalForModelUpdate: "cannot update goal because this thread has no goal",
  persistentThreadOnly: "Goal tools require a persistent thread.",
} as const;

/** A rejected goal mutation; `message` is Codex's text. */
export class GoalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GoalError";
  }
}

/** The objective trimmed, or a GoalError (empty, or longer than 4,000 characters). */
export function normalizeObjective(objective: string): string {
  const t = objective.trim();
  if (t === "") throw new GoalError(MSG.emptyObjective);
  if ([...t].length > MAX_OBJECTIVE_CHARS) throw new GoalError(MSG.longObjective);
  return t;
}

/** A budget must be a positive integer when given (null: no budget). */
export function checkBudget(budget: number | null | undefined): void {
  if (budget === null || budget === undefined) return;
  if (!Number.isSafeInteger(budget) || budget <= 0) throw new GoalError(MSG.badBudget);
}
