// Per-key serial execution: work queued under one key runs after every earlier work of that key
// has settled (resolved or rejected), work under different keys runs concurrently. A key's entry
// is dropped once its queue is empty.
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier run of `key`; resolves or rejects as `fn` does. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** Settles once everything queued under `key` so far has (at once when nothing is). */
  settled(key: string): Promise<void> {
    return this.tails.get(key) ?? Promise.resolve();
  }

  /** Settles once everything queued so far, under any key, has. */
  async allSettled(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
