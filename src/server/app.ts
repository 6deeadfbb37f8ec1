// The app-server: shared state behind every connection (home, config, index, methods).
import { loadConfig, type SpoolConfig } from "../config/config.js";
import { HomeIndex } from "../store/local/home-index.js";
import { log as rootLog, type Logger } from "../util/log.js";
import type { Connection } from "./connection.js";
import type { RequestId } from "./jsonrpc.js";
import { registerReadMethods } from "./methods/threads-read.js";

export type MethodHandler = (params: unknown, conn: Connection) => Promise<unknown> | unknown;

export interface AppServerOptions {
  home: string;
  log?: Logger;
  /** Keep the index in memory only (tests, read-only homes). */
  memoryIndex?: boolean;
}

export class AppServer {
  readonly home: string;
  readonly config: SpoolConfig;
  readonly index: HomeIndex;
  readonly log: Logger;
  readonly methods = new Map<string, MethodHandler>();
  readonly connections = new Set<Connection>();
  onClientResponse?: (conn: Connection, id: RequestId, result: unknown, error: unknown) => void;

  constructor(opts: AppServerOptions) {
    this.home = opts.home;
    this.log = opts.log ?? rootLog;
    this.config = loadConfig(opts.home);
    this.index = new HomeIndex({
      home: opts.home,
      defaultProvider: this.config.modelProvider,
      memory: opts.memoryIndex,
      warn: (m) => this.log.warn(m),
    });
    registerReadMethods(this);
  }

  /** Brings the index up to date with the JSONL before the first request is served. */
  async start(): Promise<void> {
    this.index.startWatching();
    const stats = await this.index.sync();
    this.log.info(stats, "index synced");
  }

  register(method: string, handler: MethodHandler): void {
    this.methods.set(method, handler);
  }

  attach(conn: Connection): void {
    this.connections.add(conn);
  }

  detach(conn: Connection): void {
    conn.close();
    this.connections.delete(conn);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close();
    this.index.close();
  }
}
