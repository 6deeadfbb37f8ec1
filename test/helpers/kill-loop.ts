// The two ends of the crash tests' kill loop (test/crash.test.ts, test/projections-crash.test.ts).
// The parent spawns a child script ahead of time, so its start-up overlaps the check of the
// previous child; the child loads its modules, waits for one `go <args…>` line on stdin, prints
// `ready` once its work is set up and goes on writing progress lines until the parent SIGKILLs it.
import { spawn } from "node:child_process";

export interface KilledRun {
  /** The child printed `ready` before it ended. */
  ready: boolean;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface KillChild {
  /** Sends `go <args>`; `onReady` runs when the child prints `ready`. Resolves once the child has ended. */
  go(args: Array<string | number>, onReady?: () => void): Promise<KilledRun>;
  /** SIGKILLs the child (whether or not it was told to go). */
  kill(): void;
}

/** Spawns `node <script>`; every complete stdout line but `ready` goes to `onLine` (a line cut by the kill does not). */
export function spawnKillChild(script: string, onLine: (line: string) => void): KillChild {
  const child = spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "pipe"] });
  const run: KilledRun = { ready: false, stderr: "", code: null, signal: null };
  let onReady: (() => void) | undefined;
  let buf = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === "ready") {
        run.ready = true;
        onReady?.();
      } else onLine(line);
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => (run.stderr += d));
  child.stdin.on("error", () => {});
  const ended = new Promise<KilledRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    });
  });
  return {
    go(args, ready) {
      onReady = ready;
      child.stdin.write(`go ${args.join(" ")}\n`);
      return ended;
    },
    kill() {
      child.kill("SIGKILL");
    },
  };
}

/** In the child: the arguments of the `go` line (anything else on the first line is an error). */
export function goArgs(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      const [word, ...args] = buf.slice(0, nl).split(" ");
      if (word === "go") resolve(args);
      else reject(new Error(`expected a go line, got ${word}`));
    });
  });
}
