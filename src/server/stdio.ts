// stdio transport: one JSON message per line on stdin/stdout; EOF on stdin closes the connection.
// Output is never dropped here (Codex's stdio waits instead of disconnecting a slow reader).
// A request line over MAX_REQUEST_BYTES is skipped unread and answered with -32600.
import type { AppServer } from "./app.js";
import { Connection, MAX_REQUEST_BYTES, type ConnectionOptions } from "./connection.js";
import { LineSplitter } from "./line-splitter.js";

export function serveStdio(
  app: AppServer,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
  opts: ConnectionOptions & { maxRequestBytes?: number } = {},
): Promise<void> {
  const conn = new Connection(app, (line) => output.write(line + "\n"), opts);
  app.attach(conn);
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    const q = p.finally(() => inflight.delete(q));
    inflight.add(q);
  };
  const lines = new LineSplitter(opts.maxRequestBytes ?? MAX_REQUEST_BYTES, {
    line: (text) => track(conn.handleLine(text)),
    oversized: (head, bytes) => conn.handleOversized(head, bytes, opts.maxRequestBytes ?? MAX_REQUEST_BYTES),
  });
  input.on("data", (chunk: Buffer | string) => lines.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
  return new Promise((resolve) => {
    let done = false;
    const finish = async () => {
      if (done) return;
      done = true;
      lines.end();
      await Promise.allSettled([...inflight]);
      app.detach(conn);
      resolve();
    };
    input.on("end", finish);
    input.on("close", finish);
  });
}
