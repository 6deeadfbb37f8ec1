// Server-Sent Events from a byte stream: the `eventsource-parser` library does the WHATWG
// event-stream parsing (line endings, multi-line data, comments, fields); this wrapper decodes
// UTF-8 across chunk boundaries and hands back the events each chunk completed.
import { createParser, type EventSourceParser } from "eventsource-parser";

export interface SseEvent {
  event: string;
  data: string;
}

export class SseDecoder {
  private readonly utf8 = new TextDecoder("utf-8");
  private readonly parser: EventSourceParser;
  private pending: SseEvent[] = [];

  constructor() {
    this.parser = createParser({ onEvent: (e) => this.pending.push({ event: e.event || "message", data: e.data }) });
  }

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    this.parser.feed(typeof chunk === "string" ? chunk : this.utf8.decode(chunk, { stream: true }));
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** End of stream: an event not terminated by a blank line is dropped (per the spec). */
  end(): SseEvent[] {
    this.utf8.decode();
    this.parser.reset();
    this.pending = [];
    return [];
  }
}
