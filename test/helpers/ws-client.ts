// A JSON-RPC client over a WebSocket (one message per text frame), with the same surface as
// RpcClient where it matters (request, notify, waitFor, notifications, serverRequests, approve
// policy, transcript lines), and a way to start `spool app-server --listen ws://127.0.0.1:0`.
import { spawn, type ChildProcess } from "node:child_process";
import WebSocket from "ws";
import { spoolMain } from "./spool.js";
import { RpcError, type ApprovalPolicy, type IncomingMessage, type Notification, type ServerRequest, type ServerRequestAnswer, type TranscriptLine } from "./rpc-client.js";

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Waiter<M> {
  pred: (m: M) => boolean;
  resolve: (m: M) => void;
}

export interface WsClientOptions {
  headers?: Record<string, string>;
  /** How server requests are answered (default "accept"); "manual" leaves them unanswered. */
  approve?: ApprovalPolicy | "manual";
  /** Keep transcript lines (default true). */
  record?: boolean;
  /** Called for every incoming message, with the time it arrived (performance.now()). */
  onMessage?: (msg: IncomingMessage, receivedAt: number) => void;
}

export class WsRpcClient {
  readonly lines: TranscriptLine[] = [];
  readonly messages: IncomingMessage[] = [];
  readonly notifications: Notification[] = [];
  readonly serverRequests: ServerRequest[] = [];
  approve: ApprovalPolicy | "manual";
  closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;
  private readonly pending = new Map<number | string, Pending>();
  private noteWaiters: Waiter<Notification>[] = [];
  private msgWaiters: Waiter<IncomingMessage>[] = [];
  private readonly record: boolean;
  private isOpen = false;

  private constructor(
    readonly ws: WebSocket,
    private readonly opts: WsClientOptions,
  ) {
    this.approve = opts.approve ?? "accept";
    this.record = opts.record ?? true;
    ws.on("message", (d) => this.onFrame(d.toString()));
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        this.isOpen = false;
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          if (p.timer) clearTimeout(p.timer);
          p.reject(new Error(`${p.method}: connection closed (${code})`));
        }
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  /** Opens a socket (rejects on a refused handshake). */
  static open(url: string, opts: WsClientOptions = {}): Promise<WsRpcClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: opts.headers });
      const c = new WsRpcClient(ws, opts);
      ws.once("open", () => {
        c.isOpen = true;
        resolve(c);
      });
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    });
  }

  get alive(): boolean {
    return this.isOpen && this.ws.readyState === WebSocket.OPEN;
  }

  private rec(dir: TranscriptLine["dir"], msg: unknown): void {
    if (this.record) this.lines.push({ dir, t: Date.now(), msg });
  }

  private onFrame(text: string): void {
    const at = performance.now();
    let msg: IncomingMessage;
    try {
      msg = JSON.parse(text);
    } catch {
      this.rec("<<?", text);
      return;
    }
    this.rec("<<", msg);
    this.messages.push(msg);
    this.opts.onMessage?.(msg, at);
    this.msgWaiters = this.msgWaiters.filter((w) => !(w.pred(msg) && (w.resolve(msg), true)));
    if (msg.id !== undefined && msg.id !== null && typeof msg.method === "string") {
      void this.onServerRequest(msg as ServerRequest);
      return;
    }
    if (msg.id !== undefined && msg.id !== null) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (p.timer) clearTimeout(p.timer);
      if (msg.error !== undefined) p.reject(new RpcError(p.method, msg.error));
      else p.resolve(msg.result);
      return;
    }
    if (typeof msg.method === "string") {
      const n = msg as Notification;
      this.notifications.push(n);
      this.noteWaiters = this.noteWaiters.filter((w) => !(w.pred(n) && (w.resolve(n), true)));
    }
  }

  private async onServerRequest(req: ServerRequest): Promise<void> {
    this.serverRequests.push(req);
    const policy = this.approve;
    if (policy === "manual") return;
    let answer: ServerRequestAnswer;
    if (typeof policy === "function") answer = await policy(req, undefined as never);
    else if (req.method.endsWith("requestApproval")) answer = { result: { decision: policy } };
    else answer = { result: {} };
    if (this.alive) this.send({ id: req.id, ...answer });
  }

  send(msg: object): void {
    this.rec(">>", msg);
    this.ws.send(JSON.stringify(msg));
  }

  request<T = any>(method: string, params?: unknown, timeoutMs = 30000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.alive) return reject(new Error(`${method}: connection is not open`));
      const p: Pending = { method, resolve: resolve as (v: unknown) => void, reject };
      if (timeoutMs > 0)
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`timeout after ${timeoutMs} ms waiting for ${method} (id ${id})`));
        }, timeoutMs);
      this.pending.set(id, p);
      this.send(params === undefined ? { id, method } : { id, method, params });
    });
  }

  /** Answers a server request by hand. */
  answer(id: number | string, result: unknown): void {
    this.send({ id, result });
  }

  notify(method: string, params?: unknown): void {
    this.send(params === undefined ? { method } : { method, params });
  }

  async initialize<T = any>(name = "spool-ws-test", capabilities: Record<string, unknown> = { experimentalApi: true }): Promise<T> {
    const r = await this.request<T>("initialize", { clientInfo: { name, version: "0.1.0" }, capabilities });
    this.notify("initialized");
    return r;
  }

  waitFor(pred: (n: Notification) => boolean, timeoutMs = 30000): Promise<Notification> {
    const hit = this.notifications.find(pred);
    if (hit) return Promise.resolve(hit);
    return this.wait(this.noteWaiters, pred, timeoutMs, "notification");
  }

  waitForNotification(method: string, pred: (params: any) => boolean = () => true, timeoutMs = 30000): Promise<Notification> {
    return this.waitFor((n) => n.method === method && pred(n.params), timeoutMs);
  }

  waitForMessage(pred: (m: IncomingMessage) => boolean, timeoutMs = 30000): Promise<IncomingMessage> {
    const hit = this.messages.find(pred);
    if (hit) return Promise.resolve(hit);
    return this.wait(this.msgWaiters, pred, timeoutMs, "message");
  }

  private wait<M>(list: Waiter<M>[], pred: (m: M) => boolean, timeoutMs: number, what: string): Promise<M> {
    return new Promise<M>((resolve, reject) => {
      const w: Waiter<M> = { pred, resolve: (m) => (clearTimeout(t), resolve(m)) };
      const t = setTimeout(() => {
        const i = list.indexOf(w);
        if (i >= 0) list.splice(i, 1);
        reject(new Error(`timeout after ${timeoutMs} ms waiting for a ${what}`));
      }, timeoutMs);
      list.push(w);
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }

  /** Drops the TCP connection without a close handshake. */
  terminate(): void {
    this.ws.terminate();
  }
}

export interface SpoolWsServer {
  url: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `spool app-server --home HOME --listen ws://127.0.0.1:0` and waits for its URL. */
export function startSpoolWs(home: string, env: Record<string, string> = {}): Promise<SpoolWsServer> {
  const child = spawn(process.execPath, [spoolMain(), "app-server", "--home", home, "--listen", "ws://127.0.0.1:0"], {
    cwd: home,
    env: { ...process.env, SPOOL_HOME: home, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d) => {
      err += d;
      const m = /listening on (ws:\/\/\S+)/.exec(err);
      if (m)
        resolve({
          url: m[1],
          child,
          stderr: () => err,
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null || child.signalCode !== null) return r();
              child.once("exit", () => r());
              child.kill("SIGTERM");
              setTimeout(() => child.kill("SIGKILL"), 5000).unref();
            }),
        });
    });
    child.once("exit", (code) => reject(new Error(`spool ws server exited ${code}: ${err}`)));
  });
}
