// sandbox_mode is enforced as Codex enforces it: the same scripted commands (approval_policy =
// "never", so nothing can escalate) run against the real Codex 0.169.0 app-server and Spool's,
// each over its own copy of the same layout and config, and every check's outcome must be the
// expected literal on both sides. Checks: writes inside and outside the workspace, /tmp, $TMPDIR,
// `writable_roots`, `.git`, `.codex`, a read outside, a loopback TCP connection to a server this
// test runs, a child process, a symlink out of the workspace, and apply_patch in and out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { useMockResponses } from "./helpers/mock-home.js";
import { closeSides, openSide, sandboxConfigToml, runCheck, type CheckOutcome, type Side } from "./helpers/sandbox-sides.js";
import { validateNotification, validateResponse } from "./helpers/schema.js";

const fx = useMockResponses();

let tcp: net.Server;
let port = 0;
before(async () => {
  tcp = net.createServer((s) => s.end());
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  port = (tcp.address() as net.AddressInfo).port;
});
after(() => new Promise<void>((r) => tcp.close(() => r())));

interface Check {
  name: string;
  text: string;
  /** A file the check tries to create (ROOT/WS/SLASHTMP placeholders), or null. */
  creates: string | null;
}

const CHECKS: Record<string, Check> = {
  inside: { name: "write in the workspace", text: "cmd: touch WS/in.txt", creates: "WS/in.txt" },
  outside: { name: "write outside the workspace", text: "cmd: touch ROOT/outside/out.txt", creates: "ROOT/outside/out.txt" },
  slashTmp: { name: "write in /tmp", text: "cmd: touch SLASHTMP", creates: "SLASHTMP" },
  tmpdir: { name: "write in $TMPDIR", text: "cmd: touch ROOT/tmpdir/t.txt", creates: "ROOT/tmpdir/t.txt" },
  extraRoot: { name: "write in a writable_roots entry", text: "cmd: touch ROOT/extra/e.txt", creates: "ROOT/extra/e.txt" },
  git: { name: "write in .git", text: "cmd: touch WS/.git/g.txt", creates: "WS/.git/g.txt" },
  codex: { name: "create .codex", text: "cmd: mkdir -p WS/.codex/sub", creates: "WS/.codex/sub" },
  read: { name: "read outside the workspace", text: "cmd: cat ROOT/outside/secret.txt", creates: null },
  network: { name: "loopback TCP connection", text: "cmd: exec 3<>/dev/tcp/127.0.0.1/PORT && echo connected", creates: null },
  child: { name: "a child process writes outside", text: "cmd: sh -c 'touch ROOT/outside/child.txt'", creates: "ROOT/outside/child.txt" },
  symlink: { name: "write through a symlink out of the workspace", text: "cmd: touch WS/link/escaped.txt", creates: "ROOT/outside/escaped.txt" },
  patchIn: { name: "apply_patch in the workspace", text: "patch: p-in.txt hello", creates: "WS/p-in.txt" },
  patchOut: { name: "apply_patch outside the workspace", text: "patch: ../outside/p-out.txt hello", creates: "ROOT/outside/p-out.txt" },
  patchLink: { name: "apply_patch through a symlink out of the workspace", text: "patch: link/p-link.txt hello", creates: "ROOT/outside/p-link.txt" },
};

const slashTmpFile = (side: Side) => `/tmp/${path.basename(side.root)}-probe.txt`;
const fill = (side: Side, s: string) => s.replaceAll("SLASHTMP", slashTmpFile(side)).replaceAll("PORT", String(port));
const placed = (side: Side, s: string) => fill(side, s).replaceAll("ROOT", side.root).replaceAll("WS", side.ws);

/** Did the check succeed on this side: its file exists (writes, patches), else its command exited 0. */
function succeeded(side: Side, check: Check, o: CheckOutcome): boolean {
  if (check.creates) return fs.existsSync(placed(side, check.creates));
  return o.exitCode === 0;
}

/** Runs `checks` on both sides (Codex and Spool at once) and compares with `expected`. */
async function compareMode(label: string, config: { sandbox: string; workspaceWrite?: string }, expected: Record<string, boolean>, turnParams: Record<string, unknown> = {}): Promise<void> {
  const dirs = fx.dirs;
  const toml = sandboxConfigToml(fx.mock.url, { approval: "never", ...config });
  const [codex, spool] = await Promise.all([openSide("codex", toml, { dirs, approve: "decline" }), openSide("spool", toml, { dirs, approve: "decline" })]);
  for (const s of [codex, spool]) dirs.push(slashTmpFile(s));
  try {
    // thread/start answers the effective sandbox policy, config options included, as Codex does
    const sandboxOf = (side: Side) => JSON.parse(JSON.stringify(side.started.sandbox).replaceAll(side.root, "ROOT"));
    assert.deepEqual(sandboxOf(spool), sandboxOf(codex));
    assert.deepEqual(validateResponse("thread/start", spool.started), []);
    const rows: string[] = [];
    for (const [key, want] of Object.entries(expected)) {
      const check = CHECKS[key];
      const [c, s] = await Promise.all([runCheck(codex, fx.mock, fill(codex, check.text), turnParams), runCheck(spool, fx.mock, fill(spool, check.text), turnParams)]);
      const got = { codex: succeeded(codex, check, c), spool: succeeded(spool, check, s) };
      rows.push(`${label} / ${check.name}: codex ${got.codex ? "allowed" : "denied"}, spool ${got.spool ? "allowed" : "denied"}`);
      assert.equal(got.codex, want, `${label} / ${check.name}: Codex ${JSON.stringify(c)}`);
      assert.equal(got.spool, want, `${label} / ${check.name}: Spool ${JSON.stringify(s)}`);
      // nothing can ask under "never"
      assert.equal(s.approvals.length, 0);
      assert.equal(c.approvals.length, 0);
      if (key === "read") assert.match(s.output, /secret/);
    }
    for (const n of spool.client.notifications) assert.deepEqual(validateNotification(n.method, n.params), [], `${n.method} validates`);
    process.stdout.write(rows.map((r) => `# ${r}\n`).join(""));
  } finally {
    await closeSides(codex, spool);
  }
}

test("workspace-write with the temp dirs excluded: only the workspace is writable, .git/.codex stay read-only, no network", async () => {
  await compareMode(
    "workspace-write (no temp dirs)",
    { sandbox: "workspace-write", workspaceWrite: "exclude_slash_tmp = true\nexclude_tmpdir_env_var = true" },
    { inside: true, outside: false, slashTmp: false, tmpdir: false, extraRoot: false, git: false, codex: false, read: true, network: false, child: false, symlink: false, patchIn: true, patchOut: false, patchLink: false },
  );
});

test("workspace-write with Codex's defaults plus writable_roots and network_access: /tmp, $TMPDIR and the extra root are writable, network on", async () => {
  await compareMode(
    "workspace-write (defaults, extra root, network)",
    { sandbox: "workspace-write", workspaceWrite: 'writable_roots = ["ROOT/extra"]\nnetwork_access = true' },
    { inside: true, slashTmp: true, tmpdir: true, extraRoot: true, git: false, codex: false, read: true, network: true },
  );
});

test("read-only: nothing is writable, reads work, no network", async () => {
  await compareMode(
    "read-only",
    { sandbox: "read-only" },
    { inside: false, outside: false, slashTmp: false, git: false, read: true, network: false, child: false, symlink: false, patchIn: false },
  );
});

test("danger-full-access: no sandbox", async () => {
  await compareMode(
    "danger-full-access",
    { sandbox: "danger-full-access" },
    { inside: true, outside: true, git: true, read: true, network: true, child: true, symlink: true, patchOut: true },
  );
});

test("turn/start's sandboxPolicy replaces the configured one for the turn (writable roots, network)", async () => {
  const sandboxPolicy = { type: "workspaceWrite", writableRoots: ["ROOT/extra"], networkAccess: true, excludeTmpdirEnvVar: true, excludeSlashTmp: true };
  await compareMode(
    "turn/start sandboxPolicy",
    { sandbox: "read-only" },
    { inside: true, outside: false, slashTmp: false, extraRoot: true, git: false, network: true },
    { sandboxPolicy },
  );
});
