// Leaving the sandbox only through an approval, per approval policy, side by side with the real
// Codex 0.169.0 app-server (workspace-write without the temp dirs, so ROOT/outside is outside the
// sandbox): under never an escalation is refused unrun; under on-request and on-failure a
// sandboxed failure is not retried by itself, and `require_escalated` asks first and, approved,
// runs outside the sandbox; declined, nothing runs. Codex 0.169.0 refuses `untrusted` at start;
// Spool keeps it (every command asks, an approved one still runs sandboxed).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startCodex } from "./helpers/codex.js";
import { useMockResponses } from "./helpers/mock-home.js";
import { closeSides, openSide, runCheck, sandboxConfigToml, type CheckOutcome, type Side } from "./helpers/sandbox-sides.js";
import { validateServerRequest } from "./helpers/schema.js";
import { cacheDir } from "./helpers/paths.js";

const fx = useMockResponses();
const WORKSPACE_ONLY = "exclude_slash_tmp = true\nexclude_tmpdir_env_var = true";

async function pair(approval: string): Promise<[Side, Side]> {
  const toml = sandboxConfigToml(fx.mock.url, { approval, sandbox: "workspace-write", workspaceWrite: WORKSPACE_ONLY });
  return await Promise.all([openSide("codex", toml, { dirs: fx.dirs, approve: "accept" }), openSide("spool", toml, { dirs: fx.dirs, approve: "accept" })]);
}

/** Runs `text` on both sides; returns [codex, spool] outcomes and whether `file` (ROOT-relative) exists on each. */
async function both(sides: [Side, Side], text: string, file: string): Promise<Array<CheckOutcome & { exists: boolean }>> {
  const outs = await Promise.all(sides.map((s) => runCheck(s, fx.mock, text)));
  return outs.map((o, i) => ({ ...o, exists: fs.existsSync(path.join(sides[i].root, file)) }));
}

const approvalMethods = (o: CheckOutcome) => o.approvals.map((r) => r.method);

test("never: require_escalated is refused without running or asking; a sandbox failure is the model's to read", async () => {
  const sides = await pair("never");
  try {
    for (const o of await both(sides, "esc: touch ROOT/outside/e.txt", "outside/e.txt")) {
      assert.equal(o.exists, false);
      assert.deepEqual(o.approvals, []);
      assert.equal(o.status, null, "no item");
      assert.equal(o.output, "approval policy is Never; reject command — you cannot ask for escalated permissions if the approval policy is Never");
    }
    for (const o of await both(sides, "cmd: touch ROOT/outside/f.txt", "outside/f.txt")) {
      assert.equal(o.exists, false);
      assert.deepEqual(o.approvals, []);
      assert.equal(o.status, "failed");
      assert.match(o.output, /Read-only file system/);
    }
    for (const o of await both(sides, "patch: ../outside/p.txt hi", "outside/p.txt")) {
      assert.equal(o.exists, false);
      assert.equal(o.output, "patch rejected: writing outside of the project; rejected by user approval settings");
    }
  } finally {
    await closeSides(...sides);
  }
});

for (const policy of ["on-request", "on-failure"]) {
  test(`${policy}: a sandbox failure is not retried by itself; require_escalated asks, and approved runs outside the sandbox, declined runs nothing`, async () => {
    const sides = await pair(policy);
    try {
      for (const o of await both(sides, "cmd: touch ROOT/outside/a.txt", "outside/a.txt")) {
        assert.equal(o.exists, false);
        assert.deepEqual(o.approvals, [], "no retry approval after a sandbox denial");
        assert.equal(o.status, "failed");
      }
      const accepted = await both(sides, "esc: touch ROOT/outside/b.txt", "outside/b.txt");
      for (const o of accepted) {
        assert.deepEqual(approvalMethods(o), ["item/commandExecution/requestApproval"]);
        assert.equal(o.exists, true, "approved: ran outside the sandbox");
        assert.equal(o.status, "completed");
      }
      const [codexReq, spoolReq] = accepted.map((o) => o.approvals[0].params);
      assert.deepEqual(validateServerRequest("item/commandExecution/requestApproval", spoolReq), []);
      for (const k of ["threadId", "turnId", "itemId", "command", "cwd", "commandActions"]) assert.equal(typeof spoolReq[k], typeof codexReq[k], k);
      assert.equal(spoolReq.command.replace(sides[1].root, "ROOT"), codexReq.command.replace(sides[0].root, "ROOT"));

      for (const s of sides) s.client.approve = "decline";
      for (const o of await both(sides, "esc: touch ROOT/outside/c.txt", "outside/c.txt")) {
        assert.deepEqual(approvalMethods(o), ["item/commandExecution/requestApproval"]);
        assert.equal(o.exists, false);
        assert.equal(o.status, "declined");
      }
      // a patch outside the sandbox asks (a fileChange approval); approved, it is written
      for (const s of sides) s.client.approve = "accept";
      const patched = await both(sides, "patch: ../outside/p.txt hi", "outside/p.txt");
      for (const o of patched) {
        assert.deepEqual(approvalMethods(o), ["item/fileChange/requestApproval"]);
        assert.equal(o.exists, true);
      }
      assert.deepEqual(validateServerRequest("item/fileChange/requestApproval", patched[1].approvals[0].params), []);
      // and a patch into .git asks too (a protected path), on both
      for (const s of sides) s.client.approve = "decline";
      for (const o of await both(sides, "patch: .git/p.txt hi", "ws/.git/p.txt")) {
        assert.deepEqual(approvalMethods(o), ["item/fileChange/requestApproval"]);
        assert.equal(o.exists, false);
      }
    } finally {
      await closeSides(...sides);
    }
  });
}

test("untrusted: Codex 0.169.0 refuses the setting; Spool asks for every command and an approved one stays sandboxed", async () => {
  const toml = sandboxConfigToml(fx.mock.url, { approval: "untrusted", sandbox: "workspace-write", workspaceWrite: WORKSPACE_ONLY });
  const home = fs.mkdtempSync(path.join(cacheDir(), "codex-sbx-home-"));
  fx.dirs.push(home);
  fs.writeFileSync(path.join(home, "config.toml"), toml);
  const codex = startCodex(home);
  await assert.rejects(codex.initialize(), /approval_policy = "untrusted" is no longer supported/);
  await codex.close();

  const spool = await openSide("spool", toml, { dirs: fx.dirs, approve: "accept" });
  try {
    const inside = await runCheck(spool, fx.mock, "cmd: touch WS/u.txt");
    assert.deepEqual(approvalMethods(inside), ["item/commandExecution/requestApproval"]);
    assert.equal(fs.existsSync(path.join(spool.ws, "u.txt")), true);
    const outside = await runCheck(spool, fx.mock, "cmd: touch ROOT/outside/u.txt");
    assert.deepEqual(approvalMethods(outside), ["item/commandExecution/requestApproval"]);
    assert.equal(outside.status, "failed", "approved, but not escalated: still in the sandbox");
    assert.equal(fs.existsSync(path.join(spool.root, "outside", "u.txt")), false);
  } finally {
    await closeSides(spool);
  }
});
