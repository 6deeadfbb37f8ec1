// A loaded thread as the server runs it: its writer (LiveThread), its turn engine (AgentSession),
// the connections subscribed to it, its status, and the one ordered stream of everything the
// server sends about it (Codex's per-thread listener).
//
// Ordering. Every output of the thread (notifications to subscribers, status broadcasts, server
// requests) goes through `out`, in the order the engine produced them. Outputs can be held: a
// turn/start holds them until its response is written (so the response precedes
// `thread/status/changed` and `turn/started`), and a turn that ends while turn/interrupt requests
// wait holds them until those responses are written (Codex answers the interrupt, then sends
// the status and the interrupted `turn/completed`).
//
// Status (Codex's thread_status.rs): a pending approval makes the thread `active` with the
// `waitingOnApproval` flag; else a recorded system error (a turn failed) shows `systemError`;
// else a running turn shows `active`; else `idle`. A change is broadcast to every connection.
//
// Approvals and questions for the user are server requests (thread-requests.ts); turn starts and
// ends cancel what is still pending.
//
// Extensions (goals) see every engine notification through `host.observe` as it is forwarded
// (a turn's usage when the engine reports it, the rest after any usage kept back), so what they
// broadcast in order lands where Codex sends it: a tool's goal update before the response's
// usage, the end-of-turn goal update after it and before `turn/completed`.
//
// Automatic turns (goal continuations, `startAutomaticTurn`): the engine starts the turn from raw
// items; its events are held until its first model request, or until the answer of a turn/start
// that joins it is written (the input joins the running turn, and the answer names it, as in
// Codex: answer, then `thread/status/changed` and `turn/started`).
//
// Analytics: each notification is tracked once where it is sent (not per subscriber), each
// server request once per connection it is written to (replays marked), and requests that end
// without an answer as aborted.
import type { AgentSession, ApprovalDecision, ApprovalKind, TurnNotification, TurnSettings, TurnTelemetry, UserInput } from "../agent/index.js";
import { approvalMethod } from "../agent/index.js";
import { uuidv7 } from "../agent/ids.js";
import type { RolloutItem } from "../store/types.js";
import type { JsonObject } from "../rollout/line.js";
import type { LiveThread } from "../live/live-thread.js";
import type { ThreadStatus } from "../protocol/v2.js";
import { encodeNotification } from "./jsonrpc.js";
import type { Connection } from "./connection.js";
import { WithFollowUp } from "./connection.js";
import type { ServerRequests } from "./server-requests.js";
import { decisionOf, ThreadRequests, USER_INPUT_METHOD } from "./thread-requests.js";
import type { EffectiveSettings } from "./thread-view.js";
import { invalidRequest } from "./errors.js";

/** What a loaded thread needs from the server around it. */
export interface ThreadHost {
  readonly requests: ServerRequests;
  /** Sends a notification to every initialized connection. */
  broadcast(method: string, params: unknown): void;
  /** A turn ended or a subscriber left: the thread may go idle. */
  maybeIdle(thread: LoadedThread): void;
  warn(obj: object, msg: string): void;
  /** Every engine notification, as it is forwarded (the thread's extensions: goals). */
  observe?(thread: LoadedThread, n: TurnNotification): void;
  /** Items to record before a model request of the thread's turn (the thread's extensions). */
  beforeModelRequest?(thread: LoadedThread, turnId: string): RolloutItem[];
  /** Analytics (each call at most once per fact). */
  readonly tracker?: ThreadTracker;
}

/** What a loaded thread reports to analytics. */
export interface ThreadTracker {
  trackNotification(method: string, params: unknown): unknown;
  trackServerRequest(connectionId: number, id: number, method: string, params: unknown, opts?: { replayed?: boolean }): unknown;
  trackServerRequestAborted(id: number): unknown;
  trackTurnTelemetry(t: TurnTelemetry): unknown;
}

/** Notifications of a thread that go to every connection rather than to its subscribers (Codex's goal snapshot and updates). */
const BROADCAST_METHODS = new Set(["thread/goal/updated", "thread/goal/cleared"]);

/** Events of a command or file change (what runs between a response's usage and Codex's report of it). */
function isToolEvent(n: TurnNotification, diffOfTool: boolean): boolean {
  if (n.method === "item/commandExecution/outputDelta") return true;
  // the diff a file change sends at once is the tool's; the one after the round comes after the usage
  if (n.method === "turn/diff/updated") return diffOfTool;
  if (n.method !== "item/started" && n.method !== "item/completed") return false;
  const type = (n.params.item as { type?: string }).type;
  return type === "commandExecution" || type === "fileChange";
}

const sameStatus = (a: ThreadStatus, b: ThreadStatus) => JSON.stringify(a) === JSON.stringify(b);

export class LoadedThread {
  readonly id: string;
  readonly subscribers = new Set<Connection>();
  session!: AgentSession;
  settings: EffectiveSettings;
  /** Set while the thread is being unloaded (resume must wait for `thread/closed`). */
  closing = false;
  idleTimer: NodeJS.Timeout | null = null;

  private status: ThreadStatus = { type: "idle" };
  private currentTurn: string | null = null;
  private systemError = false;
  private holds = 0;
  private readonly queue: Array<() => void> = [];
  /** An item/started (command or file change) kept back one microtask: an approval that follows it announces the status first, like Codex. */
  private deferredStart: TurnNotification | null = null;
  private interruptWaiters: Array<(release: () => void) => void> = [];
  /**
   * A `thread/tokenUsage/updated` kept back while the tool calls of the same response run: Codex
   * runs tools while the response streams, so it reports the response's usage after their items;
   * the engine samples first and runs the calls after, so the usage is sent once they are done.
   */
  private deferredUsage: TurnNotification | null = null;
  /** The last engine event completed a file change (the diff it sends next is part of the tool's events). */
  private afterFileChange = false;
  /** Its server requests (approvals, questions for the user). */
  private readonly requests: ThreadRequests;
  /** An automatic turn whose events are held (see startAutomaticTurn), and the hold's release. */
  private automatic: { turnId: string; release: () => void } | null = null;

  constructor(
    readonly live: LiveThread,
    private readonly host: ThreadHost,
    settings: EffectiveSettings,
    /** In memory only (thread/start `ephemeral`): never written to the home, gone when unloaded. */
    readonly ephemeral = false,
  ) {
    this.id = live.threadId;
    this.settings = settings;
    this.requests = new ThreadRequests({
      threadId: this.id,
      requests: host.requests,
      subscribers: this.subscribers,
      tracker: host.tracker,
      inOrder: (fn) => this.inOrder(fn),
      toSubscribers: (method, params) => this.toSubscribers(method, params),
      pendingChanged: () => this.updateStatus(),
      settled: () => this.host.maybeIdle(this),
    });
  }

  /** Installs the turn engine (built with `onEvent`/`requestApproval` pointing here). */
  attach(session: AgentSession): void {
    this.session = session;
  }

  // ---------------------------------------------------------------- state

  get threadStatus(): ThreadStatus {
    return this.status;
  }

  /** The turn running now (from turn/start until its turn/completed), or null. */
  get activeTurnId(): string | null {
    return this.currentTurn;
  }

  get pendingRequestCount(): number {
    return this.requests.pendingCount;
  }

  /** Idle means: no subscriber, no running turn, no pending request. */
  get isIdle(): boolean {
    return this.subscribers.size === 0 && this.currentTurn === null && this.requests.pendingCount === 0;
  }

  private computeStatus(): ThreadStatus {
    if (this.requests.pendingCount > 0) return { type: "active", activeFlags: this.requests.waitingFlags() };
    if (this.systemError) return { type: "systemError" };
    if (this.currentTurn !== null) return { type: "active", activeFlags: [] };
    return { type: "idle" };
  }

  private updateStatus(): void {
    const next = this.computeStatus();
    if (sameStatus(next, this.status)) return;
    this.status = next;
    this.out(() => this.host.broadcast("thread/status/changed", { threadId: this.id, status: next }));
  }

  // ---------------------------------------------------------------- ordered output

  /** Holds outputs until the returned release runs (once). */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.drain();
    };
  }

  private out(fn: () => void): void {
    if (this.holds > 0 || this.queue.length > 0) this.queue.push(fn);
    else this.run(fn);
  }

  private drain(): void {
    while (this.holds === 0 && this.queue.length > 0) this.run(this.queue.shift()!);
  }

  private run(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.host.warn({ err: e, threadId: this.id }, "sending a thread event failed");
    }
  }

  /** Sends a notification to the connections subscribed now (tracked once, with or without subscribers). */
  private toSubscribers(method: string, params: unknown): void {
    this.host.tracker?.trackNotification(method, params);
    if (this.subscribers.size === 0) return;
    const line = encodeNotification(method, params);
    for (const c of this.subscribers) c.notifyEncoded(method, line);
  }

  /** A notification through the thread's ordered stream (subscribers only). */
  notifySubscribers(method: string, params: unknown): void {
    this.flushDeferred();
    this.out(() => this.toSubscribers(method, params));
  }

  /** A broadcast kept in order with the thread's events (thread/goal/*…). */
  broadcastInOrder(method: string, params: unknown): void {
    this.flushDeferred();
    this.out(() => this.host.broadcast(method, params));
  }

  private flushDeferred(): void {
    const n = this.deferredStart;
    if (!n) return;
    this.deferredStart = null;
    this.out(() => this.toSubscribers(n.method, n.params));
  }

  // ---------------------------------------------------------------- engine events

  private flushUsage(): void {
    const n = this.deferredUsage;
    if (!n) return;
    this.deferredUsage = null;
    this.out(() => this.toSubscribers(n.method, n.params));
  }

  private observe(n: TurnNotification): void {
    try {
      this.host.observe?.(this, n);
    } catch (e) {
      this.host.warn({ err: e, threadId: this.id, method: n.method }, "a thread extension failed on a notification");
    }
  }

  /** AgentSession.onEvent. */
  onEngineEvent = (n: TurnNotification): void => {
    const diffOfTool = this.afterFileChange;
    this.afterFileChange = n.method === "item/completed" && (n.params.item as { type?: string }).type === "fileChange";
    if (n.method === "thread/tokenUsage/updated") {
      this.observe(n);
      this.flushUsage();
      this.deferredUsage = n;
      return;
    }
    this.flushDeferred();
    if (!isToolEvent(n, diffOfTool)) this.flushUsage();
    this.observe(n);
    switch (n.method) {
      case "item/started": {
        const item = n.params.item as { type?: string; status?: string };
        if ((item.type === "commandExecution" || item.type === "fileChange") && item.status === "inProgress") {
          this.deferredStart = n;
          queueMicrotask(() => this.flushDeferred());
          return;
        }
        break;
      }
      case "turn/started":
        this.requests.cancelAll();
        if (this.currentTurn === null) this.currentTurn = n.params.turn.id;
        this.systemError = false;
        this.updateStatus();
        break;
      case "error":
        if (!n.params.willRetry) {
          this.systemError = true;
          this.updateStatus();
        }
        break;
      case "turn/completed":
        this.turnEnded(n.params.turn.id);
        this.out(() => this.toSubscribers(n.method, n.params));
        this.host.maybeIdle(this);
        return;
    }
    if (BROADCAST_METHODS.has(n.method)) this.out(() => this.host.broadcast(n.method, n.params));
    else this.out(() => this.toSubscribers(n.method, n.params));
  };

  /** AgentSession.onTelemetry: in the thread's order, so analytics sees it among the notifications. */
  onEngineTelemetry = (t: TurnTelemetry): void => {
    const tracker = this.host.tracker;
    if (tracker) this.out(() => tracker.trackTurnTelemetry(t));
  };

  /** AgentSession.beforeModelRequest: an automatic turn's held events go out; the extensions' items. */
  beforeModelRequest = (turnId: string): RolloutItem[] => {
    this.releaseAutomatic(turnId);
    try {
      return this.host.beforeModelRequest?.(this, turnId) ?? [];
    } catch (e) {
      this.host.warn({ err: e, threadId: this.id, turnId }, "a thread extension failed before a model request");
      return [];
    }
  };

  /** Releases the hold of an automatic turn (once). */
  private releaseAutomatic(turnId: string): void {
    const a = this.automatic;
    if (!a || a.turnId !== turnId) return;
    this.automatic = null;
    a.release();
  }

  /** Bookkeeping of a turn's end (before its turn/completed goes out). */
  private turnEnded(turnId: string): void {
    this.releaseAutomatic(turnId);
    this.requests.cancelAll();
    if (this.currentTurn === turnId) this.currentTurn = null;
    const waiters = this.interruptWaiters.splice(0);
    for (const w of waiters) w(this.hold());
    this.updateStatus();
  }

  // ---------------------------------------------------------------- turns

  /**
   * Starts a turn (or, when one runs, adds the input to it as Codex does) and returns turn/start's
   * answer; the turn's events are held until that answer is written.
   */
  async startTurn(input: UserInput[], overrides: Partial<TurnSettings>, turnId: string): Promise<WithFollowUp> {
    for (;;) {
      const running = this.session.activeTurn;
      if (this.currentTurn !== null && running && running.running && this.session.steer(input)) {
        // an automatic turn still held is announced right after this answer
        const id = running.id;
        return new WithFollowUp(
          { turn: { id, rootTurnId: running.rootTurnId, items: [], itemsView: "notLoaded", status: "inProgress", error: null, startedAt: null, completedAt: null, durationMs: null } },
          () => this.releaseAutomatic(id),
        );
      }
      if (!running) break;
      // a turn that has sent turn/completed may still be settling inside the engine (and an
      // automatic turn may start meanwhile: then the input joins it)
      await running.done;
    }
    const release = this.hold();
    this.launchTurn(turnId, () => this.session.startTurn(input, { ...overrides, turnId }), release);
    for (const k of ["cwd", "model", "approvalPolicy", "sandboxMode", "workspaceWrite", "reasoningEffort"] as const) {
      const v = overrides[k];
      if (v !== undefined) (this.settings as unknown as Record<string, unknown>)[k] = v;
    }
    return new WithFollowUp({ turn: { id: turnId, rootTurnId: turnId, items: [], itemsView: "notLoaded", status: "inProgress", error: null, startedAt: null, completedAt: null, durationMs: null } }, release);
  }

  /** Starts a compaction turn (thread/compact/start) once the running turn, if any, has ended. */
  async startCompaction(): Promise<WithFollowUp> {
    for (let running = this.session.activeTurn; running; running = this.session.activeTurn) await running.done;
    const turnId = uuidv7();
    const release = this.hold();
    this.launchTurn(turnId, () => this.session.startTurn([], { turnId, compact: true }), release);
    return new WithFollowUp({}, release);
  }

  /**
   * Starts a turn the server begins by itself (a goal continuation): `items` are its input (not a
   * user message), `trigger` is recorded as its attribution with the previous turn as parent.
   * Its events are held until its first model request or until a joining turn/start's answer is
   * out. Returns the turn id, or null when the thread is closing or a turn runs.
   */
  startAutomaticTurn(items: RolloutItem[], trigger: string): string | null {
    if (this.closing || this.currentTurn !== null || this.session.activeTurn) return null;
    const turnId = uuidv7();
    const last = this.session.lastTurn;
    this.automatic = { turnId, release: this.hold() };
    const attribution = { trigger, parentTurnId: last?.id ?? null, rootTurnId: last?.rootId ?? null };
    this.launchTurn(turnId, () => this.session.startTurn([], { turnId, rawInput: items, attribution }), () => this.releaseAutomatic(turnId));
    return turnId;
  }

  /**
   * Makes `turnId` the running turn and starts it in the engine (`start`). When the engine is
   * done, an automatic turn's hold goes if it is still there, and a turn whose end was never
   * announced (an engine failure) ends here. If `start` throws, no turn runs (the status says
   * so), `undo` runs and the error propagates.
   */
  private launchTurn(turnId: string, start: () => { done: Promise<{ turnId: string }> }, undo: () => void): void {
    try {
      this.currentTurn = turnId;
      this.systemError = false;
      this.updateStatus();
      void start().done.then((r) => {
        this.releaseAutomatic(r.turnId);
        if (this.currentTurn === r.turnId) {
          this.turnEnded(r.turnId);
          this.host.maybeIdle(this);
        }
      });
    } catch (e) {
      if (this.currentTurn === turnId) this.currentTurn = null;
      this.updateStatus();
      undo();
      throw e;
    }
  }

  steer(input: UserInput[], expectedTurnId: string): { turnId: string } {
    const running = this.session.activeTurn;
    if (this.currentTurn === null || !running || !running.running) throw invalidRequest("no active turn to steer");
    if (expectedTurnId !== this.currentTurn) throw invalidRequest(`expected active turn id \`${expectedTurnId}\` but found \`${this.currentTurn}\``);
    if (!this.session.steer(input)) throw invalidRequest("no active turn to steer");
    return { turnId: this.currentTurn };
  }

  /** Interrupts the running turn; resolves once it has stopped, with an answer that releases its turn/completed. */
  interrupt(turnId: string): Promise<WithFollowUp> {
    if (this.currentTurn === null) throw invalidRequest("no active turn to interrupt");
    if (turnId !== this.currentTurn) throw invalidRequest(`expected active turn id ${turnId} but found ${this.currentTurn}`);
    return new Promise((resolve) => {
      this.interruptWaiters.push((release) => resolve(new WithFollowUp({}, release)));
      void this.session.interrupt();
    });
  }

  /** Interrupts whatever runs and waits for the engine to settle (unload, archive, shutdown). */
  async stopTurn(): Promise<void> {
    const t = this.session?.activeTurn;
    if (t) await t.interrupt();
  }

  // ---------------------------------------------------------------- approvals

  /** AgentSession.requestApproval: a server request to every subscriber; resolves with the first answer. */
  requestApproval = (kind: ApprovalKind, params: object, opts: { signal: AbortSignal }): Promise<ApprovalDecision> => this.requests.send(approvalMethod(kind), params, opts).then(decisionOf);

  /** AgentSession.requestUserInput: `item/tool/requestUserInput`; the client's result, or null when cancelled or refused. */
  requestUserInput = async (params: JsonObject, opts: { signal: AbortSignal }): Promise<JsonObject | null> => {
    const answer = await this.requests.send(USER_INPUT_METHOD, params, opts);
    const r = answer && answer.error === undefined ? answer.result : null;
    return r && typeof r === "object" && !Array.isArray(r) ? (r as JsonObject) : null;
  };

  /** Re-sends the still-pending requests to a connection that rejoined (same ids and params), in order. */
  replayPendingRequests(conn: Connection): void {
    this.requests.replay(conn);
  }

  /** Drops pending requests without telling anyone (unload). */
  dropPendingRequests(): void {
    this.requests.dropAll();
  }

  /** Runs `fn` in the thread's output order (after everything already queued). */
  inOrder(fn: () => void): void {
    this.flushDeferred();
    this.out(fn);
  }
}
