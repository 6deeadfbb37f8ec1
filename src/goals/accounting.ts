// Token and wall-clock arithmetic for goal accounting (pure).
//
// A goal is charged what the model used while it was the turn's goal: the growth of the thread's
// token totals since the last accounting (or since the goal became active this turn), counting
// non-cached input plus output, and whole wall-clock seconds (the remainder carries over).

/** The part of a thread's token totals a goal is charged on. */
export interface TokenTotals {
  input: number;
  cached: number;
  output: number;
}

export const ZERO_TOTALS: TokenTotals = { input: 0, cached: 0, output: 0 };

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Totals from a rollout TokenUsage (`input_tokens`…) or a v2 TokenUsageBreakdown (`inputTokens`…). */
export function totalsFrom(u: unknown): TokenTotals | null {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return null;
  const o = u as Record<string, unknown>;
  if ("input_tokens" in o || "output_tokens" in o) return { input: num(o.input_tokens), cached: num(o.cached_input_tokens), output: num(o.output_tokens) };
  if ("inputTokens" in o || "outputTokens" in o) return { input: num(o.inputTokens), cached: num(o.cachedInputTokens), output: num(o.outputTokens) };
  return null;
}

export const subTotals = (a: TokenTotals, b: TokenTotals): TokenTotals => ({ input: a.input - b.input, cached: a.cached - b.cached, output: a.output - b.output });

/** Tokens charged for the growth from `baseline` to `current`: (input - cached) + output, each part at least 0. */
export function tokenDelta(current: TokenTotals, baseline: TokenTotals): number {
  const input = Math.max(0, current.input - baseline.input);
  const cached = Math.max(0, current.cached - baseline.cached);
  const output = Math.max(0, current.output - baseline.output);
  return Math.max(0, input - cached) + output;
}

/** Wall-clock time charged to the goal that is active: whole seconds, the remainder kept. */
export class WallClock {
  goalId: string | null = null;
  private since = 0;

  constructor(private readonly now: () => number) {}

  /** The goal became active: time counts from now (unless it already counted for this goal). */
  markActive(goalId: string): void {
    if (this.goalId === goalId) return;
    this.goalId = goalId;
    this.since = this.now();
  }

  clear(): void {
    this.goalId = null;
  }

  /** Whole seconds not yet charged (0 without an active goal). */
  pendingSeconds(): number {
    if (this.goalId === null) return 0;
    return Math.max(0, Math.floor((this.now() - this.since) / 1000));
  }

  /** `seconds` were charged. */
  charged(seconds: number): void {
    this.since += seconds * 1000;
  }
}
