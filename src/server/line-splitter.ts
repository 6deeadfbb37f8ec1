// Splits a byte stream into request lines with a size cap. A line over the cap is never held:
// only its first bytes are kept (to answer with its id when it has one) and the rest is skipped
// up to its newline, so one huge line can neither exhaust memory nor stop the connection.
export const NL = 10;
const HEAD_BYTES = 256;

export interface LineSink {
  line(text: string): void;
  /** A line over the cap: its first bytes and its total size (known once it ended). */
  oversized(head: string, bytes: number): void;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes of an oversized line skipped so far (-1: not skipping). */
  private skipped = -1;
  private skipHead = "";

  constructor(
    private readonly maxBytes: number,
    private readonly sink: LineSink,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      const stop = nl < 0 ? chunk.length : nl;
      this.take(chunk.subarray(start, stop));
      if (nl < 0) return;
      this.endLine();
      start = nl + 1;
    }
  }

  /** End of input: a last line without "\n" still counts. */
  end(): void {
    if (this.held > 0 || this.skipped >= 0) this.endLine();
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.skipped >= 0) {
      this.skipped += piece.length;
      return;
    }
    if (this.held + piece.length > this.maxBytes) {
      this.skipHead = Buffer.concat([...this.parts, piece]).subarray(0, HEAD_BYTES).toString("utf8");
      this.skipped = this.held + piece.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    this.parts.push(Buffer.from(piece));
    this.held += piece.length;
  }

  private endLine(): void {
    if (this.skipped >= 0) {
      const bytes = this.skipped;
      this.skipped = -1;
      this.sink.oversized(this.skipHead, bytes);
      return;
    }
    const text = Buffer.concat(this.parts).toString("utf8").replace(/\r$/, "");
    this.parts = [];
    this.held = 0;
    this.sink.line(text);
  }
}
