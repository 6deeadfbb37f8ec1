// `spool app-server`: serve a home over stdio or a WebSocket listener.
//
// Tuning from the environment (tests, operators):
//   SPOOL_IDLE_UNLOAD_MS            unload idle loaded threads after this many ms (default: config
//                                   `thread_unload_delay_secs`, else 30 minutes)
//   SPOOL_WS_TOKEN                  bearer token; required to listen on a non-loopback address
//   SPOOL_WS_MAX_OUTBOUND_MESSAGES  per-connection outbound queue bound (messages, default 4096)
//   SPOOL_WS_MAX_OUTBOUND_BYTES     per-connection outbound queue bound (bytes, default 64 MiB)
//   SPOOL_MAX_INFLIGHT              requests in flight per connection before -32001 (default 128)
import { mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { defaultWebRoot } from "../server/web/static.js";
import { AppServer } from "../server/app.js";
import { serveStdio } from "../server/stdio.js";
import { parseWsUrl, serveWebSocket } from "../server/websocket.js";
import { ConfigError } from "../config/config.js";

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
  return Math.floor(n);
}

export async function runAppServer(opts: { home: string; listen: string; memoryIndex?: boolean; idleUnloadMs?: number }): Promise<void> {
  mkdirSync(opts.home, { recursive: true });
  let app: AppServer;
  try {
    app = new AppServer({ home: opts.home, memoryIndex: opts.memoryIndex, idleUnloadMs: opts.idleUnloadMs ?? envInt("SPOOL_IDLE_UNLOAD_MS") });
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`bad config: ${e.message}`);
    throw e;
  }
  await app.start();
  const maxInflight = envInt("SPOOL_MAX_INFLIGHT");
  if (opts.listen === "stdio://") {
    await serveStdio(app, process.stdin, process.stdout, { maxInflight });
    await app.close();
    return;
  }
  const ws = await serveWebSocket(app, {
    ...parseWsUrl(opts.listen),
    token: process.env.SPOOL_WS_TOKEN,
    maxOutboundMessages: envInt("SPOOL_WS_MAX_OUTBOUND_MESSAGES"),
    maxOutboundBytes: envInt("SPOOL_WS_MAX_OUTBOUND_BYTES"),
    maxInflight,
    web: { home: opts.home, root: defaultWebRoot() },
    // a token per start unless one is configured: the printed URL is the only way in
    webToken: process.env.SPOOL_WS_TOKEN || randomBytes(24).toString("base64url"),
  });
  process.stderr.write(
    `spool app-server: home ${opts.home}\n` +
      `listening on ${ws.url} (JSON-RPC, one message per text frame; GET /readyz for health)\n` +
      `connect with a Codex app-server client, e.g. send {"id":1,"method":"initialize","params":{"clientInfo":{"name":"me","version":"1"}}} then {"method":"initialized"}\n` +
      `web UI: ${ws.webUrl}\n`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await ws.close();
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
