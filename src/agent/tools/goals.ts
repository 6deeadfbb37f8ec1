// The goal tools' hook: `get_goal`, `create_goal` and `update_goal` with the argument shapes
// Codex 0.169.0 offers the model. Spool's turn engine does not own goals: the goals feature
// implements a GoalToolHost and registers `goalTools(host)` in the session's ToolRegistry. A host
// method returns the text the model reads (Codex answers with the goal as JSON) and may record
// rollout items (`thread_goal_updated`…) and send notifications through the ToolContext.
import type { JsonObject } from "../../rollout/line.js";
import type { FunctionTool, ToolContext } from "./registry.js";

export const GOAL_TOOL_NAMES = ["get_goal", "create_goal", "update_goal"] as const;

export type GoalStatusUpdate = "complete" | "blocked" | "paused";

export interface GoalToolHost {
  getGoal(ctx: ToolContext): Promise<string>;
  createGoal(args: { objective: string; tokenBudget: number | null }, ctx: ToolContext): Promise<string>;
  updateGoal(args: { status: GoalStatusUpdate }, ctx: ToolContext): Promise<string>;
}

const fn = (name: string, description: string, properties: JsonObject, required: string[]): JsonObject => ({
  type: "function",
  name,
  description,
  strict: false,
  parameters: { type: "object", properties, required, additionalProperties: false },
});

export const GET_GOAL_SPEC = fn("get_goal", "Returns this thread's current goal: objective, status, token budget and usage.", {}, []);

export const CREATE_GOAL_SPEC = fn(
  "create_goal",
  "Creates a goal for this thread. Only when the user (or the instructions) explicitly ask for one; set token_budget only when a budget was asked for. Fails while an unfinished goal exists.",
  {
    objective: { type: "string", description: "Required. The concrete objective to pursue." },
    token_budget: { type: "integer", description: "A positive token budget for the goal. Omit unless one was requested." },
  },
  ["objective"],
);

export const UPDATE_GOAL_SPEC = fn(
  "update_goal",
  "Updates the current goal's status: `complete` once the objective is achieved, `blocked` when the same blocker has stopped progress for three goal turns in a row, `paused` only at the user's explicit request.",
  { status: { type: "string", description: "Required. The new status.", enum: ["complete", "blocked", "paused"] } },
  ["status"],
);

/** The three goal tools, backed by `host`. */
export function goalTools(host: GoalToolHost): FunctionTool[] {
  return [
    { name: "get_goal", spec: GET_GOAL_SPEC, handle: async (_a, ctx) => ({ output: await host.getGoal(ctx) }) },
    {
      name: "create_goal",
      spec: CREATE_GOAL_SPEC,
      handle: async (a, ctx) => {
        if (typeof a.objective !== "string" || a.objective.trim() === "") return { output: "failed to parse function arguments: missing field `objective`" };
        const budget = typeof a.token_budget === "number" && Number.isInteger(a.token_budget) && a.token_budget > 0 ? a.token_budget : null;
        return { output: await host.createGoal({ objective: a.objective, tokenBudget: budget }, ctx) };
      },
    },
    {
      name: "update_goal",
      spec: UPDATE_GOAL_SPEC,
      handle: async (a, ctx) => {
        if (a.status !== "complete" && a.status !== "blocked" && a.status !== "paused")
          return { output: "failed to parse function arguments: `status` must be one of complete, blocked, paused" };
        return { output: await host.updateGoal({ status: a.status }, ctx) };
      },
    },
  ];
}
