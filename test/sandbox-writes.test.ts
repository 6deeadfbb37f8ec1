// Spool's own file writes for the agent (apply_patch) run inside the sandbox: the kernel refuses
// what the policy forbids, even where a path check would have been fooled (a symlink swapped in
// after planning), and a program in the sandbox can still print to its stdio.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyWritesSandboxed } from "../src/sandbox/file-writes.js";
import { sandboxCommand } from "../src/sandbox/launcher.js";
import { runCommand } from "../src/agent/tools/exec.js";
import type { SandboxPolicy } from "../src/sandbox/policy.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const WORKSPACE_ONLY: SandboxPolicy = { mode: "workspace-write", workspaceWrite: { writableRoots: [], networkAccess: false, excludeSlashTmp: true, excludeTmpdirEnvVar: true } };

function layout() {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "spool-sbx-writes-")));
  dirs.push(root);
  const ws = path.join(root, "ws");
  fs.mkdirSync(ws);
  fs.mkdirSync(path.join(root, "outside"));
  return { root, ws };
}

test("sandboxed writes: inside the workspace they land, through a symlink out of it the kernel refuses them", async () => {
  const { root, ws } = layout();
  await applyWritesSandboxed([{ op: "write", path: path.join(ws, "new", "a.txt"), content: "hi\n" }, { op: "remove", path: path.join(ws, "gone.txt"), force: true }], { policy: WORKSPACE_ONLY, cwd: ws, env: process.env });
  assert.equal(fs.readFileSync(path.join(ws, "new", "a.txt"), "utf8"), "hi\n");
  // planned as ws/dir/b.txt, but ws/dir became a link to the outside before the write
  fs.symlinkSync(path.join(root, "outside"), path.join(ws, "dir"));
  await assert.rejects(
    applyWritesSandboxed([{ op: "write", path: path.join(ws, "dir", "b.txt"), content: "x" }], { policy: WORKSPACE_ONLY, cwd: ws, env: process.env }),
    (e: Error) => e.message === `EROFS: read-only file system, open '${path.join(ws, "dir", "b.txt")}'`,
  );
  assert.equal(fs.existsSync(path.join(root, "outside", "b.txt")), false);
  await applyWritesSandboxed([{ op: "write", path: path.join(root, "outside", "c.txt"), content: "ok" }], { policy: { ...WORKSPACE_ONLY, mode: "danger-full-access" }, cwd: ws, env: process.env });
  assert.equal(fs.readFileSync(path.join(root, "outside", "c.txt"), "utf8"), "ok");
});

test("a Node program in the sandbox prints to its stdio (socket pairs stay usable without network)", async () => {
  const { ws } = layout();
  const launch = sandboxCommand([process.execPath, "-e", "console.log('out'); console.error('err')"], { policy: WORKSPACE_ONLY, cwd: ws, env: process.env });
  const r = await runCommand({ argv: launch.argv, cwd: ws, env: launch.env, timeoutMs: 60_000 });
  assert.equal(r.exitCode, 0);
  assert.equal(r.output, "out\nerr\n");
});
