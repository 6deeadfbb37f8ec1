// The read methods (methods/threads-read.ts) answer from the files and the index, where every
// thread is `notLoaded` and an unfinished turn was interrupted. For loaded threads Codex answers
// from its live status table instead: this wraps thread/read, thread/list, thread/turns/list and
// thread/items/list so a loaded thread shows its live status, a running turn stays `inProgress`,
// what the thread has written is read (its pending appends flushed first), and a just-started
// thread (no rollout on disk yet) can be read without its turns; its turns and items are refused
// with Codex's errors until its first user message.
import type { AppServer, MethodHandler } from "../app.js";
import { RawJson } from "../jsonrpc.js";
import type { Thread } from "../../protocol/v2.js";
import type { LoadedThread } from "../loaded-thread.js";
import { threadFromStored, withLiveFields } from "../thread-view.js";
import { invalidRequest, METHOD_NOT_FOUND, RpcError } from "../errors.js";

/** Codex's answers for a loaded thread that has no user message yet (nothing of it is in the store's index). */
const ephemeralRefusal = {
  turns: () => invalidRequest("ephemeral threads do not support thread/turns/list"),
  readTurns: () => invalidRequest("ephemeral threads do not support includeTurns"),
};

const notMaterialized = {
  turns: (id: string) => invalidRequest(`thread ${id} is not materialized yet; thread/turns/list is unavailable before first user message`),
  items: () => new RpcError(METHOD_NOT_FOUND, "thread/items/list is not supported yet"),
  readTurns: () => new RpcError(METHOD_NOT_FOUND, "list_turns is not supported yet"),
};

/** Whether the read failed because the started thread has nothing written yet (the index does not know it; its store does). */
async function unwritten(e: unknown, t: LoadedThread): Promise<boolean> {
  if (!(e instanceof RpcError) || !e.message.startsWith("thread not loaded")) return false;
  return t.live.readThread().then(
    () => true,
    () => false,
  );
}

const wantsTurns = (raw: unknown): boolean => !!raw && typeof raw === "object" && (raw as { includeTurns?: unknown }).includeTurns === true;

function wrap(app: AppServer, method: string, fn: (inner: MethodHandler) => MethodHandler): void {
  const inner = app.methods.get(method);
  if (inner) app.register(method, fn(inner));
}

const idOf = (raw: unknown): string | null => {
  const id = raw && typeof raw === "object" ? (raw as { threadId?: unknown }).threadId : undefined;
  return typeof id === "string" ? id.toLowerCase() : null;
};

export function registerLiveOverlays(app: AppServer): void {
  wrap(app, "thread/read", (inner) => async (raw, conn) => {
    const id = idOf(raw);
    const t = id ? app.threadsIfStarted()?.get(id) : undefined;
    if (!t) return inner(raw, conn);
    if (t.ephemeral) {
      if (wantsTurns(raw)) throw ephemeralRefusal.readTurns();
      return { thread: threadFromStored(await t.live.readThread(), { status: t.threadStatus, live: t.settings, ephemeral: true }), readState: null };
    }
    await t.live.flush();
    let res: unknown;
    try {
      res = await inner(raw, conn);
    } catch (e) {
      // started, nothing written yet: the store knows it, the index does not
      const stored = await t.live.readThread().catch(() => null);
      if (!stored) throw e;
      if (wantsTurns(raw)) throw notMaterialized.readTurns();
      return { thread: threadFromStored(stored, { status: t.threadStatus, live: t.settings }), readState: null };
    }
    const out = (res instanceof RawJson ? JSON.parse(res.text) : res) as { thread?: Thread };
    if (out?.thread) {
      withLiveFields(out.thread, t.settings);
      out.thread.status = t.threadStatus;
      const active = t.activeTurnId;
      if (active) out.thread.turns = out.thread.turns.map((turn) => (turn.id === active && turn.status === "interrupted" ? { ...turn, status: "inProgress" } : turn));
    }
    return out;
  });

  // pages of a loaded thread: its appends flushed first; its running turn in progress
  wrap(app, "thread/turns/list", (inner) => async (raw, conn) => {
    const id = idOf(raw);
    const t = id ? app.threadsIfStarted()?.get(id) : undefined;
    if (!t) return inner(raw, conn);
    if (t.ephemeral) throw ephemeralRefusal.turns();
    await t.live.flush();
    let res: unknown;
    try {
      res = await inner(raw, conn);
    } catch (e) {
      if (await unwritten(e, t)) throw notMaterialized.turns(t.id);
      throw e;
    }
    const active = t.activeTurnId;
    if (!active) return res;
    const text = res instanceof RawJson ? res.text : null;
    if (text !== null && !text.includes(active)) return res;
    const out = (text !== null ? JSON.parse(text) : res) as { data?: Thread["turns"] };
    if (Array.isArray(out?.data)) out.data = out.data.map((turn) => (turn.id === active && turn.status === "interrupted" ? { ...turn, status: "inProgress" } : turn));
    return out;
  });

  wrap(app, "thread/items/list", (inner) => async (raw, conn) => {
    const id = idOf(raw);
    const t = id ? app.threadsIfStarted()?.get(id) : undefined;
    if (!t) return inner(raw, conn);
    if (t.ephemeral) throw notMaterialized.items();
    await t.live.flush();
    try {
      return await inner(raw, conn);
    } catch (e) {
      if (await unwritten(e, t)) throw notMaterialized.items();
      throw e;
    }
  });

  wrap(app, "thread/list", (inner) => async (raw, conn) => {
    const res = await inner(raw, conn);
    const reg = app.threadsIfStarted();
    if (!reg || reg.ids().length === 0) return res;
    const out = (res instanceof RawJson ? JSON.parse(res.text) : res) as { data?: Thread[] };
    for (const th of out?.data ?? []) {
      const t = reg.get(th.id);
      if (t) th.status = t.threadStatus;
    }
    return out;
  });
}
