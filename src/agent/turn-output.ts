// Where a running turn's output goes. Everything is reported twice: as app-server v2
// notifications (`onEvent`, see events.ts) and as rollout items in Codex 0.169.0's format
// (`onRolloutItems`, see rollout-items.ts), which the caller persists (LiveThread.appendItems).
// Rollout items are handed over in order, one batch at a time (the next batch waits for the
// previous one's promise); an item's `item/completed` notification follows its rollout batch.
import type { ThreadItem } from "../protocol/v2.js";
import type { RolloutItem } from "../store/types.js";
import type { TurnNotification } from "./events.js";
import type { ConversationHistory } from "./history.js";
import type { AgentSessionOptions } from "./session.js";

export class TurnOutput {
  private persist: Promise<void> = Promise.resolve();

  constructor(
    /** The session's options, read on each use (the listeners). */
    private readonly opts: Pick<AgentSessionOptions, "onEvent" | "onRolloutItems">,
    private readonly conversation: ConversationHistory,
    readonly threadId: string,
    readonly turnId: string,
  ) {}

  notify(n: TurnNotification): void {
    try {
      this.opts.onEvent?.(n);
    } catch {
      // a listener's failure is not the turn's
    }
  }

  /** Records rollout items: the conversation first, then the caller's persistence, in order. */
  emit(items: RolloutItem[]): Promise<void> {
    if (items.length === 0) return this.persist;
    for (const it of items) if (it.type === "response_item") this.conversation.record(it.payload);
    const write = this.persist.then(() => this.opts.onRolloutItems?.(items));
    this.persist = write.then(
      () => undefined,
      () => undefined,
    );
    return write.then(() => undefined);
  }

  itemStarted(item: ThreadItem, startedAtMs: number): void {
    this.notify({ method: "item/started", params: { item, threadId: this.threadId, turnId: this.turnId, startedAtMs } });
  }

  itemCompleted(item: ThreadItem, completedAtMs: number): void {
    this.notify({ method: "item/completed", params: { item, threadId: this.threadId, turnId: this.turnId, contentTokenCount: null, completedAtMs } });
  }

  /** Records a finished item's rollout, then says it completed. */
  async completed(built: { items: RolloutItem[]; item: ThreadItem }, completedAtMs: number): Promise<void> {
    await this.emit(built.items);
    this.itemCompleted(built.item, completedAtMs);
  }
}
