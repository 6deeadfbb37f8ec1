// One `command/exec` process: spawned (already wrapped by the sandbox launcher), its output
// captured up to a per-stream cap or streamed chunk by chunk, stdin open only when the client
// streams it, a timeout, and termination. Exit codes follow the shell convention Codex answers:
// 124 on timeout, 128 + signal when killed (137 after terminate).
import { spawn, type ChildProcess } from "node:child_process";

export type OutputStream = "stdout" | "stderr";

export interface ExecSpec {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Bytes kept per stream; null = no cap. */
  outputCap: number | null;
  /** Null = no timeout. */
  timeoutMs: number | null;
  streamStdin: boolean;
  /** When set, output goes here chunk by chunk instead of into the result. */
  onOutput?: (stream: OutputStream, chunk: Buffer, capReached: boolean) => void;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const TIMEOUT_EXIT = 124;
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

export class ExecSpawnError extends Error {}

/** A running command. `done` settles once it has exited and all its output was delivered. */
export class ExecProcess {
  readonly done: Promise<ExecResult>;
  readonly streamsStdin: boolean;
  private readonly child: ChildProcess;
  private timedOut = false;

  constructor(spec: ExecSpec) {
    this.streamsStdin = spec.streamStdin;
    // its own process group, so terminate reaches everything it started
    this.child = spawn(spec.argv[0], spec.argv.slice(1), { cwd: spec.cwd, env: spec.env, stdio: [spec.streamStdin ? "pipe" : "ignore", "pipe", "pipe"], detached: true });
    const captured = { stdout: new Capture(spec.outputCap), stderr: new Capture(spec.outputCap) };
    for (const stream of ["stdout", "stderr"] as const) {
      this.child[stream]!.on("data", (chunk: Buffer) => {
        const cap = captured[stream];
        const kept = cap.take(chunk);
        if (spec.onOutput && (kept.length > 0 || cap.justReached)) spec.onOutput(stream, kept, cap.justReached);
      });
    }
    this.child.stdin?.on("error", () => {}); // a write after the command exited is not the server's failure
    const timer = spec.timeoutMs == null ? null : setTimeout(() => ((this.timedOut = true), this.kill()), spec.timeoutMs);
    this.done = new Promise((resolve, reject) => {
      this.child.once("error", (e) => {
        if (timer) clearTimeout(timer);
        reject(new ExecSpawnError(e.message));
      });
      // "close": the process exited and both pipes reached their end
      this.child.once("close", (code, signal) => {
        if (timer) clearTimeout(timer);
        const exitCode = this.timedOut ? TIMEOUT_EXIT : signal ? 128 + (SIGNAL_NUMBERS[signal] ?? 0) : (code ?? 1);
        const text = (s: OutputStream) => (spec.onOutput ? "" : captured[s].text());
        resolve({ exitCode, stdout: text("stdout"), stderr: text("stderr") });
      });
    });
  }

  write(bytes: Buffer): void {
    this.child.stdin?.write(bytes);
  }

  closeStdin(): void {
    this.child.stdin?.end();
  }

  kill(): void {
    try {
      if (this.child.pid) process.kill(-this.child.pid, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL"); // already gone, or no group of its own
    }
  }
}

/** Output of one stream up to a byte cap. */
class Capture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** True for the one chunk at which the cap was first hit. */
  justReached = false;
  private reached = false;
  constructor(private readonly cap: number | null) {}

  take(chunk: Buffer): Buffer {
    this.justReached = false;
    if (this.reached) return Buffer.alloc(0);
    let kept = chunk;
    if (this.cap != null && this.size + chunk.length > this.cap) {
      kept = chunk.subarray(0, this.cap - this.size);
      this.reached = this.justReached = true;
    }
    this.size += kept.length;
    this.chunks.push(kept);
    return kept;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}
