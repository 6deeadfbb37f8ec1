// A policy as bubblewrap arguments (pure). The mount order is what makes it hold:
//   1. `--ro-bind / /`: the whole filesystem read-only (reads stay allowed);
//   2. `--dev /dev`: a minimal /dev (null, zero, urandom, tty…) under the read-only root;
//   3. `--bind R R` for each writable root;
//   4. the read-only subpaths bound read-only again on top, so they win over their root. A
//      protected path that is a symlink inside a writable root gets /dev/null mounted over the
//      link itself (the command cannot re-point it); a missing one gets /dev/null over its first
//      missing component (the command cannot create it).
// Then a new session (no terminal injection), death with the parent, its own PID namespace and
// /proc, and without network its own network namespace (only its own loopback) plus the seccomp
// filter (seccomp.ts) read from `seccompFd`.
import path from "node:path";
import { hasFullDiskWriteAccess, hasNetworkAccess, isWithin, readOnlySubpaths, type FsFacts, type SandboxPolicy, type WritableRoot } from "./policy.js";

export interface BwrapPlan {
  /** Arguments after `bwrap` (ending with `--` and the command), or null: run the command as is. */
  args: string[] | null;
  /** Which seccomp filter to pass on `seccompFd`, if any. */
  seccomp: "network-off" | "vsock-off" | null;
}

export class SandboxPolicyError extends Error {}

function* ancestors(p: string): Generator<string> {
  const parts = p.split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) yield path.sep + parts.slice(0, i).join(path.sep);
}

const symlinkOnPath = (p: string, roots: string[], fs: FsFacts): string | null => {
  for (const a of ancestors(p)) {
    const k = fs.kind(a);
    if (k === "missing") return null;
    if (k === "symlink" && roots.some((r) => isWithin(a, r))) return a;
  }
  return null;
};

const firstMissing = (p: string, fs: FsFacts): string | null => {
  for (const a of ancestors(p)) if (fs.targetKind(a) === "missing") return a;
  return null;
};

/** The mounts for a restricted filesystem. Throws SandboxPolicyError for a missing writable root. */
export function filesystemArgs(roots: WritableRoot[], fs: FsFacts): string[] {
  for (const r of roots) if (fs.targetKind(r.root) === "missing") throw new SandboxPolicyError(`Sandbox expected writable root ${r.root}, but it does not exist.`);
  const args = ["--ro-bind", "/", "/", "--dev", "/dev"];
  for (const r of roots) args.push("--bind", r.root, r.root);
  const writable = roots.map((r) => r.root);
  for (const sub of readOnlySubpaths(roots)) {
    const link = symlinkOnPath(sub, writable, fs);
    if (link) {
      args.push("--ro-bind", "/dev/null", link);
      continue;
    }
    if (fs.targetKind(sub) === "missing") {
      const missing = firstMissing(sub, fs);
      if (missing && writable.some((w) => isWithin(missing, w))) args.push("--ro-bind", "/dev/null", missing);
      continue;
    }
    if (writable.some((w) => isWithin(sub, w))) args.push("--ro-bind", sub, sub);
  }
  return args;
}

/** The whole bubblewrap invocation for `command` under `policy`. */
export function bwrapPlan(policy: SandboxPolicy, roots: WritableRoot[], command: string[], fs: FsFacts, seccompFd: number): BwrapPlan {
  const network = hasNetworkAccess(policy);
  if (hasFullDiskWriteAccess(policy) && network) return { args: null, seccomp: null };
  const args = ["--new-session", "--die-with-parent"];
  args.push(...(hasFullDiskWriteAccess(policy) ? ["--bind", "/", "/"] : filesystemArgs(roots, fs)));
  args.push("--unshare-pid");
  if (!network) args.push("--unshare-net");
  args.push("--proc", "/proc");
  const seccomp = !network ? "network-off" : "vsock-off";
  args.push("--seccomp", String(seccompFd), "--", ...command);
  return { args, seccomp };
}
