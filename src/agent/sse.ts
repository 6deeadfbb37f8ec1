// A Server-Sent Events decoder (the WHATWG event-stream format): bytes in, `{event, data}` out.
// Lines end with LF, CR or CRLF; `data:` lines of one event are joined with "\n"; a blank line
// dispatches; comments (`:`) and `id:`/`retry:` fields are ignored.

export interface SseEvent {
  event: string;
  data: string;
}

export class SseDecoder {
  private readonly utf8 = new TextDecoder("utf-8");
  private buf = "";
  private event = "";
  private data: string[] = [];
  private sawCr = false;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === "string" ? chunk : this.utf8.decode(chunk, { stream: true });
    if (this.sawCr && text.startsWith("\n")) text = text.slice(1);
    this.sawCr = false;
    this.buf += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(this.buf.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < this.buf.length) {
          if (this.buf.charCodeAt(i + 1) === 10) i++;
        } else this.sawCr = true;
      }
      start = i + 1;
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  /** End of stream: an event not terminated by a blank line is dropped (per the spec). */
  end(): SseEvent[] {
    this.buf += this.utf8.decode();
    this.buf = "";
    this.event = "";
    this.data = [];
    return [];
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) out.push({ event: this.event || "message", data: this.data.join("\n") });
      this.event = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
  }
}
