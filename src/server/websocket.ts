// WebSocket transport: one JSON-RPC message per text frame, one Connection per socket.
// Loopback only unless a bearer token is configured; /readyz and /healthz answer 200.
//
// Backpressure, as Codex does it: a connection has a bounded number of requests in flight (more
// are answered at once with -32001 "Server overloaded; retry later."), and a bounded outbound
// queue: a client that stops reading until more than `maxOutboundMessages` messages or
// `maxOutboundBytes` bytes wait to be written is disconnected as a slow consumer, so one stuck
// client never holds the server's memory or slows the others.
import { createServer, type IncomingMessage } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import type { AppServer } from "./app.js";
import { Connection, DEFAULT_MAX_INFLIGHT, MAX_REQUEST_BYTES } from "./connection.js";
import { browserDecision, type AccessConfig } from "./web/access.js";
import { handleHttp, requestFacts, type WebUiOptions } from "./web/http.js";

export interface WsOptions {
  host: string;
  port: number;
  /** Required for any non-loopback address: clients send `Authorization: Bearer <token>`. */
  token?: string;
  /** Messages written but not yet flushed to the socket before the client counts as a slow consumer (default 4096). */
  maxOutboundMessages?: number;
  /** Bytes waiting to be flushed before the client counts as a slow consumer (default 64 MiB). */
  maxOutboundBytes?: number;
  /** Requests in flight per connection before -32001 (default 128). */
  maxInflight?: number;
  /** Largest frame accepted (default 64 MiB). */
  maxPayload?: number;
  /** Serve the web UI on the same port; browsers then need `webToken`. */
  web?: WebUiOptions;
  /** The web UI's token (the printed URL's `?token=`); defaults to `token`, else none is accepted. */
  webToken?: string;
}

export const DEFAULT_MAX_OUTBOUND_MESSAGES = 4096;
export const DEFAULT_MAX_OUTBOUND_BYTES = 64 << 20;

/** Close code sent to a slow consumer (1008: policy violation). */
export const SLOW_CONSUMER_CLOSE = 1008;

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export interface WsHandle {
  url: string;
  /** The web UI's address with its token, when the UI is served. */
  webUrl?: string;
  close(): Promise<void>;
}

export function parseWsUrl(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== "ws:") throw new Error(`not a ws:// URL: ${url}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) };
}

export async function serveWebSocket(app: AppServer, opts: WsOptions): Promise<WsHandle> {
  if (!LOOPBACK.has(opts.host) && !opts.token) throw new Error(`refusing to listen on ${opts.host} without a token (set SPOOL_WS_TOKEN)`);
  let boundPort = opts.port;
  const webToken = opts.webToken ?? opts.token;
  // no token, no browser access at all (an empty token never matches a real one)
  const access = (): AccessConfig => ({ token: webToken ?? "\0no-token", port: boundPort, host: opts.host });
  const http = createServer((req, res) => handleHttp(req, res, access, opts.web));
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? MAX_REQUEST_BYTES });
  http.on("upgrade", (req: IncomingMessage, socket, head) => {
    const refuse = (status: string) => void socket.end(`HTTP/1.1 ${status}\r\n\r\n`);
    if (req.headers.origin) {
      // a browser: only our own page (same origin, right Host, the web token in its cookie)
      const d = opts.web ? browserDecision(requestFacts(req).facts, access()) : ({ allow: false, status: 403 } as const);
      if (!d.allow) return refuse(d.status === 401 ? "401 Unauthorized" : "403 Forbidden");
    } else if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      return refuse("401 Unauthorized");
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(app, ws, opts));
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port, opts.host, () => resolve());
  });
  const addr = http.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  boundPort = port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `ws://${host}:${port}`,
    webUrl: opts.web && webToken ? `http://${host}:${port}/?token=${encodeURIComponent(webToken)}` : undefined,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}

function attach(app: AppServer, ws: WebSocket, opts: WsOptions): void {
  const maxMessages = opts.maxOutboundMessages ?? DEFAULT_MAX_OUTBOUND_MESSAGES;
  const maxBytes = opts.maxOutboundBytes ?? DEFAULT_MAX_OUTBOUND_BYTES;
  let queued = 0;
  let queuedBytes = 0;
  let dropped = false;
  const conn = new Connection(
    app,
    (line) => {
      if (dropped || ws.readyState !== ws.OPEN) return;
      const bytes = Buffer.byteLength(line);
      // (one message larger than the bound still goes out when nothing waits before it)
      if (queued > 0 && (queued + 1 > maxMessages || queuedBytes + bytes > maxBytes)) {
        dropped = true;
        app.log.warn({ conn: conn.id, queued, queuedBytes }, "disconnecting a slow consumer");
        ws.close(SLOW_CONSUMER_CLOSE, "slow consumer");
        // the close frame queues behind what the client does not read: do not wait for it
        setTimeout(() => ws.terminate(), 1000).unref();
        app.detach(conn);
        return;
      }
      queued++;
      queuedBytes += bytes;
      ws.send(line, () => {
        queued--;
        queuedBytes -= bytes;
      });
    },
    { maxInflight: opts.maxInflight ?? DEFAULT_MAX_INFLIGHT, transport: "websocket" },
  );
  app.attach(conn);
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    void conn.handleLine(data.toString());
  });
  ws.on("close", () => app.detach(conn));
  ws.on("error", () => app.detach(conn));
}
