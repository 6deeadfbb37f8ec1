// When Spool starts a goal turn by itself: the continuation policy, as a pure unit (no I/O of its
// own: it reads the goal and the deferral through callbacks and asks `startContinuationTurn`).
//
// Codex 0.169.0, observed against the real binary:
//   - a loaded thread whose goal is `active` gets a new turn as soon as it is idle: after a turn
//     that completed (not one interrupted or failed: a failed turn blocks the goal anyway), after
//     thread/goal/set makes the goal active on an idle thread, and after a resume, once the resume
//     response, the token usage, the goal snapshot and the replayed requests are out;
//   - continuation turns keep coming while the goal stays active (there is no cap, and a goal
//     turn without tool calls does not stop them); paused, blocked, usageLimited, budgetLimited
//     and complete goals, and threads without a goal, get none;
//   - a deferral (a flag stored with the goal: set on a goal copied to a fork, or by a client)
//     stops them until it is lifted.
// The start is scheduled (default: setImmediate), so the turn/completed or the response that made
// the thread idle goes out first, and everything is checked again when it fires.
import type { GoalStatus } from "./types.js";

export interface ContinuationDeps {
  /** The thread's goal status (null without a goal). */
  goalStatus(threadId: string): GoalStatus | null;
  isDeferred(threadId: string): boolean;
  /** Starts the goal turn (the caller builds its input, see continuationItem). */
  startContinuationTurn(threadId: string): void | Promise<void>;
  /** Runs `fn` later (default setImmediate). */
  schedule?: (fn: () => void) => void;
  onError?: (threadId: string, err: unknown) => void;
}

interface ThreadState {
  /** The resume response and its replays are out (threads that were not resumed are ready at once). */
  ready: boolean;
  running: boolean;
  scheduled: boolean;
}

export type TurnEnd = "completed" | "interrupted" | "failed";

export class ContinuationPolicy {
  private readonly threads = new Map<string, ThreadState>();
  private readonly schedule: (fn: () => void) => void;

  constructor(private readonly deps: ContinuationDeps) {
    this.schedule = deps.schedule ?? ((fn) => void setImmediate(fn));
  }

  /**
   * A thread is loaded. `awaitingReady`: it is being resumed, and nothing starts before
   * `ready()` (call that after the resume response, token usage, goal snapshot and replays).
   */
  attach(threadId: string, opts: { awaitingReady?: boolean; running?: boolean } = {}): void {
    const s = this.state(threadId);
    s.ready = !opts.awaitingReady;
    s.running = opts.running ?? s.running;
    this.consider(threadId);
  }

  /** The resume is fully answered: an idle thread with an active goal continues now. */
  ready(threadId: string): void {
    const s = this.threads.get(threadId);
    if (!s) return this.attach(threadId);
    s.ready = true;
    this.consider(threadId);
  }

  /** The thread is unloaded: forget it. */
  detach(threadId: string): void {
    this.threads.delete(threadId);
  }

  turnStarted(threadId: string): void {
    this.state(threadId).running = true;
  }

  /** A turn ended; only a completed one leads to a continuation. */
  turnEnded(threadId: string, how: TurnEnd): void {
    const s = this.state(threadId);
    s.running = false;
    if (how === "completed") this.consider(threadId);
  }

  /** The goal changed outside a turn (thread/goal/set, a lifted deferral): continue if it is now active and the thread idle. */
  goalChanged(threadId: string): void {
    if (this.threads.has(threadId)) this.consider(threadId);
  }

  /** Whether a continuation would start now (loaded, ready, idle, nothing scheduled, active goal, no deferral). */
  wouldContinue(threadId: string): boolean {
    const s = this.threads.get(threadId);
    if (!s || !s.ready || s.running || s.scheduled) return false;
    return this.deps.goalStatus(threadId) === "active" && !this.deps.isDeferred(threadId);
  }

  isRunning(threadId: string): boolean {
    return this.threads.get(threadId)?.running ?? false;
  }

  private state(threadId: string): ThreadState {
    let s = this.threads.get(threadId);
    if (!s) {
      s = { ready: true, running: false, scheduled: false };
      this.threads.set(threadId, s);
    }
    return s;
  }

  private consider(threadId: string): void {
    if (!this.wouldContinue(threadId)) return;
    const s = this.state(threadId);
    s.scheduled = true;
    this.schedule(() => {
      if (this.threads.get(threadId) !== s) return;
      s.scheduled = false;
      if (!this.wouldContinue(threadId)) return;
      s.running = true;
      let started: void | Promise<void>;
      try {
        started = this.deps.startContinuationTurn(threadId);
      } catch (e) {
        s.running = false;
        this.deps.onError?.(threadId, e);
        return;
      }
      if (started && typeof (started as Promise<void>).then === "function")
        (started as Promise<void>).catch((e) => {
          s.running = false;
          this.deps.onError?.(threadId, e);
        });
    });
  }
}
