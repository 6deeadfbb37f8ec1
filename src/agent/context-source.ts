// What the turn engine asks of whoever builds the model's context (src/context's
// WorkspaceContext in the server): base instructions, and each turn's context items. The engine
// remembers which settings the model was last told and passes them as `previous`.
import type { ContextSettings } from "../context/types.js";
import type { JsonObject } from "../rollout/line.js";
import type { RolloutItem } from "../store/types.js";

export interface TurnContextSource {
  /** Base instructions for a thread that has none of its own. */
  baseInstructions(): string;
  /** The context items of a turn run with `next`: everything when `previous` is null, else what changed. */
  items(next: ContextSettings, previous: ContextSettings | null, now: Date): RolloutItem[];
}

/** The settings a rollout's model was last told: its last turn_context, if the context was given at all. */
export function toldSettings(history: readonly RolloutItem[], contextGiven: boolean): ContextSettings | null {
  if (!contextGiven) return null;
  for (let i = history.length - 1; i >= 0; i--) {
    const r = history[i];
    if (r.type !== "turn_context") continue;
    const p = r.payload;
    const sandbox = (p.sandbox_policy as JsonObject | undefined)?.type;
    if (typeof p.cwd !== "string" || typeof p.approval_policy !== "string" || typeof sandbox !== "string") return null;
    return { cwd: p.cwd, approvalPolicy: p.approval_policy as ContextSettings["approvalPolicy"], sandboxMode: sandbox as ContextSettings["sandboxMode"] };
  }
  return null;
}
