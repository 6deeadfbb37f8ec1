// A JSON-RPC client, app-server dialect (one JSON object per line, no "jsonrpc" field), over a
// child process's stdio. Records every line both ways (transcript format of the corpus:
// {dir: ">>" | "<<" | "<<?", t, msg}), captures notifications, and answers server->client
// requests (approvals) by a policy.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import readline from "node:readline";
import fs from "node:fs";

export type RequestId = number | string;

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A JSON-RPC error answer. `rpc` is the error object exactly as the server sent it. */
export class RpcError extends Error {
  readonly rpc: RpcErrorObject;
  readonly method: string;
  constructor(method: string, rpc: RpcErrorObject) {
    super(`${method}: ${rpc?.message ?? "error"} (code ${rpc?.code})`);
    this.name = "RpcError";
    this.rpc = rpc;
    this.method = method;
  }
}

/** Anything the server sent that parsed as JSON. */
export interface IncomingMessage {
  id?: RequestId | null;
  method?: string;
  params?: any;
  result?: any;
  error?: RpcErrorObject;
  [k: string]: unknown;
}

export interface Notification {
  method: string;
  params?: any;
  [k: string]: unknown;
}

export interface ServerRequest {
  id: RequestId;
  method: string;
  params?: any;
}

export interface TranscriptLine {
  dir: ">>" | "<<" | "<<?";
  t: number;
  msg: unknown;
}

/** What to answer a server request with: `{result}` or `{error}`. */
export type ServerRequestAnswer = { result: unknown } | { error: RpcErrorObject };
export type ServerRequestHandler = (req: ServerRequest, client: RpcClient) => ServerRequestAnswer | Promise<ServerRequestAnswer>;

/**
 * How server requests are answered. A decision string answers every `*requestApproval` with
 * `{decision}` and the legacy `execCommandApproval`/`applyPatchApproval` with approved/denied;
 * any other server request gets `{}`. A function decides itself.
 */
export type ApprovalPolicy = "accept" | "acceptForSession" | "decline" | "cancel" | ServerRequestHandler;

export interface RpcClientOptions {
  /** Added to the environment (process.env unless `inheritEnv` is false). */
  env?: Record<string, string | undefined>;
  inheritEnv?: boolean;
  cwd?: string;
  /** Write the transcript (JSONL) here on close(). */
  transcript?: string;
  approve?: ApprovalPolicy;
  /** Keep every line in `lines` (default true; set false for big responses in benchmarks). */
  record?: boolean;
}

export interface TimedResult<T> {
  result: T;
  /** performance.now() when the request was written. */
  sentAt: number;
  /** performance.now() when the whole response line had arrived (before JSON.parse). */
  receivedAt: number;
  /** receivedAt - sentAt, in ms. */
  ms: number;
  /** Length of the response line in UTF-16 code units. */
  chars: number;
}

interface Pending {
  method: string;
  sentAt: number;
  resolve: (v: { result: unknown; receivedAt: number; chars: number }) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Waiter<M> {
  pred: (m: M) => boolean;
  resolve: (m: M) => void;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const STDERR_KEEP = 64 * 1024;

export class RpcClient {
  readonly child: ChildProcessWithoutNullStreams;
  readonly cmd: string;
  readonly args: string[];
  /** Every line both ways, when `record` is on. */
  readonly lines: TranscriptLine[] = [];
  /** Every parsed incoming message, in order (notifications, responses, server requests). */
  readonly messages: IncomingMessage[] = [];
  /** Server notifications, in order. */
  readonly notifications: Notification[] = [];
  /** Server->client requests, in order, as received. */
  readonly serverRequests: ServerRequest[] = [];
  /** Incoming lines that were not JSON. */
  readonly badLines: string[] = [];
  /** The tail of the child's stderr. */
  stderr = "";
  /** Resolves when the child has exited. */
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | null = null;
  approve: ApprovalPolicy;

  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private noteWaiters: Waiter<Notification>[] = [];
  private msgWaiters: Waiter<IncomingMessage>[] = [];
  private readonly record: boolean;
  private readonly transcript?: string;
  private spawnError: Error | null = null;

  constructor(cmd: string, args: string[] = [], opts: RpcClientOptions = {}) {
    this.cmd = cmd;
    this.args = args;
    this.approve = opts.approve ?? "accept";
    this.record = opts.record ?? true;
    this.transcript = opts.transcript;
    const base = opts.inheritEnv === false ? {} : process.env;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...base, ...opts.env })) if (v !== undefined) env[k] = v;
    this.child = spawn(cmd, args, { env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (d: string) => {
      this.stderr += d;
      if (this.stderr.length > 2 * STDERR_KEEP) this.stderr = this.stderr.slice(-STDERR_KEEP);
    });
    // a server that dies must not crash the test process with EPIPE
    this.child.stdin.on("error", () => {});
    readline.createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on("line", (l) => this.onLine(l));
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.on("error", (e) => {
        this.spawnError = e;
        this.exitInfo ??= { code: null, signal: null };
        this.failAll(new Error(`${this.describe()} failed to start: ${e.message}`));
        resolve(this.exitInfo);
      });
      const stdoutDone = new Promise<void>((r) => {
        this.child.stdout.on("end", r);
        this.child.stdout.on("close", r);
      });
      this.child.on("exit", (code, signal) => {
        const info: ExitInfo = { code, signal };
        this.exitInfo = info;
        // let stdout drain (its last answers still count) before failing what is still pending;
        // a grandchild may hold stdout open, hence the cap
        void Promise.race([stdoutDone, new Promise((r) => setTimeout(r, 250))]).then(() => {
          this.failAll(new Error(`${this.describe()} exited (${signal ?? `code ${code}`})${this.stderrTail()}`));
          resolve(info);
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitInfo === null && this.spawnError === null;
  }

  private describe(): string {
    return `server \`${[this.cmd, ...this.args].join(" ")}\``;
  }

  private stderrTail(): string {
    const s = this.stderr.trim();
    return s ? `; stderr: ${s.slice(-2000)}` : "";
  }

  private rec(dir: TranscriptLine["dir"], msg: unknown): void {
    if (this.record) this.lines.push({ dir, t: Date.now(), msg });
  }

  private onLine(line: string): void {
    const receivedAt = performance.now();
    if (line.trim() === "") return;
    let msg: IncomingMessage;
    try {
      msg = JSON.parse(line);
    } catch {
      this.badLines.push(line);
      this.rec("<<?", line);
      return;
    }
    this.rec("<<", msg);
    if (msg === null || typeof msg !== "object") {
      this.badLines.push(line);
      return;
    }
    this.messages.push(msg);
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
      else p.resolve({ result: msg.result, receivedAt, chars: line.length });
      return;
    }
    if (typeof msg.method === "string") {
      const note = msg as Notification;
      this.notifications.push(note);
      this.noteWaiters = this.noteWaiters.filter((w) => !(w.pred(note) && (w.resolve(note), true)));
    }
  }

  private async onServerRequest(req: ServerRequest): Promise<void> {
    this.serverRequests.push(req);
    let answer: ServerRequestAnswer;
    const policy = this.approve;
    try {
      if (typeof policy === "function") answer = await policy(req, this);
      else if (req.method.endsWith("requestApproval")) answer = { result: { decision: policy } };
      else if (req.method === "execCommandApproval" || req.method === "applyPatchApproval")
        answer = { result: { decision: policy === "accept" || policy === "acceptForSession" ? "approved" : "denied" } };
      else answer = { result: {} };
    } catch (e) {
      answer = { error: { code: -32603, message: e instanceof Error ? e.message : String(e) } };
    }
    if (this.alive) this.send({ id: req.id, ...answer });
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.reject(new Error(`${p.method}: ${err.message}`));
    }
  }

  /** Writes one message as a line. */
  send(msg: object): void {
    this.rec(">>", msg);
    this.child.stdin.write(JSON.stringify(msg) + "\n");
  }

  /** Writes a raw line as is (a newline is added unless it ends with one), for bad-input tests. */
  sendRaw(line: string): void {
    this.rec(">>", line);
    this.child.stdin.write(line.endsWith("\n") ? line : line + "\n");
  }

  /** The id the next request() will use. */
  peekNextId(): number {
    return this.nextId;
  }

  /** Sends a request and resolves with its result, with arrival timing. */
  requestTimed<T = any>(method: string, params?: unknown, timeoutMs = 30000): Promise<TimedResult<T>> {
    const id = this.nextId++;
    return new Promise<TimedResult<T>>((resolve, reject) => {
      if (!this.alive) {
        reject(new Error(`${method}: ${this.describe()} is not running${this.stderrTail()}`));
        return;
      }
      const sentAt = performance.now();
      const p: Pending = {
        method,
        sentAt,
        resolve: ({ result, receivedAt, chars }) => resolve({ result: result as T, sentAt, receivedAt, ms: receivedAt - sentAt, chars }),
        reject,
      };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs))
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`timeout after ${timeoutMs} ms waiting for ${method} (id ${id})`));
        }, timeoutMs);
      this.pending.set(id, p);
      this.send(params === undefined ? { id, method } : { id, method, params });
    });
  }

  /** Sends a request; rejects with an RpcError (`.rpc = {code, message, data}`) on an error answer. */
  async request<T = any>(method: string, params?: unknown, timeoutMs = 30000): Promise<T> {
    return (await this.requestTimed<T>(method, params, timeoutMs)).result;
  }

  /** Sends a notification (no id). */
  notify(method: string, params?: unknown): void {
    this.send(params === undefined ? { method } : { method, params });
  }

  /** `initialize` (clientInfo `name`, experimentalApi on), then the `initialized` notification. */
  async initialize<T = any>(name = "spool-test", capabilities: Record<string, unknown> = { experimentalApi: true }, timeoutMs = 30000): Promise<T> {
    const r = await this.request<T>("initialize", { clientInfo: { name, version: "0.1.0" }, capabilities }, timeoutMs);
    this.notify("initialized");
    return r;
  }

  /** The first notification (already received or to come) matching `pred`. */
  waitFor(pred: (n: Notification) => boolean, timeoutMs = 30000): Promise<Notification> {
    const hit = this.notifications.find(pred);
    if (hit) return Promise.resolve(hit);
    return this.wait(this.noteWaiters, pred, timeoutMs, "notification");
  }

  /** The first notification with this method (and matching `pred`). */
  waitForNotification(method: string, pred: (params: any) => boolean = () => true, timeoutMs = 30000): Promise<Notification> {
    return this.waitFor((n) => n.method === method && pred(n.params), timeoutMs);
  }

  /** The first incoming message of any kind (already received or to come) matching `pred`. */
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
      // a dead server will never send it
      void this.exited.then(() => {
        if (list.includes(w)) {
          clearTimeout(t);
          list.splice(list.indexOf(w), 1);
          reject(new Error(`${this.describe()} exited while waiting for a ${what}${this.stderrTail()}`));
        }
      });
    });
  }

  /** Forgets the notifications received so far (waitFor then only sees new ones). */
  clearNotifications(): void {
    this.notifications.length = 0;
  }

  /** Peak resident set size of the server process (VmHWM, Linux), in MB; null if unavailable. */
  peakRssMb(): number | null {
    return readVmHwmMb(this.pid);
  }

  /** Closes stdin, waits for exit (SIGKILL after `killAfterMs`), writes the transcript if asked. */
  async close(killAfterMs = 5000): Promise<ExitInfo> {
    if (this.alive) this.child.stdin.end();
    const t = setTimeout(() => this.kill("SIGKILL"), killAfterMs);
    const info = await this.exited;
    clearTimeout(t);
    if (this.transcript) this.writeTranscript(this.transcript);
    return info;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.alive) this.child.kill(signal);
  }

  writeTranscript(file: string): void {
    fs.writeFileSync(file, this.lines.map((l) => JSON.stringify(l)).join("\n") + (this.lines.length ? "\n" : ""));
  }
}

/** VmHWM of a process in MB (Linux /proc); null when unreadable. */
export function readVmHwmMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
