// thread/revert: a loaded thread's history without one turn and every later turn, with Codex
// 0.169.0's errors (-32600): "invalid thread id: <reason>", "thread not found: <id>", "turn not
// found: <id>". The answer is the thread (`turns` empty), then `thread/reverted {threadId}` goes
// to every connection. Codex writes a new rollout revision; Spool appends the
// `thread_rolled_back {num_turns}` line Codex also reads, so the cursors it answers are null.
// Only the conversation is reverted, not files. A running turn is stopped first.
import { z } from "zod";
import type { Thread } from "../../protocol/v2.js";
import { decodeParams, parseThreadId } from "../params.js";
import { invalidRequest } from "../errors.js";

export interface RevertTarget {
  running(): boolean;
  stopTurn(): Promise<void>;
  /** The thread's turn ids, oldest first. */
  turnIds(): Promise<string[]>;
  /** Drops the last `n` turns; the thread's view after. */
  rollBack(n: number): Promise<Thread>;
}

export interface RevertService {
  /** The loaded thread, or undefined. */
  target(threadId: string): RevertTarget | undefined;
  /** Wraps a result with the notification that must follow it on the wire. */
  followUp(result: unknown, after: () => void): unknown;
  broadcast(method: string, params: unknown): void;
}

interface MethodHost {
  registerThreadScoped(method: string, handler: (params: unknown) => unknown): void;
}

const RevertParams = z.object({ threadId: z.string(), beforeTurnId: z.string() }).passthrough();

export function registerRevertMethod(host: MethodHost, service: RevertService): void {
  host.registerThreadScoped("thread/revert", async (raw) => {
    const p = decodeParams(RevertParams, raw);
    const threadId = parseThreadId(p.threadId);
    const target = service.target(threadId);
    if (!target) throw invalidRequest(`thread not found: ${p.threadId}`);
    if (target.running()) await target.stopTurn();
    const ids = await target.turnIds();
    const at = ids.indexOf(p.beforeTurnId);
    if (at < 0) throw invalidRequest(`turn not found: ${p.beforeTurnId}`);
    const thread = await target.rollBack(ids.length - at);
    const result = { thread, itemsBackwardsCursor: null, turnsBackwardsCursor: null };
    return service.followUp(result, () => service.broadcast("thread/reverted", { threadId }));
  });
}
