// One client connection (stdio or a WebSocket): the initialize handshake, per-connection
// capabilities, request dispatch and notification opt-out.
import { arch, release, type as osType } from "node:os";
import { z } from "zod";
import { classify, encodeError, encodeNotification, encodeResult, type RequestId } from "./jsonrpc.js";
import { INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, RpcError, invalidRequest } from "./errors.js";
import { decodeParams } from "./params.js";
import type { AppServer } from "./app.js";
import { VERSION } from "../version.js";

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

let nextConnectionId = 1;

export class Connection {
  readonly id = nextConnectionId++;
  private initialized = false;
  experimentalApi = false;
  clientName = "";
  private optOut = new Set<string>();
  private closed = false;

  constructor(
    readonly server: AppServer,
    private readonly write: (line: string) => void,
  ) {}

  /** Handles one inbound message; never throws. */
  async handleLine(text: string): Promise<void> {
    if (!text.trim()) return;
    const msg = classify(text);
    switch (msg.kind) {
      case "invalid":
        this.server.log.warn({ conn: this.id, reason: msg.reason }, "dropped an invalid message");
        this.send(encodeError(msg.id, { code: msg.reason.startsWith("Parse error") ? PARSE_ERROR : INVALID_REQUEST, message: msg.reason }));
        return;
      case "notification":
        if (msg.method === "initialized") return;
        this.server.log.debug({ conn: this.id, method: msg.method }, "ignored client notification");
        return;
      case "response":
        this.server.onClientResponse?.(this, msg.id, msg.result, msg.error);
        return;
      case "request":
        await this.handleRequest(msg.id, msg.method, msg.params);
    }
  }

  private async handleRequest(id: RequestId, method: string, params: unknown): Promise<void> {
    try {
      const result = await this.dispatch(method, params);
      this.send(encodeResult(id, result));
    } catch (e) {
      if (e instanceof RpcError) this.send(encodeError(id, e.toJSON()));
      else {
        this.server.log.error({ err: e, method }, "request failed");
        this.send(encodeError(id, { code: INTERNAL_ERROR, message: `internal error: ${(e as Error).message}` }));
      }
    }
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
    this.experimentalApi = p.capabilities?.experimentalApi ?? false;
    this.optOut = new Set(p.capabilities?.optOutNotificationMethods ?? []);
    return {
      userAgent: `${p.clientInfo.name}/${VERSION} (${osType()} ${release()}; ${arch()}) spool (${p.clientInfo.name}; ${p.clientInfo.version})`,
      codexHome: this.server.home,
      platformFamily: process.platform === "win32" ? "windows" : "unix",
      platformOs: process.platform === "darwin" ? "macos" : process.platform === "win32" ? "windows" : "linux",
    };
  }

  get isInitialized(): boolean {
    return this.initialized;
  }

  notify(method: string, params: unknown): void {
    if (!this.initialized || this.optOut.has(method)) return;
    this.send(encodeNotification(method, params));
  }

  send(line: string): void {
    if (!this.closed) this.write(line);
  }

  close(): void {
    this.closed = true;
  }
}
