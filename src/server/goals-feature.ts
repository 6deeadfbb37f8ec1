// Goals in the live app-server (issue 6): the goal store and runtime (src/goals) wired to loaded
// threads, the thread/goal/* methods, notifications and analytics.
//
//   store      <home>/spool/goals.sqlite, opened at startup (repaired when corrupt; when it cannot
//              be opened, every goal method answers an error: nothing is acknowledged unstored)
//   methods    thread/goal/set|get|clear (src/server/methods/goals.ts); a thread exists when it is
//              loaded (a brand-new thread has no rollout yet) or the index knows it; Spool has no
//              ephemeral threads
//   notify     every goal change goes to every connection: in the thread's output order when it is
//              loaded (a tool's update before the response's usage, the end-of-turn update before
//              `turn/completed`), after the answer when a goal request made it
//   tools      get_goal / create_goal / update_goal in every loaded thread's engine
//   turns      every turn notification feeds the runtime before it is forwarded; before each model
//              request the runtime charges the last tool round and adds its items (budget-limit
//              notice, goal_objective context)
//   continue   an idle loaded thread with an active goal gets a turn started by the server, from
//              the continuation prompt (raw items, attribution trigger "goal", the previous turn as
//              parent); after a thread/resume only once the answer, usage, goal snapshot and
//              replays are out; a deferral stops it
//   rollout    thread/goal/set that changes a loaded thread's goal records `thread_goal_updated`
//              (which gives an empty preview the objective); on a thread that is not loaded, an
//              empty preview becomes the objective by a metadata patch
//   analytics  codex_goal_event facts from the store's change events (created, usage_accounted,
//              status_changed, cleared, with the goal's id)
import { GoalStore, type GoalEvent } from "../goals/store.js";
import { openGoalStore } from "../goals/recover.js";
import { INTERNAL_ERROR, RpcError, invalidRequest } from "./errors.js";

// only a well-formed id names a lock file (bad ids get the methods' own errors)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
import { GoalRuntime } from "../goals/runtime.js";
import { threadGoalUpdatedItem } from "../goals/prompts.js";
import type { GoalRecord } from "../goals/types.js";
import type { AnalyticsClient } from "../analytics/client.js";
import { goalStatusName } from "../analytics/goals.js";
import type { GoalEventKind } from "../analytics/facts.js";
import type { FunctionTool, TurnNotification } from "../agent/index.js";
import type { RolloutItem } from "../store/types.js";
import type { AppServer } from "./app.js";
import type { Connection } from "./connection.js";
import { WithFollowUp } from "./connection.js";
import type { LoadedThread } from "./loaded-thread.js";
import type { ThreadExtension } from "./thread-registry.js";
import { registerGoalMethods, type GoalThreadKind } from "./methods/goals.js";

export class GoalsFeature implements ThreadExtension {
  readonly store: GoalStore;
  readonly runtime: GoalRuntime;
  /** Why goals.sqlite cannot be used (null when it can). */
  readonly unavailable: string | null;
  private readonly disposers: Array<() => void> = [];

  constructor(private readonly app: AppServer) {
    ({ store: this.store, unavailable: this.unavailable } = openStore(app));
    this.runtime = new GoalRuntime({
      store: this.store,
      startContinuationTurn: (threadId, input) => this.continueThread(threadId, input),
      onError: (threadId, err) => app.log.warn({ err, threadId }, "goal continuation failed"),
    });
    const { dispose } = registerGoalMethods(app, {
      runtime: this.runtime,
      broadcast: (method, params) => this.broadcast(method, params),
      lookupThread: (id) => this.lookupThread(id),
      followUp: (result, after) => new WithFollowUp(result, after),
    });
    this.disposers.push(dispose);
    this.disposers.push(this.store.subscribe((e) => trackGoalEvent(app.analytics, e)));
    this.wrapSet();
    this.requireWriterLock();
    if (this.unavailable) this.refuseGoalMethods(this.unavailable);
    app.threadExtensions.push(this);
  }

  // ------------------------------------------------------------------------ ThreadExtension

  tools(threadId: string, opts: { ephemeral: boolean }): FunctionTool[] {
    if (this.unavailable) return [];
    return this.runtime.tools(threadId, { ephemeral: opts.ephemeral });
  }

  threadLoaded(t: LoadedThread, opts: { resumed: boolean }): void {
    this.runtime.threadLoaded(t.id, { totals: t.session.tokenUsage().total, resumed: opts.resumed, ephemeral: t.ephemeral });
  }

  threadUnloaded(threadId: string): void {
    this.runtime.threadUnloaded(threadId);
  }

  observe(t: LoadedThread, n: TurnNotification): void {
    this.runtime.observe(t.id, n);
  }

  beforeModelRequest(t: LoadedThread, turnId: string): RolloutItem[] {
    return this.runtime.beforeModelRequest(t.id, turnId);
  }

  /** The goal snapshot after a resume answer (and its usage): to every connection, before the replays. */
  afterResume(t: LoadedThread, _conn: Connection): void {
    const n = this.runtime.snapshot(t.id);
    this.app.broadcast(n.method, n.params);
  }

  resumeReady(t: LoadedThread): void {
    this.runtime.resumeReady(t.id);
  }

  // ------------------------------------------------------------------------ wiring

  async close(): Promise<void> {
    for (const d of this.disposers.splice(0)) d();
    this.store.close();
  }

  /**
   * A goal notification to every connection: a change a turn made (it has a turn id) in the
   * thread's output order; one a goal request made (no turn id) right away, after its answer.
   */
  private broadcast(method: string, params: unknown): void {
    const p = params as { threadId?: unknown; turnId?: unknown } | null;
    const t = typeof p?.threadId === "string" && typeof p.turnId === "string" ? this.app.threadsIfStarted()?.get(p.threadId) : undefined;
    if (t && !t.closing) t.broadcastInOrder(method, params);
    else this.app.broadcast(method, params);
  }

  private async lookupThread(id: string): Promise<GoalThreadKind> {
    const loaded = this.app.threadsIfStarted()?.get(id);
    if (loaded) return loaded.ephemeral ? "ephemeral" : "persisted";
    const index = this.app.index;
    await index.ensureFresh();
    if (index.get(id)) return "persisted";
    await index.ensureFresh(true);
    return index.get(id) ? "persisted" : "missing";
  }

  /** Starts the continuation turn of an idle loaded thread (the policy checked the goal). */
  private async continueThread(threadId: string, input: RolloutItem[]): Promise<void> {
    const t = this.app.threadsIfStarted()?.get(threadId);
    if (!t || t.closing) return; // being unloaded (its continuation state goes with it)
    // a turn that has sent turn/completed may still be settling inside the engine
    const settling = t.activeTurnId === null ? t.session.activeTurn : null;
    if (settling) await settling.done;
    if (t.startAutomaticTurn(input, "goal") === null) {
      // a turn runs (a turn/start came first): the policy looks again when it ends; the model
      // still has to be told the objective
      for (const item of input) {
        const p = item.payload as { type?: unknown; name?: unknown; output?: unknown };
        if (item.type === "response_item" && p.type === "function_call_output" && p.name === "goal_objective" && typeof p.output === "string") this.runtime.requeueObjective(threadId, p.output);
      }
    }
  }

  /**
   * thread/goal/set also writes what Codex writes: `thread_goal_updated` in a loaded thread's
   * rollout when its goal changed (its metadata then takes the objective as an empty preview),
   * and, on a thread that is not loaded, the objective as preview when the preview is empty.
   */
  private wrapSet(): void {
    const inner = this.app.methods.get("thread/goal/set");
    if (!inner) return;
    this.app.register("thread/goal/set", async (raw, conn) => {
      const id = typeof (raw as { threadId?: unknown } | null)?.threadId === "string" ? ((raw as { threadId: string }).threadId.toLowerCase()) : null;
      const before = id ? this.store.get(id) : null;
      const res = await inner(raw, conn);
      const after = id ? this.store.get(id) : null;
      if (id && after && !sameGoal(before, after)) await this.recordGoal(id, after);
      return res;
    });
  }

  /**
   * A goal change of a thread this server has not loaded is refused while another live process
   * is the thread's writer, with a conflict naming that process.
   */
  private requireWriterLock(): void {
    for (const method of ["thread/goal/set", "thread/goal/clear"]) {
      const inner = this.app.methods.get(method);
      if (!inner) continue;
      this.app.register(method, async (raw, conn) => {
        const id = typeof (raw as { threadId?: unknown } | null)?.threadId === "string" ? (raw as { threadId: string }).threadId.toLowerCase() : null;
        if (!id || !UUID.test(id) || this.app.threadsIfStarted()?.get(id)) return inner(raw, conn);
        // a probe, not the lock itself: the write below may patch the thread's metadata, which
        // takes the lock on its own
        const foreign = await this.app.foreignWriter(id);
        if (foreign) throw invalidRequest(foreign);
        return inner(raw, conn);
      });
    }
  }

  /** Never acknowledge a goal nothing stores: every goal method answers why. */
  private refuseGoalMethods(why: string): void {
    for (const method of ["thread/goal/set", "thread/goal/get", "thread/goal/clear"]) {
      this.app.register(method, async () => {
        throw new RpcError(INTERNAL_ERROR, `goals are unavailable: ${why}`);
      });
    }
  }

  private async recordGoal(threadId: string, goal: GoalRecord): Promise<void> {
    try {
      const t = this.app.threadsIfStarted()?.get(threadId);
      if (t && !t.closing) {
        await t.live.appendItems([threadGoalUpdatedItem(goal)]);
        return;
      }
      const row = this.app.index.get(threadId);
      if (row && !row.preview && goal.objective.trim()) await this.app.threads.manager.updateMetadata(threadId, { preview: goal.objective.trim() });
    } catch (e) {
      this.app.log.warn({ err: e, threadId }, "recording a goal change in the thread failed");
    }
  }
}

/** goals.sqlite, repaired when corrupt; when it cannot be opened at all, goals are unavailable. */
function openStore(app: AppServer): { store: GoalStore; unavailable: string | null } {
  const opened = openGoalStore(app.home);
  if (opened.repaired) app.log.error({ home: app.home }, `goals: ${opened.repaired}`);
  if (opened.store) return { store: opened.store, unavailable: null };
  app.log.error({ home: app.home }, `goals: ${opened.unavailable}; every goal request answers an error`);
  // a stand-in nothing writes to: the methods refuse, the model gets no goal tools
  return { store: GoalStore.memory(), unavailable: opened.unavailable };
}

/** The same goal with the same objective, status and budget (usage and times aside). */
const sameGoal = (a: GoalRecord | null, b: GoalRecord | null) =>
  a !== null && b !== null && a.goalId === b.goalId && a.objective === b.objective && a.status === b.status && a.tokenBudget === b.tokenBudget;

/** A goal store change as analytics goal facts (created, usage_accounted, status_changed, cleared). */
export function trackGoalEvent(analytics: AnalyticsClient, e: GoalEvent): void {
  if (!analytics.enabled) return;
  const fact = (goal: GoalRecord, eventKind: GoalEventKind, turnId: string | null) => {
    const goalStatus = goalStatusName(goal.status);
    if (!goalStatus) return;
    const usage = eventKind === "usage_accounted";
    analytics.trackGoal({
      threadId: e.threadId,
      turnId: eventKind === "cleared" ? null : turnId,
      goalId: goal.goalId,
      eventKind,
      goalStatus,
      hasTokenBudget: goal.tokenBudget !== null,
      cumulativeTokensAccounted: usage ? goal.tokensUsed : null,
      cumulativeTimeAccountedSeconds: usage ? goal.timeUsedSeconds : null,
    });
  };
  if (e.type === "cleared") return fact(e.previous, "cleared", null);
  const { goal, previous } = e;
  if (e.cause === "created" || e.cause === "replaced" || !previous || previous.goalId !== goal.goalId) return fact(goal, "created", e.turnId);
  if (e.cause === "usage" || goal.tokensUsed !== previous.tokensUsed || goal.timeUsedSeconds !== previous.timeUsedSeconds) fact(goal, "usage_accounted", e.turnId);
  if (goal.status !== previous.status) fact(goal, "status_changed", e.turnId);
}
