// A JSON-RPC client, app-server dialect (one JSON object per line, no "jsonrpc" field), over a
// child process's stdio: the server is spawned here, its stderr kept, its exit fails what is
// still waiting. Requests, transcript, notifications and approvals are RpcClientCore's.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import readline from "node:readline";
import fs from "node:fs";
import { RpcClientCore, type RpcCoreOptions } from "./rpc-core.js";

export {
  RpcError,
  type ApprovalPolicy,
  type IncomingMessage,
  type Notification,
  type RequestId,
  type RpcErrorObject,
  type ServerRequest,
  type ServerRequestAnswer,
  type ServerRequestHandler,
  type TimedResult,
  type TranscriptLine,
} from "./rpc-core.js";

export interface RpcClientOptions extends Omit<RpcCoreOptions, "onMessage"> {
  /** Added to the environment (process.env unless `inheritEnv` is false). */
  env?: Record<string, string | undefined>;
  inheritEnv?: boolean;
  cwd?: string;
  /** Write the transcript (JSONL) here on close(). */
  transcript?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const STDERR_KEEP = 64 * 1024;

export class RpcClient extends RpcClientCore {
  readonly child: ChildProcessWithoutNullStreams;
  readonly cmd: string;
  readonly args: string[];
  /** The tail of the child's stderr. */
  stderr = "";
  /** Resolves when the child has exited. */
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | null = null;

  private readonly transcript?: string;
  private spawnError: Error | null = null;

  constructor(cmd: string, args: string[] = [], opts: RpcClientOptions = {}) {
    super(opts);
    this.cmd = cmd;
    this.args = args;
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
    readline.createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on("line", (l) => {
      const receivedAt = performance.now();
      if (l.trim() !== "") this.receive(l, receivedAt);
    });
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
          this.failAll(new Error(`${this.describe()} exited (${signal ?? `code ${code}`})${this.diagnostics()}`));
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

  protected get ended(): Promise<ExitInfo> {
    return this.exited;
  }

  protected describe(): string {
    return `server \`${[this.cmd, ...this.args].join(" ")}\``;
  }

  protected override diagnostics(): string {
    const s = this.stderr.trim();
    return s ? `; stderr: ${s.slice(-2000)}` : "";
  }

  protected write(text: string): void {
    this.child.stdin.write(text + "\n");
  }

  /** Writes a raw line as is (a newline is added unless it ends with one), for bad-input tests. */
  sendRaw(line: string): void {
    this.rec(">>", line);
    this.child.stdin.write(line.endsWith("\n") ? line : line + "\n");
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
