// The transport-agnostic half of the test JSON-RPC clients, app-server dialect (no "jsonrpc"
// field): request ids and pending answers, the transcript (format of the corpus:
// {dir: ">>" | "<<" | "<<?", t, msg}), notifications and their waiters, and answers to
// server->client requests (approvals) by a policy. RpcClient (rpc-client.ts, a child's stdio)
// and WsRpcClient (ws-client.ts, a WebSocket) add the transport.

/**
 * How long a request or wait may take before it fails: a guard against a hang, not a measure of
 * speed, so it is generous (a test machine may be loaded by many other processes).
 */
export const DEFAULT_WAIT_MS = 300_000;

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
export type ServerRequestHandler = (req: ServerRequest, client: RpcClientCore) => ServerRequestAnswer | Promise<ServerRequestAnswer>;

/**
 * How server requests are answered. A decision string answers every `*requestApproval` with
 * `{decision}` and the legacy `execCommandApproval`/`applyPatchApproval` with approved/denied;
 * any other server request gets `{}`. A function decides itself; "manual" leaves them
 * unanswered (answer() them by hand).
 */
export type ApprovalPolicy = "accept" | "acceptForSession" | "decline" | "cancel" | "manual" | ServerRequestHandler;

export interface RpcCoreOptions {
  approve?: ApprovalPolicy;
  /** Keep every line in `lines` (default true; set false for big responses in benchmarks). */
  record?: boolean;
  /** Called for every incoming message, with the time it arrived (performance.now()). */
  onMessage?: (msg: IncomingMessage, receivedAt: number) => void;
}

export interface TimedResult<T> {
  result: T;
  /** performance.now() when the request was written. */
  sentAt: number;
  /** performance.now() when the whole response had arrived (before JSON.parse). */
  receivedAt: number;
  /** receivedAt - sentAt, in ms. */
  ms: number;
  /** Length of the response text in UTF-16 code units. */
  chars: number;
}

interface Pending {
  method: string;
  resolve: (v: { result: unknown; receivedAt: number; chars: number }) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Waiter<M> {
  pred: (m: M) => boolean;
  resolve: (m: M) => void;
}

export abstract class RpcClientCore {
  /** Every message both ways, when `record` is on. */
  readonly lines: TranscriptLine[] = [];
  /** Every parsed incoming message, in order (notifications, responses, server requests). */
  readonly messages: IncomingMessage[] = [];
  /** Server notifications, in order. */
  readonly notifications: Notification[] = [];
  /** Server->client requests, in order, as received. */
  readonly serverRequests: ServerRequest[] = [];
  /** Incoming messages that were not JSON objects. */
  readonly badLines: string[] = [];
  approve: ApprovalPolicy;

  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private noteWaiters: Waiter<Notification>[] = [];
  private msgWaiters: Waiter<IncomingMessage>[] = [];
  private readonly record: boolean;
  private readonly onMessage?: RpcCoreOptions["onMessage"];

  protected constructor(opts: RpcCoreOptions) {
    this.approve = opts.approve ?? "accept";
    this.record = opts.record ?? true;
    this.onMessage = opts.onMessage;
  }

  /** Whether messages can still be sent. */
  abstract get alive(): boolean;
  /** Resolves once the transport is gone (no answer or notification can come any more). */
  protected abstract get ended(): Promise<unknown>;
  /** Writes one message's text to the transport. */
  protected abstract write(text: string): void;
  /** Names the other end in errors. */
  protected abstract describe(): string;
  /** What the other end said before failing (a stderr tail), appended to errors. */
  protected diagnostics(): string {
    return "";
  }

  protected rec(dir: TranscriptLine["dir"], msg: unknown): void {
    if (this.record) this.lines.push({ dir, t: Date.now(), msg });
  }

  /** Handles one incoming message's text (a line or a frame) that arrived at `receivedAt`. */
  protected receive(text: string, receivedAt: number): void {
    let msg: IncomingMessage;
    try {
      msg = JSON.parse(text);
    } catch {
      this.badLines.push(text);
      this.rec("<<?", text);
      return;
    }
    this.rec("<<", msg);
    if (msg === null || typeof msg !== "object") {
      this.badLines.push(text);
      return;
    }
    this.messages.push(msg);
    this.onMessage?.(msg, receivedAt);
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
      else p.resolve({ result: msg.result, receivedAt, chars: text.length });
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
    const policy = this.approve;
    if (policy === "manual") return;
    let answer: ServerRequestAnswer;
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

  /** Rejects every request still waiting for its answer (`<method>: <err>`). */
  protected failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.reject(new Error(`${p.method}: ${err.message}`));
    }
  }

  /** Sends one message. */
  send(msg: object): void {
    this.rec(">>", msg);
    this.write(JSON.stringify(msg));
  }

  /** The id the next request() will use. */
  peekNextId(): number {
    return this.nextId;
  }

  /** Sends a request and resolves with its result, with arrival timing. */
  requestTimed<T = any>(method: string, params?: unknown, timeoutMs = DEFAULT_WAIT_MS): Promise<TimedResult<T>> {
    const id = this.nextId++;
    return new Promise<TimedResult<T>>((resolve, reject) => {
      if (!this.alive) {
        reject(new Error(`${method}: ${this.describe()} is not running${this.diagnostics()}`));
        return;
      }
      const sentAt = performance.now();
      const p: Pending = {
        method,
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
  async request<T = any>(method: string, params?: unknown, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    return (await this.requestTimed<T>(method, params, timeoutMs)).result;
  }

  /** Sends a notification (no id). */
  notify(method: string, params?: unknown): void {
    this.send(params === undefined ? { method } : { method, params });
  }

  /** Answers a server request by hand (with approve "manual"). */
  answer(id: RequestId, result: unknown): void {
    this.send({ id, result });
  }

  /** `initialize` (clientInfo `name`, experimentalApi on), then the `initialized` notification. */
  async initialize<T = any>(name = "spool-test", capabilities: Record<string, unknown> = { experimentalApi: true }, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    const r = await this.request<T>("initialize", { clientInfo: { name, version: "0.1.0" }, capabilities }, timeoutMs);
    this.notify("initialized");
    return r;
  }

  /** The first notification (already received or to come) matching `pred`. */
  waitFor(pred: (n: Notification) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<Notification> {
    const hit = this.notifications.find(pred);
    if (hit) return Promise.resolve(hit);
    return this.wait(this.noteWaiters, pred, timeoutMs, "notification");
  }

  /** The first notification with this method (and matching `pred`). */
  waitForNotification(method: string, pred: (params: any) => boolean = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<Notification> {
    return this.waitFor((n) => n.method === method && pred(n.params), timeoutMs);
  }

  /** The first incoming message of any kind (already received or to come) matching `pred`. */
  waitForMessage(pred: (m: IncomingMessage) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<IncomingMessage> {
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
      // a closed transport will never bring it
      void this.ended.then(() => {
        if (list.includes(w)) {
          clearTimeout(t);
          list.splice(list.indexOf(w), 1);
          reject(new Error(`${this.describe()} ended while waiting for a ${what}${this.diagnostics()}`));
        }
      });
    });
  }

  /** Forgets the notifications received so far (waitFor then only sees new ones). */
  clearNotifications(): void {
    this.notifications.length = 0;
  }
}
