// The pure half of the sandbox: config -> writable roots and protected paths (Codex's rules),
// the bubblewrap mounts in their order, and the seccomp program (run through a small classic-BPF
// interpreter here, so the filter's answers are checked, not its bytes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { bwrapPlan, filesystemArgs, SandboxPolicyError } from "../src/sandbox/bwrap-args.js";
import { canWrite, policyFromConfig, writableRoots, type FsFacts, type PathKind } from "../src/sandbox/policy.js";
import { seccompProgram } from "../src/sandbox/seccomp.js";

/** A fake filesystem: path -> kind (parents of listed paths are dirs), plus file texts. */
function facts(entries: Record<string, PathKind | { file: string }>, links: Record<string, PathKind> = {}): FsFacts {
  const kinds = new Map<string, PathKind>();
  const texts = new Map<string, string>();
  for (const [p, v] of Object.entries(entries)) {
    kinds.set(p, typeof v === "string" ? v : "file");
    if (typeof v !== "string") texts.set(p, v.file);
    for (let d = p; d !== "/"; ) {
      d = d.slice(0, d.lastIndexOf("/")) || "/";
      if (!kinds.has(d)) kinds.set(d, "dir");
    }
  }
  return {
    kind: (p) => kinds.get(p) ?? "missing",
    targetKind: (p) => (kinds.get(p) === "symlink" ? (links[p] ?? "missing") : (kinds.get(p) ?? "missing")),
    readText: (p) => texts.get(p) ?? null,
  };
}

test("policy: config -> writable roots like Codex (cwd, writable_roots, /tmp, $TMPDIR) and the paths that stay read-only", () => {
  const fs = facts({ "/w/.git": "dir", "/w/.agents": "dir", "/tmp": "dir", "/t": "dir", "/x": "dir" });
  const ws = policyFromConfig("workspace-write", { writable_roots: ["/x"] });
  assert.deepEqual(writableRoots(ws, "/w", { TMPDIR: "/t" }, fs), [
    { root: "/x", readOnlySubpaths: [] },
    { root: "/w", readOnlySubpaths: ["/w/.git", "/w/.agents", "/w/.codex"] },
    { root: "/tmp", readOnlySubpaths: [] },
    { root: "/t", readOnlySubpaths: [] },
  ]);
  const narrow = policyFromConfig("workspace-write", { exclude_slash_tmp: true, exclude_tmpdir_env_var: true });
  const roots = writableRoots(narrow, "/w", { TMPDIR: "/t" }, fs);
  assert.deepEqual(roots.map((r) => r.root), ["/w"]);
  assert.equal(canWrite(narrow, roots, "/w/src/a.ts"), true);
  assert.equal(canWrite(narrow, roots, "/w/.git/config"), false);
  assert.equal(canWrite(narrow, roots, "/w/.codex/config.toml"), false);
  assert.equal(canWrite(narrow, roots, "/w/.gitignore"), true);
  assert.equal(canWrite(narrow, roots, "/tmp/x"), false);
  assert.equal(canWrite(narrow, roots, "/w/../etc/passwd"), false);
  assert.deepEqual(writableRoots(policyFromConfig("read-only", undefined), "/w", {}, fs), []);
  assert.equal(canWrite(policyFromConfig("danger-full-access", undefined), [], "/etc/passwd"), true);
  // an unknown mode is Codex's default, workspace-write
  assert.equal(policyFromConfig(undefined, undefined).mode, "workspace-write");
});

test("policy: a .git file (worktree) protects the gitdir it points at too", () => {
  const fs = facts({ "/w/.git": { file: "gitdir: ../repo/.git/worktrees/w\n" }, "/repo/.git/worktrees/w": "dir" });
  const roots = writableRoots(policyFromConfig("workspace-write", { exclude_slash_tmp: true, exclude_tmpdir_env_var: true }), "/w", {}, fs);
  assert.deepEqual(roots[0].readOnlySubpaths, ["/repo/.git/worktrees/w", "/w/.git", "/w/.codex"]);
});

test("bwrap: read-only root, /dev, writable binds, then the protected paths on top (a symlink or a missing one gets /dev/null)", () => {
  const fs = facts({ "/w/.git": "dir", "/w/.agents": "symlink", "/w/decoy": "dir" }, { "/w/.agents": "dir" });
  const policy = policyFromConfig("workspace-write", { exclude_slash_tmp: true, exclude_tmpdir_env_var: true });
  const roots = writableRoots(policy, "/w", {}, fs);
  assert.deepEqual(filesystemArgs(roots, fs), [
    "--ro-bind", "/", "/", "--dev", "/dev",
    "--bind", "/w", "/w",
    "--ro-bind", "/dev/null", "/w/.agents",
    "--ro-bind", "/dev/null", "/w/.codex",
    "--ro-bind", "/w/.git", "/w/.git",
  ]);
  const plan = bwrapPlan(policy, roots, ["/bin/true"], fs, 3);
  assert.deepEqual(plan.args, [
    "--new-session", "--die-with-parent",
    "--ro-bind", "/", "/", "--dev", "/dev", "--bind", "/w", "/w", "--ro-bind", "/dev/null", "/w/.agents", "--ro-bind", "/dev/null", "/w/.codex", "--ro-bind", "/w/.git", "/w/.git",
    "--unshare-pid", "--unshare-net", "--proc", "/proc", "--seccomp", "3", "--", "/bin/true",
  ]);
  assert.equal(plan.seccomp, "network-off");
  const networked = bwrapPlan(policyFromConfig("workspace-write", { network_access: true }), roots, ["/bin/true"], fs, 3);
  assert.equal(networked.args?.includes("--unshare-net"), false);
  assert.equal(networked.seccomp, "vsock-off");
  const ro = bwrapPlan(policyFromConfig("read-only", undefined), [], ["/bin/true"], fs, 3);
  assert.deepEqual(ro.args, ["--new-session", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--unshare-net", "--proc", "/proc", "--seccomp", "3", "--", "/bin/true"]);
  assert.deepEqual(bwrapPlan(policyFromConfig("danger-full-access", undefined), [], ["/bin/true"], fs, 3), { args: null, seccomp: null });
  assert.throws(() => filesystemArgs([{ root: "/nope", readOnlySubpaths: [] }], fs), (e: unknown) => e instanceof SandboxPolicyError && e.message === "Sandbox expected writable root /nope, but it does not exist.");
});

// --- a classic BPF interpreter for seccomp programs (enough for LD|W|ABS, JEQ/JGE K, RET K) ---
const SYS = { read: 0, write: 1, socket: 41, connect: 42, sendto: 44, getsockname: 51, socketpair: 53, getsockopt: 55, ptrace: 101, io_uring_setup: 425 };
const X86_64 = 0xc000003e;

function runFilter(prog: Buffer, nr: number, arg0 = 0, arch = X86_64): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  data.writeUInt32LE(arg0, 16);
  let acc = 0;
  for (let pc = 0; pc < prog.length / 8; pc++) {
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = data.readUInt32LE(k);
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x35) pc += acc >= k ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`opcode ${code}`);
  }
  throw new Error("fell off the program");
}

test("seccomp: without network only AF_UNIX sockets open and peer calls fail with EPERM; with network only vsock is refused", () => {
  const EPERM = 0x00050001;
  const ALLOW = 0x7fff0000;
  const off = seccompProgram("network-off", "x64");
  assert.equal(runFilter(off, SYS.socket, 2 /* AF_INET */), EPERM);
  assert.equal(runFilter(off, SYS.socket, 10 /* AF_INET6 */), EPERM);
  assert.equal(runFilter(off, SYS.socket, 1 /* AF_UNIX */), ALLOW);
  assert.equal(runFilter(off, SYS.socketpair, 1), ALLOW);
  assert.equal(runFilter(off, SYS.connect), EPERM);
  assert.equal(runFilter(off, SYS.sendto), EPERM);
  // inspecting a socket already open stays allowed (a child's stdio is a socket pair)
  assert.equal(runFilter(off, SYS.getsockname), ALLOW);
  assert.equal(runFilter(off, SYS.getsockopt), ALLOW);
  assert.equal(runFilter(off, SYS.ptrace), EPERM);
  assert.equal(runFilter(off, SYS.io_uring_setup), EPERM);
  assert.equal(runFilter(off, SYS.read), ALLOW);
  assert.equal(runFilter(off, SYS.write), ALLOW);
  assert.equal(runFilter(off, 0x40000000 + SYS.socket, 2), EPERM, "x32 calls refused");
  assert.equal(runFilter(off, SYS.read, 0, 0x40000003 /* i386 */), 0x80000000, "another ABI is killed");
  const on = seccompProgram("vsock-off", "x64");
  assert.equal(runFilter(on, SYS.socket, 2), ALLOW);
  assert.equal(runFilter(on, SYS.connect), ALLOW);
  assert.equal(runFilter(on, SYS.socket, 40 /* AF_VSOCK */), EPERM);
  assert.equal(runFilter(on, SYS.io_uring_setup), EPERM);
  assert.equal(seccompProgram("network-off", "arm64").length % 8, 0);
  assert.throws(() => seccompProgram("network-off", "ia32"), /no seccomp filter for CPU architecture ia32/);
});
