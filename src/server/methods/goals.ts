// thread/goal/set, thread/goal/get, thread/goal/clear with Codex 0.169.0's params, results and
// errors (all -32600): "goals feature is disabled", "thread not found: <id>", "ephemeral thread
// does not support goals: <id>", "cannot update goal for thread <id>: no goal exists",
// "goal objective must not be empty", "goal objective must be at most 4000 characters",
// "goal budgets must be positive when provided".
//
// Notifications go to every connection through `broadcast`: a set answers first, then
// `thread/goal/updated {threadId, turnId: null, goal}` (even when nothing changed); a clear that
// removed a goal answers, then `thread/goal/cleared {threadId}`. Goal changes made elsewhere (the
// model tools, usage accounting, a failed turn) are broadcast as they happen, with their turn id.
import { z } from "zod";
import type { AppServer } from "../app.js";
import { decodeParams, checkThreadId } from "../params.js";
import { invalidRequest, RpcError, INTERNAL_ERROR } from "../errors.js";
import { GoalRuntime, goalNotificationFor } from "../../goals/runtime.js";
import type { GoalStore, GoalEvent, GoalPatch } from "../../goals/store.js";
import { GoalError } from "../../goals/validate.js";
import { GOAL_STATUSES, toThreadGoal } from "../../goals/types.js";

/** What a thread id names, for goals. */
export type GoalThreadKind = "persisted" | "ephemeral" | "missing";

export interface GoalMethodDeps {
  /** The goals runtime (set/clear charge running turns and start continuations through it). */
  runtime?: GoalRuntime;
  /** Without a runtime: a store (a runtime without continuation is made over it). */
  store?: GoalStore;
  /** Sends a notification to every initialized connection. */
  broadcast(method: string, params: unknown): void;
  /** Whether a thread exists / is ephemeral. Default: a thread the home's index knows is persisted, any other is missing. */
  lookupThread?: (threadId: string) => GoalThreadKind | Promise<GoalThreadKind>;
  /** The goals feature flag (default on). */
  enabled?: () => boolean;
  /** Runs `fn` once the current response is written (default setImmediate). */
  afterResponse?: (fn: () => void) => void;
  /**
   * Or: wraps a result with what must follow it on the wire (e.g. the connection's
   * `(r, after) => new WithFollowUp(r, after)`); used instead of afterResponse when given.
   */
  followUp?: (result: unknown, after: () => void) => unknown;
  /** Also broadcast goal changes made outside these methods (default true). */
  broadcastStoreEvents?: boolean;
}

const Status = z.enum(GOAL_STATUSES);
const Origin = z.enum(["user", "automatic"]);

const SetParams = z
  .object({
    threadId: z.string(),
    origin: Origin.nullish(),
    objective: z.string().nullish(),
    status: Status.nullish(),
    tokenBudget: z.number().int().nullish(),
  })
  .passthrough();

const ThreadParams = z.object({ threadId: z.string() }).passthrough();

export function registerGoalMethods(app: AppServer, deps: GoalMethodDeps): { runtime: GoalRuntime; dispose(): void } {
  const runtime = deps.runtime ?? (deps.store ? new GoalRuntime({ store: deps.store }) : null);
  if (!runtime) throw new Error("registerGoalMethods: give a runtime or a store");
  const store = runtime.store;
  const afterResponse = deps.afterResponse ?? ((fn: () => void) => void setImmediate(fn));
  const send = (e: GoalEvent) => {
    const n = goalNotificationFor(e);
    deps.broadcast(n.method, n.params);
  };

  // Changes made while a request runs are held until its answer is out.
  let holding: GoalEvent[] | null = null;
  const unsubscribe = store.subscribe((e) => {
    if (holding) holding.push(e);
    else if (deps.broadcastStoreEvents !== false) send(e);
  });
  // (the flush is queued before `fn` runs, so it goes out before a continuation `fn` schedules)
  function held(fn: () => unknown): unknown {
    const buf: GoalEvent[] = [];
    const flush = () => buf.forEach(send);
    if (!deps.followUp) afterResponse(flush);
    const prev = holding;
    holding = buf;
    let result: unknown;
    try {
      result = fn();
    } finally {
      holding = prev;
    }
    return deps.followUp ? deps.followUp(result, flush) : result;
  }

  const lookup =
    deps.lookupThread ??
    (async (id: string): Promise<GoalThreadKind> => {
      await app.index.ensureFresh();
      if (app.index.get(id)) return "persisted";
      await app.index.ensureFresh(true);
      return app.index.get(id) ? "persisted" : "missing";
    });

  async function threadFor(raw: string): Promise<string> {
    if (deps.enabled && !deps.enabled()) throw invalidRequest("goals feature is disabled");
    const id = checkThreadId(raw);
    const kind = await lookup(id);
    if (kind === "ephemeral") throw invalidRequest(`ephemeral thread does not support goals: ${id}`);
    if (kind === "missing") throw invalidRequest(`thread not found: ${id}`);
    return id;
  }

  const mapErrors = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof GoalError) throw invalidRequest(e.message);
      if (e instanceof RpcError) throw e;
      throw new RpcError(INTERNAL_ERROR, `failed to update thread goal: ${(e as Error).message}`);
    }
  };

  app.register("thread/goal/set", async (params) => {
    const p = decodeParams(SetParams, params);
    const id = await threadFor(p.threadId);
    const patch: GoalPatch = {};
    if (p.objective !== null && p.objective !== undefined) patch.objective = p.objective;
    if (p.status !== null && p.status !== undefined) patch.status = p.status;
    if (typeof params === "object" && params !== null && Object.hasOwn(params, "tokenBudget")) patch.tokenBudget = p.tokenBudget ?? null;
    return mapErrors(() => held(() => ({ goal: toThreadGoal(runtime.setGoal(id, patch, { origin: p.origin ?? null })) })));
  });

  app.register("thread/goal/get", async (params) => {
    const p = decodeParams(ThreadParams, params);
    const id = await threadFor(p.threadId);
    const g = store.get(id);
    return { goal: g ? toThreadGoal(g) : null };
  });

  app.register("thread/goal/clear", async (params) => {
    const p = decodeParams(ThreadParams, params);
    const id = await threadFor(p.threadId);
    return mapErrors(() => held(() => ({ cleared: runtime.clearGoal(id) })));
  });

  return { runtime, dispose: unsubscribe };
}
