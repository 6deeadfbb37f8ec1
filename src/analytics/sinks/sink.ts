// Where events go once the reducer has made them.
import type { TrackEvent } from "../events.js";

export interface RecordedEvent {
  /** When the reducer produced it (ms). */
  recordedAtMs: number;
  event: TrackEvent;
}

export interface AnalyticsSink {
  readonly name: string;
  /** Takes a batch of events. Never waits on I/O it does not control (a network sink only queues). */
  write(batch: RecordedEvent[]): void;
  /** Resolves when what was written so far is delivered, or after `timeoutMs`. */
  flush(timeoutMs: number): Promise<void>;
  /** Flushes (within `timeoutMs`) and releases the sink's resources. */
  close(timeoutMs: number): Promise<void>;
  /** Counters for logs and tests. */
  stats(): Record<string, number>;
}
