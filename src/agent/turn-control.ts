// Interrupting and steering a running turn.
//
// An interrupt (`interrupt()`, an approval answered "cancel") aborts the turn's signal with
// TurnStopped: streaming, running commands and pending approvals listen to it, and the turn's loop
// checks it between steps, then ends the turn "interrupted". Steered input waits here until the
// loop records it before its next model request; once the loop has decided to finish, or the turn
// is stopping, steering is refused (the caller starts a new turn instead).
import type { UserInput } from "./rollout-items.js";
import type { JsonObject } from "../rollout/line.js";

/** The abort reason of an interrupted turn. */
export class TurnStopped extends Error {
  constructor() {
    super("turn interrupted");
  }
}

/** What waits for the next model request: a user's steered input, or injected raw items. */
export type Queued = { kind: "input"; input: UserInput[] } | { kind: "items"; items: JsonObject[] };

export class TurnControl {
  private readonly controller = new AbortController();
  private readonly pending: Queued[] = [];
  private accepting = true;

  /** Aborted when the turn is interrupted. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Whether the turn still takes steered input (it has neither finished nor stopped). */
  get open(): boolean {
    return this.accepting;
  }

  /** Queues input for the next model request; false if the turn no longer takes any. */
  steer(input: UserInput[]): boolean {
    if (!this.accepting || this.stopped || input.length === 0) return false;
    this.pending.push({ kind: "input", input });
    return true;
  }

  /** Queues raw response items (thread/inject_items) the same way; false if the turn no longer takes any. */
  inject(items: readonly JsonObject[]): boolean {
    if (!this.accepting || this.stopped || items.length === 0) return false;
    this.pending.push({ kind: "items", items: [...items] });
    return true;
  }

  get hasSteered(): boolean {
    return this.pending.length > 0;
  }

  /** The oldest queued input, if any. */
  takeSteered(): Queued | undefined {
    return this.pending.shift();
  }

  /** The turn is ending: no more steering. */
  close(): void {
    this.accepting = false;
  }

  /** Interrupts the turn (once; later calls change nothing). */
  stop(): void {
    if (!this.stopped) this.controller.abort(new TurnStopped());
  }

  throwIfStopped(): void {
    if (this.stopped) throw new TurnStopped();
  }

  /** Waits `ms`, or rejects with TurnStopped as soon as the turn stops. */
  sleep(ms: number): Promise<void> {
    const signal = this.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new TurnStopped());
      const t = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(new TurnStopped());
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * `work`'s result, unless the turn stops first: then rejects with TurnStopped without waiting
   * for `work` (an approval the client never answers must not hold up the interrupt).
   */
  async untilStopped<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = this.signal;
    this.throwIfStopped();
    return await new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new TurnStopped());
      signal.addEventListener("abort", onAbort, { once: true });
      work(signal).then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }
}
