// A logging WebSocket proxy between a client (the Codex TUI) and an app-server: every text frame
// is forwarded unchanged and recorded with its direction and the current `step` label, so two
// servers' conversations with the same client can be compared step by step.
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";

export interface Frame {
  /** "c2s": client -> server; "s2c": server -> client. */
  dir: "c2s" | "s2c";
  /** The step label when the frame passed. */
  step: string;
  /** Which client connection (1, 2, … in connect order). */
  conn: number;
  msg: any;
  /** Answered by the proxy's stub, never seen by the server. */
  stubbed?: true;
}

/** An answer the proxy gives itself instead of forwarding (diagnostics only), or undefined to forward. */
export type StubAnswer = (method: string, params: unknown) => { result: unknown } | undefined;

/** One request as the client sent it and the server answered it (answer undefined: never answered). */
export interface Exchange {
  step: string;
  method: string;
  params: unknown;
  answer?: { result?: any; error?: { code: number; message: string } };
}

export interface FrameProxy {
  /** `ws://127.0.0.1:<port>`, for the client. */
  url: string;
  frames: Frame[];
  /** Label stamped on the frames from now on. */
  step: string;
  /** Client requests paired with their answers, in order. */
  exchanges(): Exchange[];
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port towards `target`; `logFile` (optional) gets one JSON frame per line. */
export async function startFrameProxy(target: string, logFile?: string, stub?: StubAnswer): Promise<FrameProxy> {
  const frames: Frame[] = [];
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  const upstreams = new Set<WebSocket>();
  let conns = 0;
  const proxy: FrameProxy = {
    url: "",
    frames,
    step: "",
    exchanges: () => pairExchanges(frames),
    close: () =>
      new Promise<void>((resolve) => {
        for (const u of upstreams) u.terminate();
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  const record = (dir: Frame["dir"], conn: number, text: string, stubbed?: true): any => {
    let msg: any;
    try {
      msg = JSON.parse(text);
    } catch {
      msg = { unparsed: text };
    }
    const f: Frame = { dir, step: proxy.step, conn, msg, ...(stubbed ? { stubbed } : {}) };
    frames.push(f);
    if (logFile) fs.appendFileSync(logFile, JSON.stringify(f) + "\n");
    return msg;
  };
  wss.on("connection", (client, req) => {
    const conn = ++conns;
    // only the token goes on: the TUI's `x-codex-app-server-compression` offer is dropped so both
    // servers answer in plain text frames the proxy can read (both then speak uncompressed)
    const headers: Record<string, string> = {};
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const upstream = new WebSocket(target, { headers });
    upstreams.add(upstream);
    const queued: string[] = [];
    upstream.on("open", () => {
      for (const q of queued.splice(0)) upstream.send(q);
    });
    client.on("message", (d) => {
      const text = d.toString();
      const msg = record("c2s", conn, text);
      const stubbed = stub && typeof msg?.method === "string" && msg.id !== undefined ? stub(msg.method, msg.params) : undefined;
      if (stubbed) {
        const answer = JSON.stringify({ id: msg.id, result: stubbed.result });
        record("s2c", conn, answer, true);
        client.send(answer);
        return;
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else queued.push(text);
    });
    upstream.on("message", (d) => {
      const text = d.toString();
      record("s2c", conn, text);
      if (client.readyState === WebSocket.OPEN) client.send(text);
    });
    const closeBoth = () => {
      upstreams.delete(upstream);
      if (client.readyState === WebSocket.OPEN) client.close();
      if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    };
    client.on("close", closeBoth);
    upstream.on("close", closeBoth);
    upstream.on("error", closeBoth);
    client.on("error", closeBoth);
  });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  proxy.url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  return proxy;
}

/** Pairs each client request with the server's answer (same connection, same id). */
export function pairExchanges(frames: Frame[]): Exchange[] {
  const open = new Map<string, Exchange>();
  const out: Exchange[] = [];
  for (const f of frames) {
    const m = f.msg;
    if (m == null || m.id === undefined || m.id === null) continue;
    const key = `${f.conn}:${JSON.stringify(m.id)}`;
    if (f.dir === "c2s" && typeof m.method === "string") {
      const ex: Exchange = { step: f.step, method: m.method, params: m.params };
      open.set(key, ex);
      out.push(ex);
    } else if (f.dir === "s2c" && m.method === undefined) {
      const ex = open.get(key);
      if (ex) {
        ex.answer = { result: m.result, error: m.error };
        open.delete(key);
      }
    }
  }
  return out;
}
