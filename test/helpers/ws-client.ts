// A JSON-RPC client over a WebSocket (one message per text frame): RpcClientCore (requests,
// notify, waitFor, notifications, serverRequests, approve policy, transcript lines) on a socket,
// and a way to start `spool app-server --listen ws://127.0.0.1:0`.
import { spawn, type ChildProcess } from "node:child_process";
import WebSocket from "ws";
import { spoolMain } from "./spool.js";
import { RpcClientCore, type RpcCoreOptions } from "./rpc-core.js";

export interface WsClientOptions extends RpcCoreOptions {
  headers?: Record<string, string>;
}

export class WsRpcClient extends RpcClientCore {
  readonly closed: Promise<{ code: number; reason: string }>;
  private isOpen = false;

  private constructor(
    readonly ws: WebSocket,
    opts: WsClientOptions,
  ) {
    super(opts);
    ws.on("message", (d) => this.receive(d.toString(), performance.now()));
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        this.isOpen = false;
        this.failAll(new Error(`connection closed (${code})`));
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

  protected get ended(): Promise<unknown> {
    return this.closed;
  }

  protected describe(): string {
    return `WebSocket ${this.ws.url}`;
  }

  protected write(text: string): void {
    this.ws.send(text);
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
          stop: () => stopChild(child),
        });
    });
    child.once("exit", (code) => reject(new Error(`spool ws server exited ${code}: ${err}`)));
  });
}

/** Stops a server child: SIGTERM, SIGKILL after 5 s; resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once("exit", () => r());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}
