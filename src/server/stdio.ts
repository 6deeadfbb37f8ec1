// stdio transport: one JSON message per line on stdin/stdout; EOF on stdin closes the connection.
// Output is never dropped here (Codex's stdio waits instead of disconnecting a slow reader).
import { createInterface } from "node:readline";
import type { AppServer } from "./app.js";
import { Connection, type ConnectionOptions } from "./connection.js";

export function serveStdio(
  app: AppServer,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
  opts: ConnectionOptions = {},
): Promise<void> {
  const conn = new Connection(app, (line) => output.write(line + "\n"), opts);
  app.attach(conn);
  const inflight = new Set<Promise<void>>();
  const rl = createInterface({ input, crlfDelay: Infinity });
  rl.on("line", (line) => {
    const p = conn.handleLine(line).finally(() => inflight.delete(p));
    inflight.add(p);
  });
  return new Promise((resolve) => {
    rl.on("close", async () => {
      await Promise.allSettled([...inflight]);
      app.detach(conn);
      resolve();
    });
  });
}
