// The opt-in HTTP sink: POSTs `{"events": [...]}` (Codex's body shape) to the endpoint named in
// config.toml (`[analytics] http_endpoint`). Off unless configured: nothing leaves the machine
// otherwise.
//
// Codex sends its accepted-lines event in a request of its own; so does this sink.
//
// It never holds anyone up. `write` only appends to a bounded queue (the oldest events are
// dropped, and counted, when it is full); one sender drains it in batches. A 5xx, 408, 429, a
// network error or a timeout is retried with exponential backoff and jitter, a bounded number of
// times; any other 4xx drops the batch (retrying cannot fix it). `close` sends what is left within
// its deadline, then aborts the request in flight, so a hanging endpoint delays shutdown by at
// most that deadline and a turn never at all.
import { ACCEPTED_LINES_EVENT, type TrackEvent } from "../events.js";
import type { AnalyticsSink, RecordedEvent } from "./sink.js";

export interface HttpSinkOptions {
  endpoint: string;
  headers?: Record<string, string>;
  /** Events per request. */
  batchSize?: number;
  /** How long a partial batch waits for company before it is sent. */
  flushIntervalMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Queued events kept at most; older ones are dropped first. */
  maxQueue?: number;
  /** Attempts per batch, the first included. */
  maxAttempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  fetch?: typeof globalThis.fetch;
  onWarn?: (message: string, extra?: Record<string, unknown>) => void;
  random?: () => number;
}

export interface HttpSinkStats {
  [k: string]: number;
  queued: number;
  sent: number;
  requests: number;
  retries: number;
  /** Dropped because the queue was full (oldest first). */
  dropped: number;
  /** Given up after the last attempt, or cut off by close's deadline. */
  failed: number;
  /** Refused by the endpoint with a 4xx. */
  rejected: number;
}

class Abort extends Error {}

const isIsolated = (e: TrackEvent | undefined) => e?.event_type === ACCEPTED_LINES_EVENT;

export class HttpSink implements AnalyticsSink {
  readonly name = "http";
  private readonly o: Required<Omit<HttpSinkOptions, "headers" | "onWarn">> & Pick<HttpSinkOptions, "headers" | "onWarn">;
  private queue: TrackEvent[] = [];
  private head = 0;
  private pumping: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly abort = new AbortController();
  private idleWaiters: Array<() => void> = [];
  private readonly counters: HttpSinkStats = { queued: 0, sent: 0, requests: 0, retries: 0, dropped: 0, failed: 0, rejected: 0 };

  constructor(opts: HttpSinkOptions) {
    this.o = {
      batchSize: 100,
      flushIntervalMs: 1000,
      timeoutMs: 5000,
      maxQueue: 10_000,
      maxAttempts: 5,
      backoffMs: 250,
      maxBackoffMs: 10_000,
      fetch: globalThis.fetch.bind(globalThis),
      random: Math.random,
      ...(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as HttpSinkOptions),
    };
    if (!/^https?:\/\//i.test(this.o.endpoint)) throw new Error(`analytics http_endpoint must be an http(s) URL: ${this.o.endpoint}`);
  }

  private get size(): number {
    return this.queue.length - this.head;
  }

  write(batch: RecordedEvent[]): void {
    if (this.closing && this.abort.signal.aborted) {
      this.counters.dropped += batch.length;
      return;
    }
    for (const r of batch) this.queue.push(r.event);
    const over = this.size - this.o.maxQueue;
    if (over > 0) {
      this.head += over;
      this.counters.dropped += over;
      this.o.onWarn?.("analytics http sink queue full: dropped the oldest events", { dropped: over });
    }
    this.compact();
    if (this.size >= this.o.batchSize) this.kick();
    else this.arm();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Up to `n` events; an isolated event (Codex's accepted-lines event) always goes alone. */
  private take(n: number): TrackEvent[] {
    let end = Math.min(this.queue.length, this.head + n);
    if (isIsolated(this.queue[this.head])) end = this.head + 1;
    else for (let i = this.head + 1; i < end; i++) if (isIsolated(this.queue[i])) end = i;
    const batch = this.queue.slice(this.head, end);
    this.head += batch.length;
    this.compact();
    return batch;
  }

  private arm(): void {
    if (this.timer || this.pumping || this.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, this.o.flushIntervalMs);
    this.timer.unref();
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.size > 0 && !this.abort.signal.aborted) {
        if (this.closing || this.size >= this.o.batchSize) this.kick();
        else this.arm();
      }
      if (!this.pumping && (this.size === 0 || this.abort.signal.aborted)) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        for (const f of w) f();
      }
    });
  }

  private async pump(): Promise<void> {
    while (this.size > 0 && !this.abort.signal.aborted) {
      const batch = this.take(this.o.batchSize);
      await this.send(batch);
    }
  }

  private async send(batch: TrackEvent[]): Promise<void> {
    const body = JSON.stringify({ events: batch });
    for (let attempt = 1; ; attempt++) {
      if (this.abort.signal.aborted) {
        this.counters.failed += batch.length;
        return;
      }
      let status = 0;
      let detail = "";
      try {
        this.counters.requests++;
        const res = await this.o.fetch(this.o.endpoint, {
          method: "POST",
          headers: { "content-type": "application/json", ...this.o.headers },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutMs)]),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch (e) {
        detail = (e as Error).name === "TimeoutError" ? `timed out after ${this.o.timeoutMs} ms` : (e as Error).message;
      }
      if (status >= 200 && status < 300) {
        this.counters.sent += batch.length;
        return;
      }
      const retryable = status === 0 || status >= 500 || status === 408 || status === 429;
      if (!retryable) {
        this.counters.rejected += batch.length;
        this.o.onWarn?.("analytics endpoint refused a batch", { status, events: batch.length });
        return;
      }
      if (attempt >= this.o.maxAttempts) {
        this.counters.failed += batch.length;
        this.o.onWarn?.("analytics endpoint failed: gave up on a batch", { status, detail, attempts: attempt, events: batch.length });
        return;
      }
      this.counters.retries++;
      const delay = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (attempt - 1)) * (0.5 + this.o.random() / 2);
      try {
        await this.sleep(delay);
      } catch (e) {
        if (!(e instanceof Abort)) throw e;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.abort.signal.aborted) return reject(new Abort());
      const t = setTimeout(() => {
        this.abort.signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(new Abort());
      };
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Sends everything queued now (not waiting for the interval); resolves when done or after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.size === 0 && !this.pumping) return;
    const idle = new Promise<void>((r) => this.idleWaiters.push(r));
    this.kick();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([idle, new Promise<void>((r) => (t = setTimeout(r, timeoutMs)))]);
    clearTimeout(t);
  }

  /** Flushes within `timeoutMs`; whatever is still unsent then is counted as failed. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    await this.flush(timeoutMs);
    if (this.size > 0 || this.pumping) {
      this.abort.abort();
      const left = this.size;
      this.head = this.queue.length;
      this.counters.failed += left;
      if (left > 0) this.o.onWarn?.("analytics http sink closed with events unsent", { events: left });
      await this.pumping?.catch(() => undefined);
    }
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  stats(): HttpSinkStats {
    return { ...this.counters, queued: this.size };
  }
}
