// The app-server: shared state behind every connection (home, config, index, methods), the
// loaded threads (started lazily with the first write method, so a read-only server opens no
// writer), server->client requests, broadcasts, and the features built on them: goals
// (goals-feature.ts; `[goals] enabled = false` turns them off) and analytics (src/analytics;
// `[analytics] enabled = false` or SPOOL_ANALYTICS=0 turns it off).
import { goalsEnabled, loadConfigOrDefaults, type SpoolConfig } from "../config/config.js";
import { createAnalytics, type AnalyticsClient } from "../analytics/index.js";
import { GoalStore } from "../goals/store.js";
import { HomeIndex } from "../store/local/home-index.js";
import { LocalThreadStore } from "../store/local/local-store.js";
import { log as rootLog, type Logger } from "../util/log.js";
import type { Connection } from "./connection.js";
import { encodeNotification, type RequestId } from "./jsonrpc.js";
import { registerReadMethods } from "./methods/threads-read.js";
import { registerThreadWriteMethods } from "./methods/threads-write.js";
import { registerTurnMethods } from "./methods/turns.js";
import { registerCompactionMethods } from "./methods/compaction.js";
import { registerLiveOverlays } from "./methods/live-overlay.js";
import { registerGoalMethods } from "./methods/goals.js";
import { registerSkillMethods } from "./methods/skills.js";
import { registerInjectItemsMethod } from "./methods/inject-items.js";
import { registerRevertMethod } from "./methods/revert.js";
import { revertTarget } from "./revert-target.js";
import { WithFollowUp } from "./follow-up.js";
import { registerCommandExecMethods } from "./methods/command-exec.js";
import { policyFromConfig } from "../sandbox/policy.js";
import { SkillsService } from "../skills/index.js";
import { contextOptionsFromConfig, WorkspaceContext } from "../context/index.js";
import { GoalsFeature } from "./goals-feature.js";
import { registerClientBootstrap } from "./client-bootstrap.js";
import { ServerRequests } from "./server-requests.js";
import { DEFAULT_IDLE_UNLOAD_MS, ThreadRegistry, type ThreadExtension } from "./thread-registry.js";
import { Semaphore } from "../util/semaphore.js";
import { KeyedQueue } from "../util/keyed-queue.js";

export type MethodHandler = (params: unknown, conn: Connection) => Promise<unknown> | unknown;

export interface AppServerOptions {
  home: string;
  log?: Logger;
  /** Keep the index in memory only (tests, read-only homes). */
  memoryIndex?: boolean;
  /**
   * Unload a loaded thread this long after it has no subscriber, no running turn and no pending
   * request. Default: config.toml `thread_unload_delay_secs`, else 30 minutes.
   */
  idleUnloadMs?: number;
  /** Environment of the commands turns run (default: this process's). */
  commandEnv?: NodeJS.ProcessEnv;
  /** Environment the analytics switch is read from (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

const HEAVY_READ_SLOTS = 2;

export class AppServer {
  readonly home: string;
  readonly config: SpoolConfig;
  readonly index: HomeIndex;
  readonly log: Logger;
  readonly methods = new Map<string, MethodHandler>();
  readonly connections = new Set<Connection>();
  private readonly closers: Array<() => void | Promise<void>> = [];
  private readonly greeters: Array<(conn: Connection) => void> = [];
  readonly requests = new ServerRequests();
  /** Features built on loaded threads (goals, analytics): more tools, the resume snapshot. */
  readonly threadExtensions: ThreadExtension[] = [];
  onClientResponse?: (conn: Connection, id: RequestId, result: unknown, error: unknown) => void;
  /** Analytics (a disabled client when switched off: every call is a no-op). */
  readonly analytics: AnalyticsClient;
  /** Goals, unless switched off. */
  readonly goals: GoalsFeature | null;
  /** The home's and workspaces' skills (skills/* methods and the model's skill list). */
  readonly skills: SkillsService;
  /** What every thread's model is told besides its conversation. */
  readonly context: WorkspaceContext;
  /**
   * Full thread reads (thread/read includeTurns, thread/resume's turns) hold a whole rollout's
   * turns and their answer in memory: at most two at once per server, the rest queue.
   */
  readonly heavyReads = new Semaphore(HEAVY_READ_SLOTS);
  private readonly opts: AppServerOptions;
  private registry: ThreadRegistry | null = null;
  private readonly threadQueue = new KeyedQueue();
  private store: LocalThreadStore | null = null;
  private disabledGoals: GoalStore | null = null;

  constructor(opts: AppServerOptions) {
    this.opts = opts;
    this.home = opts.home;
    this.log = opts.log ?? rootLog;
    // a bad config.toml never stops the server: it runs on defaults and says why (configWarning)
    this.config = loadConfigOrDefaults(opts.home, (m) => this.log.warn(m));
    this.index = new HomeIndex({
      home: opts.home,
      defaultProvider: this.config.modelProvider,
      memory: opts.memoryIndex,
      warn: (m) => this.log.warn(m),
    });
    registerReadMethods(this);
    registerThreadWriteMethods(this);
    registerTurnMethods(this);
    registerCompactionMethods({ registerThreadScoped: (m, h) => this.registerThreadScoped(m, h), loadedThread: (id) => this.threadsIfStarted()?.get(id) });
    registerLiveOverlays(this);
    this.skills = new SkillsService({ codexHome: opts.home });
    this.context = new WorkspaceContext({ codexHome: opts.home, ...contextOptionsFromConfig(this.config, opts.home), skills: this.skills, env: opts.commandEnv });
    registerSkillMethods(this, this.skills);
    registerInjectItemsMethod(this, { historyOf: (id) => this.threads.get(id)?.session });
    registerRevertMethod(this, {
      target: (id) => {
        const t = this.threads.get(id);
        return t && revertTarget(t, (other) => this.index.resolvePath(other));
      },
      followUp: (result, after) => new WithFollowUp(result, after),
      broadcast: (method, params) => this.broadcast(method, params),
    });
    registerCommandExecMethods({ register: (m, h) => this.register(m, h), defaultPolicy: () => policyFromConfig(this.config.sandbox_mode, this.config.sandbox_workspace_write), env: () => opts.commandEnv ?? process.env });
    this.analytics = createAnalytics({ home: opts.home, config: this.config, log: this.log, env: opts.env }).client;
    registerClientBootstrap(this, opts.env);
    if (goalsEnabled(this.config)) this.goals = new GoalsFeature(this);
    else {
      // the methods answer Codex's "goals feature is disabled"
      this.goals = null;
      this.disabledGoals = GoalStore.memory();
      registerGoalMethods(this, { store: this.disabledGoals, broadcast: () => {}, enabled: () => false });
    }
    this.onClientResponse = (conn, id, result, error) => {
      this.analytics.trackServerResponse(conn.id, id, result, error);
      const req = this.requests.take(id);
      if (!req) {
        this.log.warn({ conn: conn.id, id }, "answer to an unknown or already answered server request");
        return;
      }
      req.settle(error !== undefined ? { error } : { result });
    };
  }

  /**
   * Starts serving at once: a trusted index answers while the home is reconciled in the
   * background; a cold one is built in the background and lookups wait for it (home-index.ts).
   */
  async start(): Promise<void> {
    const t0 = performance.now();
    void this.index.start().done.then((stats) => this.log.info({ ...stats, ms: Math.round(performance.now() - t0) }, "index reconciled"), () => {});
  }

  /** Why this server may not write a thread it has not loaded: another live process is its writer (null: nobody). */
  async foreignWriter(threadId: string): Promise<string | null> {
    return (await this.threads.store.foreignWriter(threadId))?.message ?? null;
  }

  register(method: string, handler: MethodHandler): void {
    this.methods.set(method, handler);
  }

  /**
   * Registers a method scoped to the thread named by its `threadId` param: requests for the same
   * thread run one after another in arrival order (Codex's per-thread request serialization).
   * A handler that must wait for something (turn/interrupt) returns `{ wait }` from the
   * serialized part, so the next request does not wait with it.
   */
  registerThreadScoped(method: string, handler: MethodHandler): void {
    this.register(method, (params, conn) => {
      const id = params && typeof params === "object" ? (params as { threadId?: unknown }).threadId : undefined;
      if (typeof id !== "string") return handler(params, conn);
      return this.serializeThread(id.toLowerCase(), () => Promise.resolve(handler(params, conn)));
    });
  }

  serializeThread<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.threadQueue.run(key, fn);
  }

  /** The loaded threads (the writing half of the server), created on first use. */
  get threads(): ThreadRegistry {
    if (!this.registry) {
      this.store = new LocalThreadStore({ home: this.home, defaultProvider: this.config.modelProvider, index: this.index, warn: (m) => this.log.warn(m) });
      this.registry = new ThreadRegistry({
        store: this.store,
        config: this.config,
        requests: this.requests,
        log: this.log,
        broadcast: (method, params) => this.broadcast(method, params),
        idleUnloadMs: this.opts.idleUnloadMs ?? configuredUnloadMs(this.config),
        sessionEnv: this.opts.commandEnv,
        extensions: this.threadExtensions,
        resolvePath: (id) => this.index.resolvePath(id),
        tracker: this.analytics,
        context: this.context,
      });
    }
    return this.registry;
  }

  /** The registry if a write method has created it (reads never do). */
  threadsIfStarted(): ThreadRegistry | null {
    return this.registry;
  }

  /** A notification to every initialized connection (encoded once; tracked once). */
  broadcast(method: string, params: unknown): void {
    this.analytics.trackNotification(method, params);
    const line = encodeNotification(method, params);
    for (const c of this.connections) c.notifyEncoded(method, line);
  }

  attach(conn: Connection): void {
    this.connections.add(conn);
    conn.onClose(() => {
      this.connections.delete(conn);
      this.registry?.connectionClosed(conn);
    });
  }

  detach(conn: Connection): void {
    conn.close();
    this.connections.delete(conn);
  }

  /** Runs `fn` for each connection right after its `initialize` answer is written. */
  onConnectionInitialized(fn: (conn: Connection) => void): void {
    this.greeters.push(fn);
  }

  /** What follows a connection's `initialize` answer (see onConnectionInitialized). */
  greet(conn: Connection): void {
    for (const fn of this.greeters) fn(conn);
  }

  /** Runs `fn` when the server closes, before the index and stores it may use are closed. */
  onClose(fn: () => void | Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const c of [...this.connections]) c.close();
    for (const fn of this.closers.splice(0)) await fn();
    if (this.registry) await this.registry.shutdown();
    if (this.store) await this.store.close();
    await this.goals?.close();
    this.disabledGoals?.close();
    this.index.close();
    await this.analytics.close();
  }
}

function configuredUnloadMs(config: SpoolConfig): number {
  const secs = (config as Record<string, unknown>).thread_unload_delay_secs;
  return typeof secs === "number" && secs >= 0 ? secs * 1000 : DEFAULT_IDLE_UNLOAD_MS;
}
