// The analytics entry point the server calls: `AnalyticsClient`. Every `track*` method is cheap
// and synchronous: it turns its input into a typed fact (copying a few scalars) and appends it
// to a bounded queue; when the queue is full the fact is dropped and counted (analytics never
// pushes back on the product). One background task, run from `setImmediate`, owns the reducer:
// it folds the queued facts in order, logs the reducer's warnings and hands the events to the
// sinks (local SQLite; the HTTP sink only queues). A disabled client (`AnalyticsClient.disabled()`)
// has no queue and every method is a no-op.
import { factFromNotification, ANALYTICS_NOTIFICATIONS, type AnalyticsFact, type GoalFact, type RpcTransport, type RuntimeMetadata, type SubagentThreadStartedFact, type TurnProfileFact, type TurnResolvedConfigFact, type TurnTokenUsageFact } from "./facts.js";
import { decodeClientRequest, decodeClientResponse, decodeServerRequest, serverResponseFromResult, type ClientErrorType, type JsonRpcError, type RequestId, type ServerRequest } from "./protocol.js";
import { GoalFactDeriver, type WireGoal } from "./goals.js";
import { AnalyticsReducer, type AnalyticsWarning, type ReduceOutput } from "./reducer.js";
import { currentRuntime } from "./runtime.js";
import type { AnalyticsSink, RecordedEvent } from "./sinks/sink.js";
import type { TurnTelemetry } from "../agent/telemetry.js";

export interface AnalyticsLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

const silentLog: AnalyticsLog = { warn: () => {}, debug: () => {} };

export interface AnalyticsClientOptions {
  sinks?: AnalyticsSink[];
  /** Facts queued at most (default 4096). */
  capacity?: number;
  /** Facts folded per background tick (default 512). */
  batch?: number;
  clock?: () => number;
  log?: AnalyticsLog;
  runtime?: RuntimeMetadata;
  reducer?: AnalyticsReducer;
  /**
   * Derive goal facts from `thread/goal/updated` and `thread/goal/cleared` notifications (see
   * goals.ts), for a server whose goals feature does not call `trackGoal` itself; the function
   * names the goal row's id. Leave unset when the goals feature calls `trackGoal`.
   */
  goalsFromNotifications?: (threadId: string, goal: WireGoal) => string | null;
}

export interface AnalyticsStats {
  enabled: boolean;
  queued: number;
  tracked: number;
  /** Facts dropped because the queue was full. */
  droppedFacts: number;
  events: number;
  warnings: number;
  /** Facts the reducer threw on (a bug; the fact is skipped). */
  errors: number;
  sinks: Record<string, Record<string, number>>;
}

type Without<T, K extends keyof T> = Omit<T, K>;

export class AnalyticsClient {
  readonly enabled: boolean;
  private readonly reducer: AnalyticsReducer;
  private readonly sinks: AnalyticsSink[];
  private readonly capacity: number;
  private readonly batch: number;
  private readonly clock: () => number;
  private readonly log: AnalyticsLog;
  private readonly runtime: RuntimeMetadata;
  /** Queued facts, each with the time it was tracked (its events' recorded time). */
  private queue: Array<{ fact: AnalyticsFact; atMs: number }> = [];
  private head = 0;
  private scheduled = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Targeted server requests awaiting an answer: the typed request decodes the answer. */
  private readonly serverRequests = new Map<string, ServerRequest>();
  private readonly warnedOnce = new Set<string>();
  private readonly goals: GoalFactDeriver | null;
  private readonly counters = { tracked: 0, droppedFacts: 0, events: 0, warnings: 0, errors: 0 };

  constructor(opts: AnalyticsClientOptions = {}, enabled = true) {
    this.enabled = enabled;
    this.reducer = opts.reducer ?? new AnalyticsReducer();
    this.sinks = opts.sinks ?? [];
    this.capacity = opts.capacity ?? 4096;
    this.batch = opts.batch ?? 512;
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? silentLog;
    this.runtime = opts.runtime ?? currentRuntime();
    this.goals = opts.goalsFromNotifications ? new GoalFactDeriver(opts.goalsFromNotifications) : null;
  }

  /** Enabled and not closed. */
  private get active(): boolean {
    return this.enabled && !this.closed;
  }

  /** A client that tracks nothing, stores nothing and sends nothing. */
  static disabled(): AnalyticsClient {
    return new AnalyticsClient({}, false);
  }

  // -------------------------------------------------------------- the queue

  /** Queues one fact; false when analytics is off, closed, or the queue is full (then counted). */
  track(fact: AnalyticsFact): boolean {
    if (!this.enabled || this.closed) return false;
    if (this.queue.length - this.head >= this.capacity) {
      this.counters.droppedFacts++;
      if (this.counters.droppedFacts === 1 || this.counters.droppedFacts % 1000 === 0) this.log.warn({ dropped: this.counters.droppedFacts }, "dropping analytics facts: queue is full");
      return false;
    }
    this.queue.push({ fact, atMs: this.clock() });
    this.counters.tracked++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    return true;
  }

  private drain(): void {
    this.scheduled = false;
    const end = Math.min(this.queue.length, this.head + this.batch);
    const out: ReduceOutput = { events: [], warnings: [] };
    const recs: RecordedEvent[] = [];
    for (let i = this.head; i < end; i++) {
      const { fact, atMs } = this.queue[i];
      try {
        this.reducer.ingest(fact, out);
      } catch (e) {
        this.counters.errors++;
        this.log.warn({ err: e, fact: fact.kind }, "analytics reducer failed on a fact; skipped");
      }
      for (let j = recs.length; j < out.events.length; j++) recs.push({ recordedAtMs: atMs, event: out.events[j] });
    }
    this.head = end;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    for (const w of out.warnings) this.warn(w);
    if (recs.length) {
      this.counters.events += recs.length;
      for (const s of this.sinks) {
        try {
          s.write(recs);
        } catch (e) {
          this.log.warn({ err: e, sink: s.name }, "analytics sink failed");
        }
      }
    }
    if (this.queue.length > this.head) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    } else {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private warn(w: AnalyticsWarning): void {
    this.counters.warnings++;
    // The first warning of a kind per thread at warn level, repeats at debug.
    const key = `${w.event}\u0000${w.missing}\u0000${w.thread_id ?? ""}`;
    if (this.warnedOnce.size < 10_000 && !this.warnedOnce.has(key)) {
      this.warnedOnce.add(key);
      this.log.warn({ analytics: w }, w.message);
    } else this.log.debug({ analytics: w }, w.message);
  }

  /** Resolves once every fact queued so far is reduced and the sinks have delivered (or `timeoutMs` passed). */
  async flush(timeoutMs = 5000): Promise<void> {
    if (!this.enabled) return;
    if (this.queue.length > this.head || this.scheduled) await new Promise<void>((r) => this.idleWaiters.push(r));
    await Promise.all(this.sinks.map((s) => s.flush(timeoutMs).catch(() => undefined)));
  }

  /** Stops taking facts, reduces what is queued, flushes and closes the sinks within `timeoutMs`. */
  async close(timeoutMs = 5000): Promise<void> {
    if (!this.enabled || this.closed) return;
    this.closed = true; // no new facts; the queued ones are still reduced and delivered
    if (this.queue.length > this.head || this.scheduled) await new Promise<void>((r) => this.idleWaiters.push(r));
    await Promise.all(
      this.sinks.map((s) =>
        s.close(timeoutMs).catch((e: Error) => {
          this.log.warn({ err: e, sink: s.name }, "analytics sink failed to close");
        }),
      ),
    );
  }

  stats(): AnalyticsStats {
    const sinks: Record<string, Record<string, number>> = {};
    for (const s of this.sinks) sinks[s.name] = s.stats();
    return { enabled: this.enabled, queued: this.queue.length - this.head, ...this.counters, sinks };
  }

  // -------------------------------------------------------------- what the server calls

  /** After a successful `initialize` on a connection. */
  trackInitialize(
    connectionId: number,
    params: { clientInfo: { name: string; version: string }; capabilities?: { experimentalApi?: boolean | null } | null },
    opts: { transport: RpcTransport; productClientId?: string },
  ): boolean {
    if (!this.active) return false;
    return this.track({
      kind: "initialize",
      connectionId,
      clientName: params.clientInfo.name,
      clientVersion: params.clientInfo.version,
      experimentalApi: params.capabilities ? (params.capabilities.experimentalApi ?? false) : null,
      productClientId: opts.productClientId ?? params.clientInfo.name,
      transport: opts.transport,
      runtime: this.runtime,
    });
  }

  /** Every client request as it arrives (only turn/start, turn/steer and turn/interrupt are kept). */
  trackClientRequest(connectionId: number, requestId: RequestId, method: string, params: unknown): boolean {
    if (!this.active) return false;
    const request = decodeClientRequest(method, params);
    return request ? this.track({ kind: "client_request", connectionId, requestId, request, atMs: this.clock() }) : false;
  }

  /**
   * Every successful answer, before it is written (only thread/start|resume|fork and
   * turn/start|steer|interrupt are kept). `threadOriginator` overrides the connection's
   * product_client_id for that thread's events.
   */
  trackClientResponse(connectionId: number, requestId: RequestId, method: string, result: unknown, opts: { threadOriginator?: string | null } = {}): boolean {
    if (!this.active) return false;
    const response = decodeClientResponse(method, result);
    return response ? this.track({ kind: "client_response", connectionId, requestId, response, threadOriginator: opts.threadOriginator ?? null, atMs: this.clock() }) : false;
  }

  /** An error answer to a client request (turn/steer refusals become steer events). */
  trackClientError(connectionId: number, requestId: RequestId, error: JsonRpcError, errorType: ClientErrorType | null = null): boolean {
    if (!this.active) return false;
    return this.track({ kind: "client_error_response", connectionId, requestId, error: { code: error.code, message: error.message }, errorType, atMs: this.clock() });
  }

  /**
   * A server request written to one connection: call it once per connection the request was
   * targeted at, and again with `replayed` when a pending request is re-sent to a connection that
   * resumed the thread. Do NOT call it for broadcast requests (sent to every connection at once):
   * analytics correlates a request with the one connection that answers it, and a broadcast fans
   * one logical request out over many connections, which would count as many reviews.
   */
  trackServerRequest(connectionId: number, id: RequestId, method: string, params: unknown, opts: { replayed?: boolean } = {}): boolean {
    if (!this.active) return false;
    const request = decodeServerRequest(id, method, params);
    if (!request) return false;
    const key = `${typeof id}:${String(id)}`;
    if (!this.serverRequests.has(key)) {
      this.serverRequests.set(key, request);
      if (this.serverRequests.size > 4096) this.serverRequests.delete(this.serverRequests.keys().next().value as string);
    }
    return this.track({ kind: "server_request", connectionId, request, replayed: opts.replayed ?? false, atMs: this.clock() });
  }

  /**
   * The client's answer to a server request, from the connection that answered. The raw result
   * is decoded into the typed response of the stored request; an error answer counts as an abort.
   */
  trackServerResponse(connectionId: number, id: RequestId, result: unknown, error?: unknown): boolean {
    if (!this.active) return false;
    const key = `${typeof id}:${String(id)}`;
    const request = this.serverRequests.get(key);
    if (!request) return false; // not a tracked (targeted) request, or already answered
    this.serverRequests.delete(key);
    const now = this.clock();
    if (error !== undefined && error !== null) return this.track({ kind: "server_request_aborted", requestId: id, completedAtMs: now });
    const decoded = serverResponseFromResult(request, result);
    if (!decoded.ok) {
      this.log.warn({ reason: decoded.reason }, "analytics: could not decode a server response; treated as aborted");
      return this.track({ kind: "server_request_aborted", requestId: id, completedAtMs: now });
    }
    return this.track({ kind: "server_response", connectionId, response: decoded.response, completedAtMs: now });
  }

  /** A server request that ended without an answer (cancelled, turn changed, thread unloaded). */
  trackServerRequestAborted(id: RequestId): boolean {
    if (!this.active) return false;
    this.serverRequests.delete(`${typeof id}:${String(id)}`);
    return this.track({ kind: "server_request_aborted", requestId: id, completedAtMs: this.clock() });
  }

  /**
   * Every server notification, as it is sent (filtered by method first: most cost one Set
   * lookup). `snapshot` marks a goal notification that only reports the current goal (resume).
   */
  trackNotification(method: string, params: unknown, opts: { snapshot?: boolean } = {}): boolean {
    if (!this.active) return false;
    if (this.goals && (method === "thread/goal/updated" || method === "thread/goal/cleared")) {
      let any = false;
      for (const g of this.goals.observe(method, params, opts)) any = this.track(g) || any;
      return any;
    }
    if (!ANALYTICS_NOTIFICATIONS.has(method)) return false;
    const fact = factFromNotification(method, params, this.clock());
    return fact ? this.track(fact) : false;
  }

  trackSubagentThreadStarted(input: Without<SubagentThreadStartedFact, "kind" | "runtime">): boolean {
    return this.enabled && this.track({ kind: "subagent_thread_started", ...input, runtime: this.runtime });
  }

  trackTurnResolvedConfig(input: Without<TurnResolvedConfigFact, "kind">): boolean {
    return this.enabled && this.track({ ...input, kind: "turn_resolved_config" });
  }

  trackTurnTokenUsage(input: Without<TurnTokenUsageFact, "kind">): boolean {
    return this.enabled && this.track({ ...input, kind: "turn_token_usage" });
  }

  trackTurnProfile(input: Without<TurnProfileFact, "kind">): boolean {
    return this.enabled && this.track({ ...input, kind: "turn_profile" });
  }

  /** What the turn engine reports besides notifications: model requests, tool calls, a failure's cause. */
  trackTurnTelemetry(t: TurnTelemetry): boolean {
    if (!this.active) return false;
    const ids = { threadId: t.threadId, turnId: t.turnId };
    switch (t.type) {
      case "turnStarted":
        return this.track({ kind: "turn_trigger", ...ids, trigger: t.trigger });
      case "samplingStarted":
        return this.track({ kind: "sampling_started", ...ids, atMs: t.atMs, attempt: t.attempt });
      case "samplingEnded":
        return this.track({ kind: "sampling_ended", ...ids, atMs: t.atMs, ok: t.ok, responseId: t.responseId, callIds: [...t.callIds] });
      case "toolCallStarted":
        return this.track({ kind: "tool_call_started", ...ids, atMs: t.atMs, callId: t.callId, name: t.name });
      case "toolCallEnded":
        return this.track({ kind: "tool_call_ended", ...ids, atMs: t.atMs, callId: t.callId, name: t.name, success: t.success });
      case "turnFailed":
        return this.track({ kind: "turn_failed", ...ids, codexErrorInfo: t.codexErrorInfo, httpStatus: t.httpStatus });
      case "compacted":
        return this.track({ kind: "compaction", ...ids, trigger: t.trigger, tokensBefore: t.tokensBefore, startedAtMs: t.startedAtMs, completedAtMs: t.completedAtMs });
    }
  }

  /** One goal mutation (created, usage_accounted, status_changed, cleared), from the goals feature. */
  trackGoal(input: Without<GoalFact, "kind">): boolean {
    return this.enabled && this.track({ ...input, kind: "goal" });
  }
}
