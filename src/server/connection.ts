// One client connection (stdio or a WebSocket): the initialize handshake, per-connection
// capabilities, request dispatch with a bounded number of requests in flight, notification
// opt-out, and server->client requests. Analytics hears of every request as it is dispatched,
// of every answer (success or error) before it is written, and of a successful initialize.
import { arch, release, type as osType } from "node:os";
import { z } from "zod";
import { RawJson, classify, encodeError, encodeNotification, encodeResult, type RequestId } from "./jsonrpc.js";
import { INTERNAL_ERROR, INVALID_REQUEST, OVERLOADED, PARSE_ERROR, RpcError, invalidRequest } from "./errors.js";
import { decodeParams } from "./params.js";
import type { AppServer } from "./app.js";
import { VERSION } from "../version.js";
import { WithFollowUp } from "./follow-up.js";

export { WithFollowUp };

const InitializeParams = z.object({
  clientInfo: z.object({ name: z.string().min(1), title: z.string().nullish(), version: z.string() }),
  capabilities: z
    .object({
      experimentalApi: z.boolean().optional(),
      optOutNotificationMethods: z.array(z.string()).nullish(),
    })
    .passthrough()
    .nullish(),
});

/** Codex answers a request it has no room for at once with this (-32001). */
export const OVERLOADED_MESSAGE = "Server overloaded; retry later.";

/**
 * The largest request a connection reads: 64 MiB, the WebSocket listener's `maxPayload` (the
 * message size tungstenite, Codex's WebSocket library, accepts by default); stdio uses the same.
 */
export const MAX_REQUEST_BYTES = 64 << 20;

/** Error messages are cut here: they may quote client input (a cursor, an id) of any size. */
export const MAX_ERROR_MESSAGE_CHARS = 16 << 10;

/** Requests one connection may have in flight before new ones are refused as overloaded (Codex's queue capacity). */
export const DEFAULT_MAX_INFLIGHT = 128;

let nextConnectionId = 1;

export interface ConnectionOptions {
  /** Requests in flight before new ones get -32001 (default 128). */
  maxInflight?: number;
  /** For analytics (default stdio). */
  transport?: "stdio" | "websocket";
}

export class Connection {
  readonly id = nextConnectionId++;
  private initialized = false;
  experimentalApi = false;
  clientName = "";
  clientVersion = "";
  private optOut = new Set<string>();
  private closed = false;
  private inflight = 0;
  private readonly maxInflight: number;
  private readonly closeListeners: Array<() => void> = [];
  readonly transport: "stdio" | "websocket";

  constructor(
    readonly server: AppServer,
    private readonly write: (line: string) => void,
    opts: ConnectionOptions = {},
  ) {
    this.maxInflight = opts.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.transport = opts.transport ?? "stdio";
  }

  private get analytics() {
    return this.server.analytics;
  }

  /** Writes an error answer (and tells analytics). */
  private sendError(id: RequestId | null, error: { code: number; message: string; data?: unknown }): void {
    if (error.message.length > MAX_ERROR_MESSAGE_CHARS) {
      const cut = error.message.length - MAX_ERROR_MESSAGE_CHARS;
      error = { ...error, message: `${error.message.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (${cut} more characters not shown)` };
    }
    if (id !== null) this.analytics?.trackClientError(this.id, id, error);
    this.send(encodeError(id, error));
  }

  /** A request line over the size cap (skipped unread): answered with its id when its head shows one. */
  handleOversized(head: string, bytes: number, limit: number): void {
    const m = /^\s*\{\s*"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,15})\s*,/.exec(head);
    const id = m ? (JSON.parse(m[1]) as RequestId) : null;
    this.server.log.warn({ conn: this.id, bytes, limit }, "dropped an oversized message");
    this.sendError(id, { code: INVALID_REQUEST, message: `Invalid request: message of ${bytes} bytes is larger than the limit of ${limit} bytes` });
  }

  /** Handles one inbound message; never throws. */
  async handleLine(text: string): Promise<void> {
    if (!text.trim()) return;
    const msg = classify(text);
    switch (msg.kind) {
      case "invalid":
        this.server.log.warn({ conn: this.id, reason: msg.reason }, "dropped an invalid message");
        this.sendError(msg.id, { code: msg.reason.startsWith("Parse error") ? PARSE_ERROR : INVALID_REQUEST, message: msg.reason });
        return;
      case "notification":
        if (msg.method === "initialized") return;
        this.server.log.debug({ conn: this.id, method: msg.method }, "ignored client notification");
        return;
      case "response":
        this.server.onClientResponse?.(this, msg.id, msg.result, msg.error);
        return;
      case "request":
        if (this.inflight >= this.maxInflight) {
          this.sendError(msg.id, { code: OVERLOADED, message: OVERLOADED_MESSAGE });
          return;
        }
        this.inflight++;
        try {
          await this.handleRequest(msg.id, msg.method, msg.params);
        } finally {
          this.inflight--;
        }
    }
  }

  private async handleRequest(id: RequestId, method: string, params: unknown): Promise<void> {
    let result: unknown;
    this.analytics?.trackClientRequest(this.id, id, method, params);
    try {
      result = await this.dispatch(method, params);
    } catch (e) {
      if (e instanceof RpcError) this.sendError(id, e.toJSON());
      else {
        this.server.log.error({ err: e, method }, "request failed");
        this.sendError(id, { code: INTERNAL_ERROR, message: `internal error: ${(e as Error).message}` });
      }
      return;
    }
    const answer = result instanceof WithFollowUp ? result.result : result;
    if (method === "initialize") this.analytics?.trackInitialize(this.id, params as never, { transport: this.transport });
    // list answers are pre-serialized (RawJson): analytics keeps none of them
    else if (!(answer instanceof RawJson)) this.analytics?.trackClientResponse(this.id, id, method, answer);
    if (result instanceof WithFollowUp) {
      try {
        this.send(encodeResult(id, result.result));
      } finally {
        try {
          result.after();
        } catch (e) {
          this.server.log.error({ err: e, method }, "follow-up of a response failed");
        }
      }
      return;
    }
    this.send(encodeResult(id, result));
  }

  private async dispatch(method: string, params: unknown): Promise<unknown> {
    if (method === "initialize") return this.initialize(params);
    if (!this.initialized) throw invalidRequest("Not initialized");
    const def = this.server.methods.get(method);
    if (!def) throw invalidRequest(`Invalid request: unknown variant \`${method}\`, expected one of ${[...this.server.methods.keys()].map((m) => `\`${m}\``).join(", ")}`);
    return def(params, this);
  }

  private initialize(params: unknown) {
    if (this.initialized) throw invalidRequest("Already initialized");
    const p = decodeParams(InitializeParams, params);
    this.initialized = true;
    this.clientName = p.clientInfo.name;
    this.clientVersion = p.clientInfo.version;
    this.experimentalApi = p.capabilities?.experimentalApi ?? false;
    this.optOut = new Set(p.capabilities?.optOutNotificationMethods ?? []);
    // userAgent's product token: `<originator>/<version>` in Codex, whose TUI reads the version
    // after the "/" as the server's Codex version and, when that is an older semver than its own,
    // warns "A background Codex service is running v…, older than your Codex CLI" (checked with
    // the real 0.169.0 TUI: "…/0.1.0" and "…/0.1.0-spool" warn, a token that is not a semver
    // does not). Spool is not a Codex release, so it names itself: `spool-<Spool's version>`
    // says what the server is without claiming a Codex version it is not, and a client has no
    // Codex version to compare with.
    const answer = {
      userAgent: `${p.clientInfo.name}/spool-${VERSION} (${osType()} ${release()}; ${arch()}) spool (${p.clientInfo.name}; ${p.clientInfo.version})`,
      codexHome: this.server.home,
      platformFamily: process.platform === "win32" ? "windows" : "unix",
      platformOs: process.platform === "darwin" ? "macos" : process.platform === "win32" ? "windows" : "linux",
    };
    return new WithFollowUp(answer, () => this.server.greet(this));
  }

  get isInitialized(): boolean {
    return this.initialized;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether this connection wants notifications of this method (initialized, not opted out, open). */
  wants(method: string): boolean {
    return this.initialized && !this.closed && !this.optOut.has(method);
  }

  notify(method: string, params: unknown): void {
    if (!this.wants(method)) return;
    this.send(encodeNotification(method, params));
  }

  /** A notification already encoded (one encoding shared by every receiver of a broadcast). */
  notifyEncoded(method: string, line: string): void {
    if (this.wants(method)) this.send(line);
  }

  /** A server->client request (never filtered by the opt-out); whether it was written. */
  sendRequest(id: number, method: string, params: unknown): boolean {
    if (!this.initialized || this.closed) return false;
    this.send(JSON.stringify({ id, method, params }));
    return true;
  }

  send(line: string): void {
    if (!this.closed) this.write(line);
  }

  /** Runs `fn` once when the connection closes (immediately if it already has). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.closeListeners.splice(0)) {
      try {
        fn();
      } catch (e) {
        this.server.log.error({ err: e, conn: this.id }, "connection close listener failed");
      }
    }
  }
}
