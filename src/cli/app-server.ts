// `spool app-server`: serve a home over stdio or a WebSocket listener.
import { mkdirSync } from "node:fs";
import { AppServer } from "../server/app.js";
import { serveStdio } from "../server/stdio.js";
import { parseWsUrl, serveWebSocket } from "../server/websocket.js";
import { ConfigError } from "../config/config.js";

export async function runAppServer(opts: { home: string; listen: string; memoryIndex?: boolean }): Promise<void> {
  mkdirSync(opts.home, { recursive: true });
  let app: AppServer;
  try {
    app = new AppServer({ home: opts.home, memoryIndex: opts.memoryIndex });
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`bad config: ${e.message}`);
    throw e;
  }
  await app.start();
  if (opts.listen === "stdio://") {
    await serveStdio(app);
    await app.close();
    return;
  }
  const ws = await serveWebSocket(app, { ...parseWsUrl(opts.listen), token: process.env.SPOOL_WS_TOKEN });
  process.stderr.write(`spool app-server: home ${opts.home}\nlistening on ${ws.url} (JSON-RPC, one message per text frame; GET /readyz for health)\n`);
  const stop = async () => {
    await ws.close();
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
