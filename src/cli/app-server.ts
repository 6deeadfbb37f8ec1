// `spool app-server`: serve a home over stdio (WebSocket arrives with the live server).
import { mkdirSync } from "node:fs";
import { AppServer } from "../server/app.js";
import { serveStdio } from "../server/stdio.js";
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
  if (opts.listen !== "stdio://") throw new Error(`--listen ${opts.listen}: only stdio:// is supported in this build`);
  await serveStdio(app);
  await app.close();
}
