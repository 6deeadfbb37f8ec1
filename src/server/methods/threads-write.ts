// Thread lifecycle methods: thread/start, thread/resume, thread/fork, thread/name/set,
// thread/archive, thread/unarchive, thread/unsubscribe, thread/metadata/update,
// thread/loaded/list. Shapes, notification order and error wording follow Codex 0.169.0
// (test/fixtures/corpus/transcripts and probes of the real binary):
//   start:   response, then `thread/started` (broadcast; no status change for a new thread)
//   resume:  cold: `thread/status/changed {idle}` (broadcast), response, token usage (caller);
//            loaded: response (live turn merged), token usage, then pending approvals replayed
//   fork:    response, token usage (caller), `thread/started` (broadcast)
//   name:    response, `thread/name/updated` (broadcast)
//   archive: a loaded thread is unloaded (`thread/status/changed {notLoaded}`), response,
//            `thread/archived` (broadcast)
//   unarchive: response, `thread/unarchived` (broadcast)
import path from "node:path";
import { z } from "zod";
import type { AppServer } from "../app.js";
import { WithFollowUp, type Connection } from "../connection.js";
import { RawJson } from "../jsonrpc.js";
import type { JsonObject } from "../../rollout/line.js";
import { decodeParams, parseThreadId } from "../params.js";
import { invalidRequest, RpcError } from "../errors.js";
import { loadThreadHistory } from "../../history/load.js";
import { interruptStaleTurns } from "../../history/reducer.js";
import type { Turn } from "../../protocol/v2.js";
import type { RolloutItem, StoredThread } from "../../store/types.js";
import { ThreadStoreError } from "../../store/types.js";
import { turnAborted } from "../../agent/rollout-items.js";
import type { LoadedThread } from "../loaded-thread.js";
import type { Overrides, ThreadRegistry } from "../thread-registry.js";
import { approvalPolicyOf, persistedTokenUsage, resumeResponse, startResponse, threadFromStored } from "../thread-view.js";
import { forkHistory, withForkBase } from "../fork.js";

const Json = z.unknown();
const Str = z.string().nullish();

const SettingsParams = {
  model: Str,
  modelProvider: Str,
  cwd: Str,
  approvalPolicy: Json.optional(),
  sandbox: z.enum(["read-only", "workspace-write", "danger-full-access"]).nullish(),
  config: z.record(z.string(), Json).nullish(),
  baseInstructions: Str,
  developerInstructions: Str,
};

const ThreadStartParams = z.object({ ...SettingsParams, ephemeral: z.boolean().nullish() }).passthrough();
const InitialTurnsPage = z.object({ limit: z.number().int().nonnegative().nullish(), sortDirection: z.enum(["asc", "desc"]).nullish(), itemsView: z.enum(["notLoaded", "summary", "full"]).nullish() }).passthrough();
const ThreadResumeParams = z
  .object({ threadId: z.string(), ...SettingsParams, path: Str, history: Json.optional(), excludeTurns: z.boolean().optional(), initialTurnsPage: InitialTurnsPage.nullish() })
  .passthrough();
const ThreadForkParams = z
  .object({ threadId: z.string(), ...SettingsParams, path: Str, lastTurnId: Str, beforeTurnId: Str, ephemeral: z.boolean().optional(), excludeTurns: z.boolean().optional() })
  .passthrough();
const ThreadIdParams = z.object({ threadId: z.string() }).passthrough();
const ThreadSetNameParams = z.object({ threadId: z.string(), name: z.string() }).passthrough();
const GitInfoPatch = z.object({ sha: z.string().nullish(), branch: z.string().nullish(), originUrl: z.string().nullish() }).passthrough();
const ThreadMetadataUpdateParams = z.object({ threadId: z.string(), gitInfo: GitInfoPatch.nullish() }).passthrough();
const LoadedListParams = z.object({ cursor: z.string().nullish(), limit: z.number().int().nonnegative().nullish() }).passthrough();

type Settings = z.infer<typeof ThreadStartParams>;

/** The overrides a start/resume/fork asks for (`config.model` and `config.model_reasoning_effort` count too). */
function overridesOf(p: Settings): Overrides {
  const cfg = p.config ?? {};
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const o: Overrides = {};
  const model = str(p.model) ?? str(cfg.model);
  if (model) o.model = model;
  const provider = str(p.modelProvider) ?? str(cfg.model_provider);
  if (provider) o.modelProvider = provider;
  if (p.cwd) o.cwd = path.resolve(p.cwd);
  const approval = approvalPolicyOf(p.approvalPolicy ?? cfg.approval_policy);
  if (approval) o.approvalPolicy = approval;
  const sandbox = p.sandbox ?? (cfg.sandbox_mode as Overrides["sandboxMode"] | undefined);
  if (sandbox === "read-only" || sandbox === "workspace-write" || sandbox === "danger-full-access") o.sandboxMode = sandbox;
  const effort = str(cfg.model_reasoning_effort);
  if (effort) o.reasoningEffort = effort;
  const instructions = [p.baseInstructions, p.developerInstructions].filter((s): s is string => typeof s === "string" && s !== "");
  if (instructions.length) o.baseInstructions = instructions.join("\n\n");
  return o;
}

/** Maps the store's "not found" family to Codex's message; other errors pass. */
function storeError(e: unknown, id: string, message = `no rollout found for thread id ${id}`): never {
  if (e instanceof ThreadStoreError && (e.kind === "not_found" || e.kind === "invalid_request")) throw invalidRequest(message);
  if (e instanceof ThreadStoreError && e.kind === "conflict") throw invalidRequest(e.message);
  throw e;
}

/**
 * An ephemeral thread has no rollout: Codex answers resume, fork and archive as for a missing one,
 * and refuses metadata changes with their own message.
 */
function refuseEphemeral(r: ThreadRegistry | null | undefined, id: string, what: "rollout" | "metadata" = "rollout"): void {
  if (!r?.get(id)?.ephemeral) return;
  throw invalidRequest(what === "rollout" ? `no rollout found for thread id ${id}` : `ephemeral thread does not support metadata updates: ${id}`);
}

/** Turns of a rollout (fork history included), as thread/read builds them; [] when the file does not exist yet. */
async function turnsOf(app: AppServer, file: string | null): Promise<Turn[]> {
  if (!file) return [];
  try {
    // a full read: bounded with thread/read's (see AppServer.heavyReads)
    return await app.heavyReads.run(async () => (await loadThreadHistory(file, (id) => app.index.resolvePath(id))).turns());
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}

/** The live view of a loaded thread: stored metadata, live status and settings, turns with the running one kept in progress. */
async function liveThreadView(app: AppServer, t: LoadedThread, withTurns: boolean) {
  await t.live.flush();
  const stored = await t.live.readThread();
  const thread = threadFromStored(stored, { status: t.threadStatus, live: t.settings, ephemeral: t.ephemeral });
  if (withTurns) {
    const active = t.activeTurnId;
    const turns = await turnsOf(app, stored.rolloutPath);
    thread.turns = turns.map((turn) => (turn.status === "inProgress" && turn.id !== active ? { ...turn, status: "interrupted" } : turn));
  }
  return { thread, stored };
}

/** resume's `initialTurnsPage`: the first page thread/turns/list answers, with the running turn kept in progress. */
async function initialTurnsPage(app: AppServer, conn: Connection, t: LoadedThread, page: z.infer<typeof InitialTurnsPage>): Promise<JsonObject | null> {
  const list = app.methods.get("thread/turns/list");
  if (!list) return null;
  const raw = await list({ threadId: t.id, limit: page.limit ?? undefined, sortDirection: page.sortDirection ?? undefined, itemsView: page.itemsView ?? undefined }, conn);
  const out = (raw instanceof RawJson ? JSON.parse(raw.text) : raw) as { data?: Turn[]; nextCursor?: string | null; backwardsCursor?: string | null };
  const active = t.activeTurnId;
  const data = (out.data ?? []).map((turn) => (turn.id === active && turn.status === "interrupted" ? { ...turn, status: "inProgress" as const } : turn));
  return { data: data as unknown as JsonObject[], nextCursor: out.nextCursor ?? null, backwardsCursor: out.backwardsCursor ?? null };
}

export function registerThreadWriteMethods(app: AppServer): void {
  const reg = (): ThreadRegistry => app.threads;

  app.register("thread/start", async (raw, conn) => {
    const p = decodeParams(ThreadStartParams, raw);
    const t = await reg().create(overridesOf(p), { originator: conn.clientName, ephemeral: p.ephemeral === true });
    reg().subscribe(t, conn);
    const { thread } = await liveThreadView(app, t, false);
    return new WithFollowUp(startResponse(thread, t.settings), () => {
      app.broadcast("thread/started", { thread });
    });
  });

  app.registerThreadScoped("thread/resume", async (raw, conn) => {
    const p = decodeParams(ThreadResumeParams, raw);
    const id = parseThreadId(p.threadId, "session");
    const r = reg();
    const closing = () => invalidRequest(`thread ${id} is closing; retry thread/resume after the thread is closed`);
    if (r.isClosing(id)) throw closing();
    refuseEphemeral(r, id);
    let t = r.get(id);
    let cold = false;
    if (!t) {
      try {
        const l = await r.load(id, overridesOf(p));
        t = l.thread;
        cold = l.loaded;
      } catch (e) {
        if (e instanceof RpcError) throw e;
        storeError(e, id);
      }
    }
    if (t.closing || r.isClosing(id)) throw closing();
    const lt = t;
    // the snapshot, the answer and what follows it are not interleaved with the thread's events:
    // those queue behind them and reach the new subscriber after the answer
    const release = lt.hold();
    try {
      r.subscribe(lt, conn);
      if (cold) app.broadcast("thread/status/changed", { threadId: id, status: lt.threadStatus });
      const { thread } = await liveThreadView(app, lt, !p.excludeTurns);
      const usage = p.excludeTurns ? null : persistedTokenUsage(id, await lt.live.loadHistory(), lt.session.settings.contextWindow);
      const response = resumeResponse(thread, lt.settings);
      if (p.initialTurnsPage) response.initialTurnsPage = await initialTurnsPage(app, conn, lt, p.initialTurnsPage);
      return new WithFollowUp(response, () => {
        try {
          if (usage) {
            app.analytics.trackNotification("thread/tokenUsage/updated", usage);
            conn.notify("thread/tokenUsage/updated", usage);
          }
          for (const ext of r.extensions) if (ext.afterResume) r.guard(id, "afterResume", () => ext.afterResume!(lt, conn));
          lt.replayPendingRequests(conn);
        } finally {
          release();
          // the answer and what follows it are out: a goal may continue now
          for (const ext of r.extensions) if (ext.resumeReady) r.guard(id, "resumeReady", () => ext.resumeReady!(lt));
        }
      });
    } catch (e) {
      release();
      for (const ext of r.extensions) if (ext.resumeReady) r.guard(id, "resumeReady", () => ext.resumeReady!(lt));
      throw e;
    }
  });

  app.registerThreadScoped("thread/fork", async (raw, conn) => {
    const p = decodeParams(ThreadForkParams, raw);
    const id = parseThreadId(p.threadId, "session");
    if (p.lastTurnId && p.beforeTurnId) throw invalidRequest("lastTurnId and beforeTurnId cannot both be set");
    const r = reg();
    refuseEphemeral(r, id);
    const source = r.get(id);
    let history: RolloutItem[];
    let stored: StoredThread;
    try {
      if (source) await source.live.flush();
      history = await withForkBase(source ? await source.live.loadHistory() : await r.store.loadHistory(id), (x) => app.index.resolvePath(x));
      stored = source ? await source.live.readThread() : await r.store.readThread(id);
    } catch (e) {
      storeError(e, id);
    }
    const activeTurnId = source?.activeTurnId ?? null;
    const sourceTurns = await turnsOf(app, stored.rolloutPath);
    const copy = forkHistory(history, sourceTurns, {
      lastTurnId: p.lastTurnId ?? null,
      beforeTurnId: p.beforeTurnId ?? null,
      activeTurnId,
      interruptMarker: (turnId, startedAt) => {
        const now = Date.now();
        return turnAborted({ turnId, startedAt, completedAt: Math.floor(now / 1000), durationMs: Math.max(0, now - startedAt * 1000) });
      },
    });
    const o = overridesOf(p);
    if (!o.cwd) o.cwd = stored.cwd;
    const t = await r.create(o, { originator: conn.clientName, forkedFromId: id, history: copy, ephemeral: p.ephemeral === true });
    if (stored.name && !t.ephemeral) await r.manager.setName(t.id, stored.name);
    r.subscribe(t, conn);
    const { thread } = await liveThreadView(app, t, !p.excludeTurns);
    const usage = p.excludeTurns ? null : persistedTokenUsage(t.id, copy, t.session.settings.contextWindow);
    return new WithFollowUp(startResponse(thread, t.settings), () => {
      if (usage) {
        app.analytics.trackNotification("thread/tokenUsage/updated", usage);
        conn.notify("thread/tokenUsage/updated", usage);
      }
      app.broadcast("thread/started", { thread: { ...thread, turns: [] } });
    });
  });

  app.registerThreadScoped("thread/name/set", async (raw) => {
    const p = decodeParams(ThreadSetNameParams, raw);
    const id = parseThreadId(p.threadId);
    if (p.name.trim() === "") throw invalidRequest("thread name must not be empty");
    refuseEphemeral(app.threadsIfStarted(), id, "metadata");
    try {
      await reg().manager.setName(id, p.name);
    } catch (e) {
      storeError(e, id);
    }
    return new WithFollowUp({}, () => app.broadcast("thread/name/updated", { threadId: id, threadName: p.name }));
  });

  app.registerThreadScoped("thread/archive", async (raw) => {
    const p = decodeParams(ThreadIdParams, raw);
    const id = parseThreadId(p.threadId);
    const r = reg();
    refuseEphemeral(r, id);
    const t = r.get(id);
    if (t) await r.unload(t, "archived");
    try {
      await r.manager.archive(id);
    } catch (e) {
      storeError(e, id);
    }
    return new WithFollowUp({}, () => app.broadcast("thread/archived", { threadId: id }));
  });

  app.registerThreadScoped("thread/unarchive", async (raw) => {
    const p = decodeParams(ThreadIdParams, raw);
    const id = parseThreadId(p.threadId);
    let stored: StoredThread;
    try {
      stored = await reg().manager.unarchive(id);
    } catch (e) {
      storeError(e, id, `no archived rollout found for thread id ${id}`);
    }
    const thread = threadFromStored(stored, { status: { type: "notLoaded" } });
    return new WithFollowUp({ thread }, () => app.broadcast("thread/unarchived", { threadId: id }));
  });

  app.registerThreadScoped("thread/unsubscribe", async (raw, conn) => {
    const p = decodeParams(ThreadIdParams, raw);
    const id = parseThreadId(p.threadId);
    const r = app.threadsIfStarted();
    const t = r?.get(id);
    if (!r || !t) return { status: "notLoaded" };
    return { status: r.unsubscribe(t, conn) ? "unsubscribed" : "notSubscribed" };
  });

  app.registerThreadScoped("thread/metadata/update", async (raw) => {
    const p = decodeParams(ThreadMetadataUpdateParams, raw);
    const id = parseThreadId(p.threadId);
    const r = reg();
    refuseEphemeral(r, id, "metadata");
    const patch = p.gitInfo ? { gitInfo: p.gitInfo as { sha?: string | null; branch?: string | null; originUrl?: string | null } } : {};
    let stored: StoredThread;
    try {
      stored = await r.manager.updateMetadata(id, patch);
    } catch (e) {
      storeError(e, id);
    }
    const t = r.get(id);
    return { thread: threadFromStored(stored, t ? { status: t.threadStatus, live: t.settings } : { status: { type: "notLoaded" } }) };
  });

  app.register("thread/loaded/list", async (raw) => {
    const p = decodeParams(LoadedListParams, raw);
    const ids = app.threadsIfStarted()?.ids() ?? [];
    let start = 0;
    if (p.cursor) {
      start = ids.findIndex((id) => id > p.cursor!);
      if (start < 0) start = ids.length;
    }
    const limit = p.limit ? p.limit : ids.length;
    const data = ids.slice(start, start + limit);
    const nextCursor = start + limit < ids.length && data.length > 0 ? data[data.length - 1] : null;
    return { data, nextCursor };
  });
}
