// A small pool of scan workers for the full reconcile: each job folds one rollout (from an offset
// when it only grew) into its index row. Jobs are sent in batches (one message per batch, not per
// file) and spread over the workers. Workers start on the first job and stop with
// the pool, so a reconcile that finds nothing to fold costs no thread.
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import type { ScanFrom } from "./scan.js";
import type { IndexRow } from "./index-db.js";

/** One rollout to fold into its row: the file's facts, where to resume, the row's inputs. */
export interface FoldRequest {
  path: string;
  threadId: string;
  archived: boolean;
  size: number;
  mtime: number;
  from?: ScanFrom;
  sessionName: string | null;
  defaultProvider: string;
}

export interface FoldJob extends FoldRequest {
  id: number;
}

export interface Folded {
  row: IndexRow;
  malformed: number;
}

export type FoldReply = ({ id: number } & Folded) | { id: number; error: string; code?: string };

interface Waiter {
  resolve: (r: Folded) => void;
  reject: (e: Error) => void;
}

/** Jobs gathered before a batch is sent to a worker. */
const BATCH = 16;

export class ScanPool {
  private workers: Worker[] = [];
  private queued: FoldJob[] = [];
  private waiting = new Map<number, Waiter>();
  private nextId = 0;
  private nextWorker = 0;
  private flushScheduled = false;

  constructor(private readonly size = Math.max(1, Math.min(4, availableParallelism()))) {}

  fold(req: FoldRequest): Promise<Folded> {
    const id = this.nextId++;
    return new Promise<Folded>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.queued.push({ id, ...req });
      if (this.queued.length >= BATCH) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.queued.length) return;
    const jobs = this.queued;
    this.queued = [];
    this.worker().postMessage(jobs);
  }

  private worker(): Worker {
    if (this.workers.length < this.size) {
      const w = new Worker(new URL("./scan-worker.js", import.meta.url));
      w.on("message", (replies: FoldReply[]) => this.settle(replies));
      w.on("error", (e) => this.failAll(e));
      this.workers.push(w);
      return w;
    }
    return this.workers[this.nextWorker++ % this.workers.length];
  }

  private settle(replies: FoldReply[]): void {
    for (const r of replies) {
      const w = this.waiting.get(r.id);
      if (!w) continue;
      this.waiting.delete(r.id);
      if ("row" in r) w.resolve(r);
      else w.reject(Object.assign(new Error(r.error), { code: r.code }));
    }
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
