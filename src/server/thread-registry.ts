// The loaded threads of an app-server: one LoadedThread (writer + turn engine + listener) per
// loaded thread, created by thread/start and thread/fork, loaded by thread/resume, and unloaded
// after an idle delay (default 30 min, `SPOOL_IDLE_UNLOAD_MS` / config `thread_unload_delay_secs`)
// once it has no subscriber, no running turn and no pending request, then announced with
// `thread/status/changed {notLoaded}` and `thread/closed`. Writes go through the ThreadManager
// over the home's LocalThreadStore (which shares the server's index). Ephemeral threads (Codex
// clients start them for side work such as title generation) run through a second manager over
// an in-memory store: nothing of them reaches the home (no rollout, index row or name line), so
// they are never listed, and they are gone once unloaded.
import { AgentSession, resolveAgentConfig, type TurnContextSource, type AgentConfig, type FunctionTool, type TurnNotification } from "../agent/index.js";
import { uuidv7 } from "../agent/ids.js";
import { HomeExecPolicy } from "../agent/execpolicy.js";
import { ThreadManager } from "../live/thread-manager.js";
import { LiveThread, MetadataUpdateError } from "../live/live-thread.js";
import type { LocalThreadStore } from "../store/local/local-store.js";
import { InMemoryThreadStore } from "../store/memory/memory-store.js";
import type { CreateThreadParams, RolloutItem } from "../store/types.js";
import { CODEX_PROTOCOL_VERSION } from "../version.js";
import type { Connection } from "./connection.js";
import { LoadedThread, type ThreadHost, type ThreadTracker } from "./loaded-thread.js";
import { withForkBase } from "./fork.js";
import { baseInstructionsOf, lastTurnContext, type EffectiveSettings } from "./thread-view.js";
import type { ServerRequests } from "./server-requests.js";
import { ConfigError, type SpoolConfig } from "../config/config.js";
import { invalidRequest } from "./errors.js";
import type { Logger } from "../util/log.js";
import type { ApprovalPolicy, SandboxMode } from "../agent/config.js";

export const DEFAULT_IDLE_UNLOAD_MS = 30 * 60 * 1000;

/** The ThreadManager's own idle unload is kept off with this permanent subscriber: the server decides. */
const SERVER_SUBSCRIBER = "spool-app-server";

/**
 * Extension points for features built on loaded threads (goals). A hook that throws is logged and
 * does not stop the thread.
 */
export interface ThreadExtension {
  /** More tools for the thread's turn engine. */
  tools?(threadId: string, opts: { ephemeral: boolean }): FunctionTool[];
  /** A thread was loaded: started or forked, or (`resumed`) loaded by a thread/resume, whose resumeReady follows. */
  threadLoaded?(thread: LoadedThread, opts: { resumed: boolean }): void;
  /** The thread was unloaded (idle, archived, shutdown). */
  threadUnloaded?(threadId: string): void;
  /** Every turn notification of the thread, before it is forwarded (see LoadedThread). */
  observe?(thread: LoadedThread, n: TurnNotification): void;
  /** Items to record before a model request of the thread's turn (no model round of their own). */
  beforeModelRequest?(thread: LoadedThread, turnId: string): RolloutItem[];
  /** After a thread/resume answer and its token usage, before pending requests are replayed (Codex's goal snapshot). */
  afterResume?(thread: LoadedThread, conn: Connection): void;
  /** After a thread/resume answer and everything that follows it (replays included) are out. */
  resumeReady?(thread: LoadedThread): void;
}

export interface Overrides {
  model?: string;
  modelProvider?: string;
  cwd?: string;
  approvalPolicy?: ApprovalPolicy;
  sandboxMode?: SandboxMode;
  reasoningEffort?: string | null;
  baseInstructions?: string | null;
}

export interface RegistryOptions {
  store: LocalThreadStore;
  config: SpoolConfig;
  requests: ServerRequests;
  log: Logger;
  broadcast(method: string, params: unknown): void;
  idleUnloadMs?: number;
  /** Turn engine options for tests (exec timeout, environment…). */
  sessionEnv?: NodeJS.ProcessEnv;
  /** A thread's rollout path (a paginated fork's history starts in its parent's file). */
  resolvePath?: (threadId: string) => Promise<string | null>;
  /** Shared, so extensions registered later are seen too. */
  extensions?: ThreadExtension[];
  /** Analytics. */
  tracker?: ThreadTracker;
  /** Builds each thread's model context (instructions, AGENTS.md, skills, permissions, environment). */
  context?: TurnContextSource;
}

export class ThreadRegistry implements ThreadHost {
  readonly manager: ThreadManager;
  /** Ephemeral threads' writers, over an in-memory store (made with the first one). */
  private ephemeralManager: ThreadManager | null = null;
  readonly requests: ServerRequests;
  readonly idleUnloadMs: number;
  readonly extensions: ThreadExtension[];
  readonly tracker: ThreadTracker | undefined;
  private readonly loaded = new Map<string, LoadedThread>();
  private readonly loading = new Map<string, Promise<LoadedThread>>();
  private readonly closingIds = new Set<string>();
  private agentConfig: AgentConfig | null = null;
  /** Codex's execpolicy rules of the home (`<home>/rules/*.rules`), shared by every thread. */
  private readonly execPolicy: HomeExecPolicy;
  private stopped = false;

  constructor(private readonly opts: RegistryOptions) {
    this.requests = opts.requests;
    this.idleUnloadMs = opts.idleUnloadMs ?? DEFAULT_IDLE_UNLOAD_MS;
    this.manager = new ThreadManager(opts.store);
    this.extensions = opts.extensions ?? [];
    this.tracker = opts.tracker;
    this.execPolicy = new HomeExecPolicy(opts.store.home);
  }

  get store(): LocalThreadStore {
    return this.opts.store;
  }

  /** The turn engine's config (model, provider, policies), resolved once; a bad provider is an error here. */
  agent(): AgentConfig {
    try {
      return (this.agentConfig ??= resolveAgentConfig(this.opts.config));
    } catch (e) {
      if (e instanceof ConfigError) throw invalidRequest(`invalid configuration: ${e.message}`);
      throw e;
    }
  }

  // ---- ThreadHost ----

  broadcast(method: string, params: unknown): void {
    this.opts.broadcast(method, params);
  }

  warn(obj: object, msg: string): void {
    this.opts.log.warn(obj, msg);
  }

  maybeIdle(t: LoadedThread): void {
    this.scheduleIdle(t);
  }

  observe(t: LoadedThread, n: TurnNotification): void {
    for (const e of this.extensions) if (e.observe) this.guard(t.id, "observe", () => e.observe!(t, n));
  }

  beforeModelRequest(t: LoadedThread, turnId: string): RolloutItem[] {
    const out: RolloutItem[] = [];
    for (const e of this.extensions) if (e.beforeModelRequest) this.guard(t.id, "beforeModelRequest", () => out.push(...e.beforeModelRequest!(t, turnId)));
    return out;
  }

  /** Runs an extension hook; its failure is logged, not the thread's. */
  guard(threadId: string, hook: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.warn({ err: e, threadId, hook }, "a thread extension failed");
    }
  }

  // ---- lookup ----

  get(threadId: string): LoadedThread | undefined {
    return this.loaded.get(threadId);
  }

  isClosing(threadId: string): boolean {
    return this.closingIds.has(threadId);
  }

  /** Loaded thread ids, ascending (Codex lists them in id order). */
  ids(): string[] {
    return [...this.loaded.keys()].sort();
  }

  all(): LoadedThread[] {
    return [...this.loaded.values()];
  }

  // ---- loading ----

  /** Effective settings: request overrides, else what the thread last ran with, else config.toml. */
  private settingsFor(o: Overrides, history: readonly RolloutItem[], storedCwd: string | null): EffectiveSettings {
    const a = this.agent();
    const last = lastTurnContext(history);
    return {
      model: o.model ?? last.model ?? a.model,
      modelProvider: o.modelProvider ?? a.provider.id,
      cwd: o.cwd ?? storedCwd ?? last.cwd ?? process.cwd(),
      approvalPolicy: o.approvalPolicy ?? a.approvalPolicy,
      sandboxMode: o.sandboxMode ?? a.sandboxMode,
      workspaceWrite: a.workspaceWrite,
      reasoningEffort: o.reasoningEffort !== undefined ? o.reasoningEffort : o.model ? a.reasoningEffort : (last.effort ?? a.reasoningEffort),
    };
  }

  private managerFor(ephemeral: boolean): ThreadManager {
    if (!ephemeral) return this.manager;
    return (this.ephemeralManager ??= new ThreadManager(new InMemoryThreadStore()));
  }

  private wire(live: LiveThread, settings: EffectiveSettings, history: readonly RolloutItem[], baseInstructions: string | null, resumed: boolean, ephemeral = false): LoadedThread {
    const t = new LoadedThread(live, this, settings, ephemeral);
    const extraTools = this.extensions.flatMap((e) => e.tools?.(live.threadId, { ephemeral }) ?? []);
    const session = AgentSession.fromConfig(this.agent(), {
      threadId: live.threadId,
      cwd: settings.cwd,
      model: settings.model,
      approvalPolicy: settings.approvalPolicy,
      sandboxMode: settings.sandboxMode,
      reasoningEffort: settings.reasoningEffort,
      baseInstructions,
      context: this.opts.context,
      history,
      extraTools: extraTools.length ? extraTools : undefined,
      env: this.opts.sessionEnv,
      execPolicy: this.execPolicy,
      onEvent: t.onEngineEvent,
      onTelemetry: t.onEngineTelemetry,
      requestApproval: t.requestApproval,
      requestUserInput: t.requestUserInput,
      beforeModelRequest: t.beforeModelRequest,
      onRolloutItems: async (items) => {
        try {
          await live.appendItems(items);
        } catch (e) {
          // the history is durable; the metadata patch is retried with the next append
          if (e instanceof MetadataUpdateError) this.warn({ err: e, threadId: live.threadId }, "metadata update failed");
          else throw e;
        }
      },
    });
    t.attach(session);
    this.loaded.set(live.threadId, t);
    this.managerFor(ephemeral).subscribe(live.threadId, SERVER_SUBSCRIBER);
    for (const e of this.extensions) if (e.threadLoaded) this.guard(t.id, "threadLoaded", () => e.threadLoaded!(t, { resumed }));
    return t;
  }

  /** thread/start: a new thread (legacy-mode rollout, written at its first append; in memory only when ephemeral). */
  async create(o: Overrides, origin: { originator: string; forkedFromId?: string | null; history?: RolloutItem[]; ephemeral?: boolean }): Promise<LoadedThread> {
    const ephemeral = origin.ephemeral === true;
    const manager = this.managerFor(ephemeral);
    const settings = this.settingsFor(o, origin.history ?? [], null);
    const params: CreateThreadParams = {
      threadId: uuidv7(),
      forkedFromId: origin.forkedFromId ?? null,
      source: "vscode",
      originator: origin.originator,
      cliVersion: CODEX_PROTOCOL_VERSION,
      cwd: settings.cwd,
      modelProvider: settings.modelProvider,
      baseInstructions: o.baseInstructions ?? null,
      historyMode: "legacy",
    };
    const live = await manager.create(params);
    try {
      if (origin.history?.length) await live.appendItems(origin.history);
    } catch (e) {
      await manager.unload(params.threadId).catch(() => {});
      throw e;
    }
    return this.wire(live, settings, origin.history ?? [], o.baseInstructions ?? null, false, ephemeral);
  }

  /**
   * thread/resume of a thread that is not loaded: opens its writer and rebuilds its engine from
   * the history. `loaded` tells whether this call did the loading (concurrent resumes share it).
   */
  async load(threadId: string, o: Overrides): Promise<{ thread: LoadedThread; loaded: boolean }> {
    const existing = this.loaded.get(threadId);
    if (existing) return { thread: existing, loaded: false };
    const pending = this.loading.get(threadId);
    if (pending) return { thread: await pending, loaded: false };
    const p = (async () => {
      const live = await this.manager.resume(threadId);
      try {
        const own = await live.loadHistory();
        const history = this.opts.resolvePath ? await withForkBase(own, this.opts.resolvePath) : own;
        const stored = await live.readThread();
        const settings = this.settingsFor(o, history, o.cwd ?? stored.cwd);
        return this.wire(live, settings, history, o.baseInstructions ?? baseInstructionsOf(history), true);
      } catch (e) {
        await this.manager.unload(threadId).catch(() => {});
        throw e;
      }
    })().finally(() => this.loading.delete(threadId));
    this.loading.set(threadId, p);
    return { thread: await p, loaded: true };
  }

  // ---- subscriptions ----

  subscribe(t: LoadedThread, conn: Connection): void {
    // a connection that closed while its request ran is not subscribed (its close already unsubscribed it)
    if (conn.isClosed) return;
    t.subscribers.add(conn);
    this.clearIdle(t);
  }

  /** False when the connection was not subscribed. */
  unsubscribe(t: LoadedThread, conn: Connection): boolean {
    if (!t.subscribers.delete(conn)) return false;
    this.scheduleIdle(t);
    return true;
  }

  connectionClosed(conn: Connection): void {
    for (const t of this.loaded.values()) this.unsubscribe(t, conn);
  }

  // ---- idle unload ----

  private clearIdle(t: LoadedThread): void {
    if (t.idleTimer) clearTimeout(t.idleTimer);
    t.idleTimer = null;
  }

  private scheduleIdle(t: LoadedThread): void {
    this.clearIdle(t);
    if (this.stopped || !t.isIdle || this.loaded.get(t.id) !== t) return;
    t.idleTimer = setTimeout(() => {
      t.idleTimer = null;
      if (!t.isIdle || this.loaded.get(t.id) !== t) return;
      this.unload(t, "idle").catch((e) => this.warn({ err: e, threadId: t.id }, "idle unload failed"));
    }, this.idleUnloadMs);
    t.idleTimer.unref?.();
  }

  /**
   * Unloads a thread: pending requests dropped, running turn stopped, writer shut down, then
   * `thread/status/changed {notLoaded}` and (unless archived) `thread/closed`.
   */
  async unload(t: LoadedThread, reason: "idle" | "archived" | "shutdown"): Promise<void> {
    if (this.loaded.get(t.id) !== t || t.closing) return;
    t.closing = true;
    this.closingIds.add(t.id);
    this.clearIdle(t);
    try {
      t.dropPendingRequests();
      await t.stopTurn();
      try {
        const manager = this.managerFor(t.ephemeral);
        await manager.unload(t.id, reason === "archived" ? "archived" : reason === "idle" ? "idle" : "shutdown");
        if (t.ephemeral) await manager.store.deleteThread(t.id);
      } catch (e) {
        if (reason === "idle") {
          // Codex keeps a thread whose shutdown failed loaded
          t.closing = false;
          this.warn({ err: e, threadId: t.id }, "unloading failed; the thread stays loaded");
          return;
        }
        throw e;
      }
      this.loaded.delete(t.id);
      t.subscribers.clear();
      for (const e of this.extensions) if (e.threadUnloaded) this.guard(t.id, "threadUnloaded", () => e.threadUnloaded!(t.id));
      if (reason !== "shutdown") {
        this.broadcast("thread/status/changed", { threadId: t.id, status: { type: "notLoaded" } });
        if (reason === "idle") this.broadcast("thread/closed", { threadId: t.id });
      }
    } finally {
      this.closingIds.delete(t.id);
    }
  }

  /** Server shutdown: stops running turns and closes every writer. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.loading.values()]);
    const results = await Promise.allSettled(this.all().map((t) => this.unload(t, "shutdown")));
    for (const r of results) if (r.status === "rejected") this.warn({ err: r.reason }, "closing a thread failed");
  }
}
