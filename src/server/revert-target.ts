// What thread/revert needs from a loaded thread (methods/revert.ts): its turn ids, and a
// rollback that persists Codex's `thread_rolled_back` line and answers with the thread's view.
import { loadThreadHistory } from "../history/load.js";
import type { Thread, ThreadStatus } from "../protocol/v2.js";
import type { StoredThread } from "../store/types.js";
import { threadFromStored } from "./thread-view.js";
import type { RevertTarget } from "./methods/revert.js";

/** The parts of a loaded thread (LoadedThread) a revert uses. */
export interface RevertableThread {
  readonly activeTurnId: string | null;
  readonly threadStatus: ThreadStatus;
  readonly settings: { cwd: string; model: string; reasoningEffort: string | null };
  readonly ephemeral: boolean;
  readonly live: { flush(): Promise<void>; readThread(): Promise<StoredThread> };
  readonly session: { rollBack(n: number): Promise<void> };
  stopTurn(): Promise<void>;
}

export function revertTarget(t: RevertableThread, resolvePath: (id: string) => Promise<string | null>): RevertTarget {
  return {
    running: () => t.activeTurnId !== null,
    stopTurn: () => t.stopTurn(),
    async turnIds() {
      await t.live.flush();
      const file = (await t.live.readThread()).rolloutPath;
      if (!file) return [];
      try {
        return (await loadThreadHistory(file, resolvePath)).turns().map((turn) => turn.id);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw e;
      }
    },
    async rollBack(n: number): Promise<Thread> {
      await t.session.rollBack(n);
      await t.live.flush();
      const thread = threadFromStored(await t.live.readThread(), { status: t.threadStatus, live: t.settings, ephemeral: t.ephemeral });
      return { ...thread, turns: [] };
    },
  };
}
