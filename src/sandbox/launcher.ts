// Launching a command under a sandbox policy (the I/O half; the rules are policy.ts, the
// bubblewrap arguments bwrap-args.ts, the seccomp filter seccomp.ts). `sandboxCommand` turns a
// command line into the one to spawn: unchanged under danger-full-access, else wrapped in
// bubblewrap. Where no sandbox can be set up (no bwrap, user namespaces refused, another OS),
// it throws SandboxUnavailableError: a sandboxed command is refused, never run unsandboxed.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { bwrapPlan, SandboxPolicyError } from "./bwrap-args.js";
import { hasNetworkAccess, writableRoots, type FsFacts, type PathKind, type SandboxPolicy } from "./policy.js";
import { seccompProgram, seccompSupported } from "./seccomp.js";

export class SandboxUnavailableError extends Error {}

export interface SandboxedCommand {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Whether the command runs confined (false under danger-full-access). */
  sandboxed: boolean;
}

const kindOf = (st: fs.Stats): PathKind => (st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "other");

/** FsFacts over the real filesystem. */
export const nodeFsFacts: FsFacts = {
  kind(p) {
    try {
      return kindOf(fs.lstatSync(p));
    } catch {
      return "missing";
    }
  },
  targetKind(p) {
    try {
      return kindOf(fs.statSync(p));
    } catch {
      return "missing";
    }
  },
  readText(p) {
    try {
      return fs.readFileSync(p, "utf8").slice(0, 4096);
    } catch {
      return null;
    }
  },
};

/** The bwrap binary: `$SPOOL_BWRAP`, else the first `bwrap` on PATH, else null. */
export function findBwrap(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.SPOOL_BWRAP) return fs.existsSync(env.SPOOL_BWRAP) ? env.SPOOL_BWRAP : null;
  for (const dir of (env.PATH ?? "/usr/bin:/bin").split(path.delimiter)) {
    const p = path.join(dir || ".", "bwrap");
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

const checked = new Map<string, { bwrap: string } | { reason: string }>();

/** Whether bubblewrap can build a sandbox here (checked once per bwrap binary with a real run). */
export function sandboxAvailability(env: NodeJS.ProcessEnv = process.env): { bwrap: string } | { reason: string } {
  if (process.platform !== "linux") return { reason: `sandboxing is only implemented on Linux (this is ${process.platform})` };
  if (!seccompSupported()) return { reason: `no seccomp filter for CPU architecture ${process.arch}` };
  const bwrap = findBwrap(env);
  if (!bwrap) return { reason: "bubblewrap (bwrap) was not found on PATH; install it (Debian/Ubuntu: apt-get install bubblewrap)" };
  let known = checked.get(bwrap);
  if (!known) {
    const r = spawnSync(bwrap, ["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--unshare-net", "--proc", "/proc", "--", "/bin/true"], { encoding: "utf8", timeout: 10_000 });
    known = r.status === 0 ? { bwrap } : { reason: `bubblewrap cannot create a sandbox here: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}` };
    checked.set(bwrap, known);
  }
  return known;
}

let filterDir: string | undefined;

/** The seccomp program in a file only this process can write (written once per mode). */
function seccompFile(mode: "network-off" | "vsock-off"): string {
  if (!filterDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spool-seccomp-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    filterDir = dir;
  }
  const file = path.join(filterDir, `${mode}-${process.arch}.bpf`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, seccompProgram(mode), { mode: 0o400 });
  return file;
}

const SECCOMP_FD = 3;

/** `argv` as it must be spawned to run under `policy` in `cwd`. Throws SandboxUnavailableError. */
export function sandboxCommand(argv: string[], o: { policy: SandboxPolicy; cwd: string; env: NodeJS.ProcessEnv; facts?: FsFacts }): SandboxedCommand {
  if (o.policy.mode === "danger-full-access") return { argv, env: o.env, sandboxed: false };
  const avail = sandboxAvailability(o.env);
  if ("reason" in avail) throw new SandboxUnavailableError(`sandbox_mode = "${o.policy.mode}" cannot be enforced: ${avail.reason}. The command was not run.`);
  const facts = o.facts ?? nodeFsFacts;
  let plan;
  try {
    plan = bwrapPlan(o.policy, writableRoots(o.policy, o.cwd, o.env, facts), argv, facts, SECCOMP_FD);
  } catch (e) {
    if (e instanceof SandboxPolicyError) throw new SandboxUnavailableError(`${e.message} The command was not run.`);
    throw e;
  }
  if (!plan.args) return { argv, env: o.env, sandboxed: false };
  const env = { ...o.env };
  if (!hasNetworkAccess(o.policy)) env.CODEX_SANDBOX_NETWORK_DISABLED = "1";
  // bwrap reads the filter from fd 3: a small shell opens the file there and execs bwrap
  const filter = plan.seccomp ? seccompFile(plan.seccomp) : "/dev/null";
  return { argv: ["/bin/sh", "-c", `exec "$@" ${SECCOMP_FD}<"$0"`, filter, avail.bwrap, ...plan.args], env, sandboxed: true };
}
