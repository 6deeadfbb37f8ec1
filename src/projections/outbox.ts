// The per-thread outbox: lifecycle events numbered 1, 2, 3… per thread (events table), read
// after a sequence number and followed live.
//
// Following never hands out an event it has not read back from the table: the projector's
// commits only wake the follower up, and the follower reads `seq > last` again. So there is no
// gap and no duplicate, including across the switch from stored to live events, and a commit
// made by another process is picked up at the next wake-up (or poll).
import type { EventEmitter } from "node:events";
import type { EventRow } from "./tables.js";

export interface FollowOptions {
  /** Stop following (the iterator then finishes). */
  signal?: AbortSignal;
  /** Also re-read every this many ms (commits by other processes wake nobody here). */
  pollMs?: number;
  /** Events read per query (default 256). */
  batch?: number;
}

export interface EventSource extends EventEmitter<{ events: [threadId: string, lastSeq: number] }> {
  readEvents(threadId: string, afterSeq: number, limit?: number): EventRow[];
}

export async function* followEvents(src: EventSource, threadId: string, afterSeq: number, opts: FollowOptions = {}): AsyncGenerator<EventRow> {
  const batch = opts.batch ?? 256;
  let last = afterSeq;
  let pending = false;
  let wake: (() => void) | null = null;
  const onEvents = (id: string) => {
    if (id !== threadId) return;
    pending = true;
    wake?.();
  };
  const onAbort = () => wake?.();
  src.on("events", onEvents);
  opts.signal?.addEventListener("abort", onAbort);
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      // cleared before reading: a commit during the read (or while the consumer holds an event) sets it again
      pending = false;
      const rows = src.readEvents(threadId, last, batch);
      for (const r of rows) {
        if (r.seq <= last) continue;
        last = r.seq;
        yield r;
        if (opts.signal?.aborted) return;
      }
      if (rows.length === batch || pending) continue;
      await new Promise<void>((resolve) => {
        const timer = opts.pollMs ? setTimeout(resolve, opts.pollMs) : null;
        wake = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    src.off("events", onEvents);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}
