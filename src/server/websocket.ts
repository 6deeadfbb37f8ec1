// WebSocket transport: one JSON-RPC message per text frame, one Connection per socket.
// Loopback only unless a bearer token is configured; /readyz and /healthz answer 200.
import { createServer, type IncomingMessage } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import type { AppServer } from "./app.js";
import { Connection } from "./connection.js";

export interface WsOptions {
  host: string;
  port: number;
  /** Required for any non-loopback address: clients send `Authorization: Bearer <token>`. */
  token?: string;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export interface WsHandle {
  url: string;
  close(): Promise<void>;
}

export function parseWsUrl(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== "ws:") throw new Error(`not a ws:// URL: ${url}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) };
}

export async function serveWebSocket(app: AppServer, opts: WsOptions): Promise<WsHandle> {
  if (!LOOPBACK.has(opts.host) && !opts.token) throw new Error(`refusing to listen on ${opts.host} without a token (set SPOOL_WS_TOKEN)`);
  const http = createServer((req, res) => {
    const ok = req.url === "/readyz" || req.url === "/healthz";
    res.writeHead(ok ? 200 : 404).end(ok ? "ok" : "not found");
  });
  const wss = new WebSocketServer({ noServer: true });
  http.on("upgrade", (req: IncomingMessage, socket, head) => {
    // browsers send Origin; Codex refuses them, so a web page cannot drive a local agent
    const authorized = !opts.token || req.headers.authorization === `Bearer ${opts.token}`;
    if (req.headers.origin || !authorized) {
      socket.end(`HTTP/1.1 ${req.headers.origin ? "403 Forbidden" : "401 Unauthorized"}\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(app, ws));
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port, opts.host, () => resolve());
  });
  const addr = http.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `ws://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}

function attach(app: AppServer, ws: WebSocket): void {
  const conn = new Connection(app, (line) => {
    if (ws.readyState === ws.OPEN) ws.send(line);
  });
  app.attach(conn);
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    void conn.handleLine(data.toString());
  });
  ws.on("close", () => app.detach(conn));
  ws.on("error", () => app.detach(conn));
}
