// The sandbox checks the parity tests run on Codex and Spool side by side (sandbox-sides.ts runs
// one check), the expected outcome per check, and a loopback TCP server for the network check.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { MockFixture } from "./mock-home.js";
import { closeSides, openSide, sandboxConfigToml, runCheck, type CheckOutcome, type Side } from "./sandbox-sides.js";
import { validateNotification, validateResponse } from "./schema.js";

let tcp: net.Server | undefined;
let port = 0;

/** For a test file: a local TCP server (the network check's target), started before and closed after. */
export function useLoopbackServer(): void {
  before(async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
    tcp = server;
  });
  after(() => new Promise<void>((r) => (tcp ? tcp.close(() => r()) : r())));
}

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
export async function compareMode(
  fx: MockFixture,
  label: string,
  config: { sandbox: string; workspaceWrite?: string },
  expected: Record<string, boolean>,
  turnParams: Record<string, unknown> = {},
): Promise<void> {
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

