// `spool sandbox -- CMD`: a command under the home's policy (or --sandbox), with its exit status;
// and where no sandbox can be built (bwrap missing), a sandboxed command is refused with a clear
// error and never runs unconfined, while danger-full-access still runs.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spoolMain } from "./helpers/spool.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function layout(config: string): { root: string; home: string; ws: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "spool-sbx-cli-")));
  dirs.push(root);
  const home = path.join(root, "home");
  const ws = path.join(root, "ws");
  fs.mkdirSync(home);
  fs.mkdirSync(path.join(ws, ".git"), { recursive: true });
  fs.writeFileSync(path.join(home, "config.toml"), config);
  return { root, home, ws };
}

function spool(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [spoolMain(), "sandbox", ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
}

test("spool sandbox: the configured policy, --sandbox overrides it, the command's exit status", () => {
  const { root, home, ws } = layout('sandbox_mode = "workspace-write"\n[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n');
  const inside = spool(["--home", home, "-C", ws, "--", "touch", "in.txt"]);
  assert.equal(inside.status, 0, inside.stderr);
  assert.ok(fs.existsSync(path.join(ws, "in.txt")));
  const outside = spool(["--home", home, "-C", ws, "--", "touch", path.join(root, "out.txt")]);
  assert.equal(outside.status, 1);
  assert.match(outside.stderr, /Read-only file system/);
  assert.equal(fs.existsSync(path.join(root, "out.txt")), false);
  const git = spool(["--home", home, "-C", ws, "--", "touch", ".git/x"]);
  assert.equal(git.status, 1);
  const ro = spool(["--home", home, "-C", ws, "--sandbox", "read-only", "--", "touch", "ro.txt"]);
  assert.equal(ro.status, 1);
  assert.equal(fs.existsSync(path.join(ws, "ro.txt")), false);
  const code = spool(["--home", home, "-C", ws, "--", "sh", "-c", "exit 7"]);
  assert.equal(code.status, 7);
  const bad = spool(["--home", home, "--sandbox", "everything", "--", "true"]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /expected read-only, workspace-write or danger-full-access/);
});

test("no bubblewrap: a sandboxed command is refused, never run unconfined; danger-full-access runs", () => {
  const { root, home, ws } = layout('sandbox_mode = "workspace-write"\n');
  const env = { SPOOL_BWRAP: path.join(root, "no-such-bwrap") };
  const refused = spool(["--home", home, "-C", ws, "--", "touch", "in.txt"], env);
  assert.equal(refused.status, 1);
  assert.equal(
    refused.stderr,
    `spool: sandbox_mode = "workspace-write" cannot be enforced: bubblewrap (bwrap) was not found on PATH; install it (Debian/Ubuntu: apt-get install bubblewrap). The command was not run.\n`,
  );
  assert.equal(fs.existsSync(path.join(ws, "in.txt")), false);
  const full = spool(["--home", home, "-C", ws, "--sandbox", "danger-full-access", "--", "touch", "in.txt"], env);
  assert.equal(full.status, 0, full.stderr);
  assert.ok(fs.existsSync(path.join(ws, "in.txt")));
});
