// A counting semaphore: at most `limit` holders at once, waiters served first come first served.
// Bounds work that holds a lot of memory (full thread reads) so a burst of it queues instead of
// piling up, and cheap requests, which never wait on it, stay fast.
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`semaphore limit must be at least 1, got ${limit}`);
  }

  /** Runs `fn` once a slot is free; the slot is released when `fn` settles. */
  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // hand the slot straight to the next waiter (active stays the same) or free it
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** Holders plus waiters (for logs and tests). */
  get pending(): number {
    return this.active + this.waiting.length;
  }
}
