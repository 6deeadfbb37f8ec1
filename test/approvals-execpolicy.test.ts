// Command approvals with Codex 0.169.0's full shape (kind, environmentId, the proposed execpolicy
// amendment, the decisions it offers) and the amendment really taking effect: choosing it writes
// Codex's rule to `<home>/rules/default.rules` and later matching commands run without asking,
// also in a new process. Side by side with the real Codex binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { allowedBy, parseAllowRules, plainCommands, proposedAmendment } from "../src/agent/execpolicy.js";
import { startSpool } from "./helpers/spool.js";
import { startCodex } from "./helpers/codex.js";
import { useMockResponses } from "./helpers/mock-home.js";
import type { RpcClient, ServerRequest } from "./helpers/rpc-client.js";
import { validateServerRequest } from "./helpers/schema.js";

const fx = useMockResponses();

test("the amendment Codex proposes: the script's first plain command, else the whole argv (Codex's answers for these scripts)", () => {
  const bash = (s: string) => ["/bin/bash", "-c", s];
  assert.deepEqual(proposedAmendment(bash("touch ../a.txt && echo hi")), ["touch", "../a.txt"]);
  assert.deepEqual(proposedAmendment(bash("echo 'a b' > ../x.txt")), ["/bin/bash", "-c", "echo 'a b' > ../x.txt"]);
  assert.deepEqual(proposedAmendment(bash("git status")), ["git", "status"]);
  assert.deepEqual(proposedAmendment(bash("ls -la /tmp")), ["ls", "-la", "/tmp"]);
  assert.equal(plainCommands("echo $HOME"), null);
  assert.equal(plainCommands("ls *.ts"), null);
  assert.deepEqual(plainCommands("a 1; b 2 | c"), [["a", "1"], ["b", "2"], ["c"]]);
  // rules: every plain command must start with an allowed prefix
  const rules = parseAllowRules('prefix_rule(pattern=["git", "status"], decision="allow")\nprefix_rule(pattern=["rm"], decision="forbidden")\n# a comment\nnot_a_rule()\n');
  assert.deepEqual(rules, [["git", "status"]]);
  assert.equal(allowedBy(rules, bash("git status --short")), true);
  assert.equal(allowedBy(rules, bash("git status && git push")), false);
  assert.equal(allowedBy(rules, bash("git status > out.txt")), false);
});

interface Run {
  request: ServerRequest["params"];
  rules: string;
  /** approval requests of the second, identical turn */
  again: number;
  /** approval requests of the same command in a new server process */
  afterRestart: number;
  ran: boolean;
}

async function amendmentScenario(kind: "codex" | "spool"): Promise<Run> {
  const h = fx.makeHome({ prefix: `spool-execpolicy-${kind}-` });
  const start = () => (kind === "codex" ? startCodex(h.home) : startSpool(h.home));
  const turn = async (c: RpcClient, threadId: string, text: string) => {
    const t = (await c.request("turn/start", { threadId, input: [{ type: "text", text }] })).turn;
    await c.waitForNotification("turn/completed", (p) => p.turn.id === t.id);
  };
  let c = start();
  let threadId = "";
  let request: ServerRequest["params"];
  let again: number;
  try {
    await c.initialize("execpolicy");
    threadId = (await c.request("thread/start", { cwd: h.ws })).thread.id;
    c.approve = (req) => ({ result: { decision: req.params.availableDecisions[1] } });
    await turn(c, threadId, "esc: touch ../allowed.txt");
    assert.equal(c.serverRequests.length, 1);
    request = c.serverRequests[0].params;
    assert.deepEqual(validateServerRequest(c.serverRequests[0].method, request), []);
    c.approve = "decline";
    await turn(c, threadId, "esc: touch ../allowed.txt");
    again = c.serverRequests.length - 1;
  } finally {
    await c.close();
  }
  c = start();
  let afterRestart: number;
  try {
    await c.initialize("execpolicy-again");
    await c.request("thread/resume", { threadId });
    c.approve = "decline";
    await turn(c, threadId, "esc: touch ../allowed.txt");
    afterRestart = c.serverRequests.length;
  } finally {
    await c.close();
  }
  return { request, rules: fs.readFileSync(path.join(h.home, "rules", "default.rules"), "utf8"), again, afterRestart, ran: fs.existsSync(path.join(h.root, "allowed.txt")) };
}

test("acceptWithExecpolicyAmendment: the request, the rules file and later approvals are Codex's", { timeout: 120_000 }, async () => {
  const runs = { codex: await amendmentScenario("codex"), spool: await amendmentScenario("spool") };
  const norm = (r: Run) => ({ ...r, request: { ...r.request, threadId: "<t>", turnId: "<u>", itemId: "<i>", startedAtMs: 0, cwd: path.basename(r.request.cwd) } });
  assert.deepEqual(norm(runs.spool), norm(runs.codex));
  assert.deepEqual(norm(runs.spool), {
    request: {
      kind: "command",
      threadId: "<t>",
      turnId: "<u>",
      itemId: "<i>",
      startedAtMs: 0,
      environmentId: "local",
      reason: "Needs to write outside the workspace",
      command: "/bin/bash -c 'touch ../allowed.txt'",
      cwd: "ws",
      commandActions: [{ type: "unknown", command: "touch ../allowed.txt" }],
      proposedExecpolicyAmendment: ["touch", "../allowed.txt"],
      availableDecisions: ["accept", { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["touch", "../allowed.txt"] } }, "cancel"],
    },
    rules: 'prefix_rule(pattern=["touch", "../allowed.txt"], decision="allow")\n',
    again: 0,
    afterRestart: 0,
    ran: true,
  });
});
