// Runs one command for exec_command: its own process group (so a timeout or an interrupt kills
// everything it started), stdin closed, stdout and stderr merged in arrival order and streamed
// to `onOutput`, the captured output bounded (head and tail kept), wall time measured.
import { spawn } from "node:child_process";
import { constants as osConstants } from "node:os";
import { StringDecoder } from "node:string_decoder";

export interface RunCommandParams {
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command (and its group) after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Decoded output chunks as they arrive (stdout and stderr). */
  onOutput?: (chunk: string) => void;
  /** Called once the process exists. */
  onSpawn?: (pid: number) => void;
  /** Bytes of output kept (half head, half tail); default 1 MiB. */
  maxCapturedBytes?: number;
  /**
   * How long after the exit to wait for the output streams to end before giving up on them
   * (a background grandchild may hold them open); default 250 ms. A sandboxed command's
   * processes all die with it (own PID namespace), so its caller can wait longer safely.
   */
  streamGraceMs?: number;
}

export interface RunCommandResult {
  pid: number | null;
  /** The exit status; 128+N for signal N; 124 after a timeout; null if it never ran. */
  exitCode: number | null;
  output: string;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the process could not be started (bad cwd, missing shell…). */
  spawnError: string | null;
}

export const TIMEOUT_EXIT_CODE = 124;

/** Keeps the first and last `cap/2` characters of a growing text. */
class HeadTail {
  private head = "";
  private tail = "";
  private dropped = 0;
  constructor(private readonly cap: number) {}
  push(s: string): void {
    const half = Math.floor(this.cap / 2);
    if (this.head.length < half) {
      const take = Math.min(half - this.head.length, s.length);
      this.head += s.slice(0, take);
      s = s.slice(take);
    }
    if (!s) return;
    this.tail += s;
    if (this.tail.length > half) {
      this.dropped += this.tail.length - half;
      this.tail = this.tail.slice(this.tail.length - half);
    }
  }
  text(): string {
    return this.dropped > 0 ? `${this.head}\n[… ${this.dropped} characters of output dropped …]\n${this.tail}` : this.head + this.tail;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

export function runCommand(p: RunCommandParams): Promise<RunCommandResult> {
  const started = performance.now();
  const captured = new HeadTail(p.maxCapturedBytes ?? 1024 * 1024);
  return new Promise((resolve) => {
    if (p.signal?.aborted) {
      resolve({ pid: null, exitCode: null, output: "", durationMs: 0, timedOut: false, aborted: true, spawnError: null });
      return;
    }
    let timedOut = false;
    let aborted = false;
    let settled = false;
    // stderr joins stdout at the OS level (one pipe), so the output keeps the order it was written in;
    // `sh` execs the command, so the pid is the command's own
    const child = spawn("/bin/sh", ["-c", 'exec "$@" 2>&1', "sh", ...p.argv], { cwd: p.cwd, env: p.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid ?? null;
    const finish = (r: Omit<RunCommandResult, "pid" | "output" | "durationMs" | "timedOut" | "aborted">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      p.signal?.removeEventListener("abort", onAbort);
      resolve({ pid, output: captured.text(), durationMs: performance.now() - started, timedOut, aborted, ...r });
    };
    const onAbort = () => {
      aborted = true;
      if (pid !== null) killGroup(pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== null) killGroup(pid);
    }, Math.max(1, p.timeoutMs));
    p.signal?.addEventListener("abort", onAbort, { once: true });

    const take = (stream: NodeJS.ReadableStream | null) => {
      if (!stream) return;
      const dec = new StringDecoder("utf8");
      stream.on("data", (b: Buffer) => {
        const s = dec.write(b);
        if (!s) return;
        captured.push(s);
        p.onOutput?.(s);
      });
      stream.on("end", () => {
        const s = dec.end();
        if (s) {
          captured.push(s);
          p.onOutput?.(s);
        }
      });
    };
    take(child.stdout);
    take(child.stderr);

    child.on("error", (e) => finish({ exitCode: null, spawnError: e.message }));
    if (pid !== null) p.onSpawn?.(pid);
    child.on("exit", (code, sig) => {
      let exitCode = code ?? (sig ? 128 + (osConstants.signals[sig] ?? 0) : -1);
      if (timedOut) exitCode = TIMEOUT_EXIT_CODE;
      // the streams may stay open in a background grandchild: give them a moment, then stop reading
      const done = () => finish({ exitCode, spawnError: null });
      child.on("close", done);
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        done();
      }, p.streamGraceMs ?? 250).unref();
    });
  });
}
