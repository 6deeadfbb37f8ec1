// The read methods (methods/threads-read.ts) answer from the files and the index, where every
// thread is `notLoaded` and an unfinished turn was interrupted. For loaded threads Codex answers
// from its live status table instead: this wraps thread/read, thread/list, thread/turns/list and
// thread/items/list so a loaded thread shows its live status, a running turn stays `inProgress`,
// what the thread has written is read (its pending appends flushed first), and a just-started
// thread (no rollout on disk yet) can be read.
import type { AppServer, MethodHandler } from "../app.js";
import { RawJson } from "../jsonrpc.js";
import type { Thread } from "../../protocol/v2.js";
import { threadFromStored } from "../thread-view.js";

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
    await t.live.flush();
    let res: unknown;
    try {
      res = await inner(raw, conn);
    } catch (e) {
      // started, nothing written yet: the store knows it, the index does not
      const stored = await t.live.readThread().catch(() => null);
      if (!stored) throw e;
      return { thread: threadFromStored(stored, { status: t.threadStatus }) };
    }
    const out = (res instanceof RawJson ? JSON.parse(res.text) : res) as { thread?: Thread };
    if (out?.thread) {
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
    await t.live.flush();
    const res = await inner(raw, conn);
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
    if (t) await t.live.flush();
    return inner(raw, conn);
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
