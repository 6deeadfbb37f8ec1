// The goal tools: `get_goal`, `create_goal` and `update_goal`, with the definitions Codex 0.169.0
// offers the model and its argument rules. The turn engine does not own goals: the goals feature
// (src/goals/runtime.ts) implements a GoalToolHost and registers `goalTools(host)` in the
// session's ToolRegistry. A host method returns the text the model reads: Codex's goal JSON
// (`{"goal":…,"remainingTokens":…,"completionBudgetReport":…}`) or an error message.
//
// Arguments are decoded the way Codex's serde structs decode them: unknown fields are ignored,
// `token_budget` is an optional integer, `status` one of the six goal statuses (the host rejects
// the ones the model may not set), and a bad argument answers serde's message, e.g.
// "missing field `objective` at line 1 column 18" (positions counted in the compact JSON).
import type { Json, JsonObject } from "../../rollout/line.js";
import type { FunctionTool, ToolContext } from "./registry.js";

export const GOAL_TOOL_NAMES = ["get_goal", "create_goal", "update_goal"] as const;

/** Every v2 goal status parses; the host answers Codex's refusal for all but complete/blocked/paused. */
export type GoalStatusUpdate = "active" | "paused" | "blocked" | "usageLimited" | "budgetLimited" | "complete";
const STATUSES: readonly GoalStatusUpdate[] = ["active", "paused", "blocked", "usageLimited", "budgetLimited", "complete"];

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

export const GET_GOAL_SPEC = fn(
  "get_goal",
  "Get the current goal for this thread, including status, budgets, token and elapsed-time usage, and remaining token budget.",
  {},
  [],
);

export const CREATE_GOAL_SPEC = fn(
  "create_goal",
  "Create a goal only when explicitly requested by the user or system/developer instructions; do not infer goals from ordinary tasks.\n" +
    "Set token_budget only when an explicit token budget is requested. Fails if an unfinished goal exists; use update_goal only for status.",
  {
    objective: {
      type: "string",
      description:
        "Required. The concrete objective to start pursuing. This starts a new active goal when no goal exists or replaces the current goal when it is complete.",
    },
    token_budget: { type: "integer", description: "Positive token budget for the new goal. Omit unless explicitly requested." },
  },
  ["objective"],
);

export const UPDATE_GOAL_SPEC = fn(
  "update_goal",
  [
    "Update the existing goal.",
    "Set status to `paused` only at the user's explicit request to pause this goal, never on your own initiative. Ask if unclear; a later resume revokes that request. Report the returned status and stop goal work. Budget limits take precedence over pausing.",
    "Set status to `complete` only when the objective has actually been achieved and no required work remains.",
    "Set status to `blocked` only when the same blocking condition has repeated for at least three consecutive goal turns, counting the original/user-triggered turn and any automatic continuations, and the agent cannot make meaningful progress without user input or an external-state change.",
    "If the user resumes a goal that was previously marked `blocked`, treat the resumed run as a fresh blocked audit. If the same blocking condition then repeats for at least three consecutive resumed goal turns, set status to `blocked` again.",
    "Once the blocked threshold is satisfied, do not keep reporting that you are still blocked while leaving the goal active; set status to `blocked`.",
    "Do not use `blocked` merely because the work is hard, slow, uncertain, incomplete, or would benefit from clarification.",
    "Do not mark a goal complete merely because its budget is nearly exhausted or because you are stopping work.",
    "You cannot use this tool to resume, budget-limit, or usage-limit a goal; those status changes are controlled by the user or system.",
    "When marking a budgeted goal achieved with status `complete`, report the final token usage from the tool result to the user.",
  ].join("\n"),
  {
    status: {
      type: "string",
      description:
        "Required. `paused` requires an explicit user request. Set to `complete` only when the objective is achieved and no required work remains. Set to `blocked` only after the same blocking condition has recurred for at least three consecutive goal turns and the agent is at an impasse. After a previously blocked goal is resumed, the resumed run starts a fresh blocked audit.",
      enum: ["complete", "blocked", "paused"],
    },
  },
  ["status"],
);

// ---------------------------------------------------------------------------------------------
// serde-style argument decoding

class ArgError extends Error {}

/** Where each top-level value ends (and starts) in the compact JSON of `args`, 1-based columns. */
function layout(args: JsonObject): { length: number; spans: Map<string, { start: number; end: number }> } {
  const spans = new Map<string, { start: number; end: number }>();
  let pos = 1; // after "{"
  const keys = Object.keys(args);
  keys.forEach((k, i) => {
    pos += JSON.stringify(k).length + 1;
    const v = JSON.stringify(args[k]);
    spans.set(k, { start: pos + 1, end: pos + v.length });
    pos += v.length + (i < keys.length - 1 ? 1 : 0);
  });
  return { length: pos + 1, spans };
}

/** serde's description of an unexpected value. */
function unexpected(v: Json): string {
  if (v === null) return "null";
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  if (typeof v === "boolean") return `boolean \`${v}\``;
  if (typeof v === "number") return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  return Array.isArray(v) ? "sequence" : "map";
}

function decode<T>(args: JsonObject, fields: Array<{ name: string; required: boolean; read: (v: Json) => T | string }>): Record<string, T | undefined> {
  const { length, spans } = layout(args);
  const at = (col: number) => ` at line 1 column ${col}`;
  const out: Record<string, T | undefined> = {};
  // serde reads fields in the document's order: the first bad value wins
  for (const key of Object.keys(args)) {
    const f = fields.find((x) => x.name === key);
    if (!f) continue;
    const v = args[key];
    const r = f.read(v);
    if (typeof r === "string" && r.startsWith("\0")) {
      const span = spans.get(key)!;
      const col = typeof v === "object" && v !== null ? span.start : span.end;
      throw new ArgError(r.slice(1) + at(col));
    }
    out[key] = r as T;
  }
  for (const f of fields) if (f.required && !(f.name in args)) throw new ArgError(`missing field \`${f.name}\`${at(length)}`);
  return out;
}

const bad = (msg: string) => `\0${msg}`;

function readObjective(v: Json): string {
  return typeof v === "string" ? v : bad(`invalid type: ${unexpected(v)}, expected a string`);
}

function readBudget(v: Json): number | null | string {
  if (v === null) return null;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  return bad(`invalid type: ${unexpected(v)}, expected i64`);
}

function readStatus(v: Json): GoalStatusUpdate | string {
  if (typeof v !== "string") return bad(`invalid type: ${unexpected(v)}, expected variant identifier`);
  if ((STATUSES as readonly string[]).includes(v)) return v as GoalStatusUpdate;
  return bad(`unknown variant \`${v}\`, expected one of ${STATUSES.map((s) => `\`${s}\``).join(", ")}`);
}

/** create_goal's arguments, or serde's message. */
export function parseCreateGoalArgs(args: JsonObject): { objective: string; tokenBudget: number | null } | { error: string } {
  try {
    const r = decode<string | number | null>(args, [
      { name: "objective", required: true, read: readObjective },
      { name: "token_budget", required: false, read: readBudget },
    ]);
    return { objective: r.objective as string, tokenBudget: (r.token_budget as number | null | undefined) ?? null };
  } catch (e) {
    if (e instanceof ArgError) return { error: e.message };
    throw e;
  }
}

/** update_goal's arguments, or serde's message. */
export function parseUpdateGoalArgs(args: JsonObject): { status: GoalStatusUpdate } | { error: string } {
  try {
    const r = decode<GoalStatusUpdate>(args, [{ name: "status", required: true, read: readStatus }]);
    return { status: r.status as GoalStatusUpdate };
  } catch (e) {
    if (e instanceof ArgError) return { error: e.message };
    throw e;
  }
}

/** The three goal tools, backed by `host`. */
export function goalTools(host: GoalToolHost): FunctionTool[] {
  return [
    { name: "get_goal", spec: GET_GOAL_SPEC, handle: async (_a, ctx) => ({ output: await host.getGoal(ctx) }) },
    {
      name: "create_goal",
      spec: CREATE_GOAL_SPEC,
      handle: async (a, ctx) => {
        const p = parseCreateGoalArgs(a);
        return "error" in p ? { output: p.error, success: false } : { output: await host.createGoal(p, ctx) };
      },
    },
    {
      name: "update_goal",
      spec: UPDATE_GOAL_SPEC,
      handle: async (a, ctx) => {
        const p = parseUpdateGoalArgs(a);
        return "error" in p ? { output: p.error, success: false } : { output: await host.updateGoal(p, ctx) };
      },
    },
  ];
}
