// Wiring projections to a LiveThread.
//
//  - `ProjectionSession.observers()` (observers.ts) are the three observers LiveThread runs on
//    every append; their mutations come back in AppendResult and with the `appended` event.
//  - `attachProjector` keeps the durable projections (projector.ts) current for a thread whose
//    store writes a rollout file (LocalThreadStore): after each durable append it folds the
//    file's new bytes into the tables, rows and checkpoint in one transaction. The durable rows
//    are derived from the bytes on disk, never from what an observer computed before the write,
//    so they cannot get ahead of the JSONL, and they equal what a rebuild gives.
import type { LiveThread } from "../live/live-thread.js";
import type { Projector } from "./projector.js";

export interface AttachedProjector {
  /** Stops projecting this thread's appends. */
  detach(): void;
  /** Resolves once every append seen so far is projected (rejects with the last failure). */
  idle(): Promise<void>;
}

/**
 * Projects `live`'s appends into `projector` (its rollout is found with `rolloutPath`). A failed
 * sync is reported to `warn` and retried with the next append (the checkpoint did not move).
 */
export function attachProjector(live: LiveThread, projector: Projector, rolloutPath: () => Promise<string | null>, warn?: (msg: string) => void): AttachedProjector {
  let tail: Promise<void> = Promise.resolve();
  let lastError: unknown = null;
  const onAppended = () => {
    tail = tail.then(async () => {
      try {
        const path = await rolloutPath();
        if (path) await projector.syncThread(live.threadId, path);
        lastError = null;
      } catch (e) {
        lastError = e;
        warn?.(`projections of ${live.threadId}: ${(e as Error)?.message ?? String(e)}`);
      }
    });
  };
  live.on("appended", onAppended);
  return {
    detach: () => live.off("appended", onAppended),
    idle: async () => {
      await tail;
      if (lastError) throw lastError;
    },
  };
}
