// Protocol parity with Codex 0.169.0: every stable (non-experimental) client method of the
// generated schema goes to the real `codex app-server` and to Spool, over copies of one home, one
// by one with the same minimal valid params (the table below). Per method the test reports
// whether both answered, only Codex, only Spool, or neither (an error from both), and fails when
// Codex answers a method Spool does not, unless the method is on the commented allow-list of work
// not yet done (printed with its count, so the gap stays visible). Every Spool answer is
// validated against the schema; answers that do not depend on the machine are compared field for
// field.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startMockResponses, type MockResponses } from "./helpers/mock-responses.js";
import { mockConfigToml } from "./helpers/mock-home.js";
import { startCodex } from "./helpers/codex.js";
import { startSpool } from "./helpers/spool.js";
import { RpcError, type RpcClient } from "./helpers/rpc-client.js";
import { responseTypeFor, stableClientMethods, validateResponse, validateType } from "./helpers/schema.js";

/** Answer types the schema's naming does not lead to from the method name. */
const ANSWER_TYPES: Record<string, string> = {
  "config/value/write": "ConfigWriteResponse",
  "config/batchWrite": "ConfigWriteResponse",
  "account/logout": "LogoutAccountResponse",
  "config/mcpServer/reload": "McpServerRefreshResponse",
  "account/securitySetup/read": "GetAccountSecuritySetupResponse",
  "externalAgentConfig/import/readHistories": "ExternalAgentConfigImportHistoriesReadResponse",
  "account/gatewayOAuth/cancel": "GatewayOAuthCancelResponse",
};

function schemaProblems(method: string, result: unknown): string[] {
  return responseTypeFor(method) === null && ANSWER_TYPES[method] ? validateType(ANSWER_TYPES[method]!, result) : validateResponse(method, result);
}
import { PARAMS, type Side } from "./helpers/parity-params.js";

/**
 * Methods Codex answers offline that Spool does not answer yet (issue 14). Each one is a known gap,
 * counted in the output; remove a line when the method is done.
 */
const NOT_YET: Record<string, string> = {
  // threads: sections and attachments (persisted under <home>/spool/)
  "thread/attachment/list": "threads",
  "thread/attachmentOwner/list": "threads",
  "thread/attachment/add": "threads",
  "thread/attachment/remove": "threads",
  "threadSection/list": "threads",
  "threadSection/create": "threads",
  "threadSection/update": "threads",
  "thread/section/move": "threads",
  "threadSection/delete": "threads",
  // offline catalogs and accounts
  "feedback/save": "offline catalogs and accounts",
  // turn kinds the agent loop does not run yet
  "review/start": "turn kinds the agent loop does not run yet",
  "thread/compact/start": "turn kinds the agent loop does not run yet",
};

/**
 * Methods whose answers do not depend on the machine, compared field for field (home, workspace
 * and thread ids replaced by placeholders).
 */
const SAME_ANSWER = new Set<string>([
  "initialize", "thread/list", "thread/goal/get", "thread/name/set", "thread/goal/clear", "thread/unsubscribe", "thread/archive",
  "hooks/list", "plugin/list", "plugin/installed", "app/list", "modelProvider/list", "permissionProfile/list", "mcpServerStatus/list",
  "account/read", "account/rateLimits/read", "account/login/start", "account/logout", "externalAgentConfig/detect",
  "config/value/write", "config/batchWrite", "experimentalFeature/enablement/set", "config/mcpServer/reload",
  "app/read", "app/installed", "windowsSandbox/readiness", "windowsSandbox/setupStart", "account/securitySetup/read", "account/gatewayOAuth/read",
  "account/gatewayOAuth/cancel", "externalAgentConfig/import/readHistories", "marketplace/upgrade", "plugin/reconcile",
  // refused without a ChatGPT account, with Codex's errors
  "account/usage/read", "account/workspaceMessages/read", "account/rateLimitResetCredit/consume", "account/sendAddCreditsNudgeEmail",
  "plugin/share/list", "plugin/share/save", "plugin/share/updateTargets", "plugin/share/checkout", "plugin/share/delete",
  "fs/readFile", "fs/readDirectory", "fs/writeFile", "fs/createDirectory", "fs/copy", "fs/remove", "fs/watch", "fs/unwatch",
]);

/** Not Spool's to answer (other branches own them): never counted as a gap. */
const OTHER_BRANCHES = new Set(["command/exec", "command/exec/write", "command/exec/terminate", "command/exec/resize", "thread/shellCommand", "skills/list", "skills/extraRoots/set", "skills/config/write", "thread/revert", "thread/inject_items"]);

let mock: MockResponses;
const dirs: string[] = [];
const clients: RpcClient[] = [];
before(async () => {
  mock = await startMockResponses({ models: ["mock-model"] });
});
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await mock.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

type Outcome = { result?: unknown; error?: { code: number; message: string } };

async function call(c: RpcClient, method: string, params: unknown): Promise<Outcome> {
  try {
    return { result: await c.request(method, params) };
  } catch (e) {
    if (e instanceof RpcError) return { error: (e as RpcError & { rpc: { code: number; message: string } }).rpc };
    throw e;
  }
}

async function side(name: "codex" | "spool", root: string, toml: string): Promise<Side & { client: RpcClient }> {
  const home = path.join(root, `${name}-home`);
  const ws = path.join(root, `${name}-ws`);
  fs.mkdirSync(home);
  fs.mkdirSync(ws);
  fs.writeFileSync(path.join(home, "config.toml"), toml);
  fs.writeFileSync(path.join(ws, "notes.txt"), "hello\n");
  const client = name === "codex" ? startCodex(home, { cwd: ws }) : startSpool(home, { cwd: ws });
  clients.push(client);
  await client.initialize();
  client.notify("initialized");
  const started = (await client.request("thread/start", { cwd: ws })) as { thread: { id: string } };
  return { client, home, ws, threadId: started.thread.id };
}

function normalized(v: unknown, s: Side): unknown {
  const text = JSON.stringify(v ?? null).split(s.home).join("<HOME>").split(s.ws).join("<WS>").split(s.threadId).join("<THREAD>");
  return JSON.parse(text);
}

test("every stable method Codex answers offline, Spool answers too (allow-list aside)", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-parity-"));
  dirs.push(root);
  const toml = mockConfigToml(mock.url);
  const [codex, spool] = await Promise.all([side("codex", root, toml), side("spool", root, toml)]);

  const stable = stableClientMethods();
  assert.deepEqual([...Object.keys(PARAMS)].sort(), [...stable].sort(), "the params table covers exactly the stable methods");

  const rows: { method: string; codex: boolean; spool: boolean; note: string }[] = [];
  const failures: string[] = [];
  for (const method of Object.keys(PARAMS)) {
    const make = PARAMS[method]!;
    const [c, s] = await Promise.all([call(codex.client, method, make(codex)), call(spool.client, method, make(spool))]);
    (codex.results ??= {})[method] = c.result;
    (spool.results ??= {})[method] = s.result;
    const row = { method, codex: c.error === undefined, spool: s.error === undefined, note: "" };
    if (row.spool) {
      const problems = schemaProblems(method, s.result);
      if (problems.length) failures.push(`${method}: Spool's answer does not match the schema: ${problems.join("; ")}`);
    }
    if (row.codex && !row.spool) {
      row.note = s.error ? `Spool: ${s.error.code} ${s.error.message.slice(0, 90)}` : "";
      if (!(method in NOT_YET) && !OTHER_BRANCHES.has(method)) failures.push(`${method}: Codex answers, Spool does not (${row.note})`);
    }
    if (!row.codex && !row.spool && c.error && s.error && c.error.code !== s.error.code) {
      row.note = `codes differ: Codex ${c.error.code} ${c.error.message.slice(0, 90)} / Spool ${s.error.code} ${s.error.message.slice(0, 90)}`;
    }
    if (SAME_ANSWER.has(method)) {
      try {
        assert.deepEqual(normalized(s, spool), normalized(c, codex));
      } catch (e) {
        failures.push(`${method}: answers differ: ${(e as Error).message.slice(0, 2000)}`);
      }
    }
    rows.push(row);
    if (process.env.PARITY_DUMP) fs.appendFileSync(process.env.PARITY_DUMP, JSON.stringify({ method, codex: normalized(c, codex), spool: normalized(s, spool) }) + "\n");
  }

  const byCodex = rows.filter((r) => r.codex);
  const both = byCodex.filter((r) => r.spool);
  const onlyCodex = byCodex.filter((r) => !r.spool);
  const onlySpool = rows.filter((r) => r.spool && !r.codex);
  const lines = [
    `stable methods: ${rows.length}; Codex answers ${byCodex.length}; Spool answers ${both.length} of those (${onlyCodex.length} not yet)`,
    ...onlyCodex.map((r) => `  only Codex: ${r.method}${OTHER_BRANCHES.has(r.method) ? " [other branch]" : r.method in NOT_YET ? ` [allow-listed: ${NOT_YET[r.method]}]` : ""} ${r.note}`),
    ...onlySpool.map((r) => `  only Spool: ${r.method}`),
    ...rows.filter((r) => !r.codex && !r.spool && r.note).map((r) => `  neither, ${r.note}: ${r.method}`),
  ];
  console.log(lines.join("\n"));
  assert.deepEqual(failures, []);
});

test("config/value/write and config/batchWrite leave config.toml byte for byte as Codex does, comments kept", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-parity-config-"));
  dirs.push(root);
  const toml = `# my config\n${mockConfigToml(mock.url).replace('model = "mock-model"', 'model = "mock-model"  # the default')}\n# features follow\n[features]\nundo = false\n`;
  // Known difference: a comment as the last line of a table that has no keys stays above a key
  // Codex appends there, while Spool's editor (toml-patch) appends the key after it
  const [codex, spool] = await Promise.all([side("codex", root, toml), side("spool", root, toml)]);
  const edits: Array<[string, unknown]> = [
    ["config/value/write", { keyPath: "model_reasoning_effort", value: "high", mergeStrategy: "replace" }],
    ["config/batchWrite", { edits: [{ keyPath: "model", value: "gpt-x", mergeStrategy: "replace" }, { keyPath: "features.goals", value: true, mergeStrategy: "upsert" }] }],
    ["config/value/write", { keyPath: "model", value: null, mergeStrategy: "replace" }],
    ["config/value/write", { keyPath: "bogus_key", value: 1, mergeStrategy: "replace" }],
    ["config/value/write", { keyPath: "model", value: "a", mergeStrategy: "replace", expectedVersion: "sha256:00" }],
    ["config/value/write", { keyPath: "model", mergeStrategy: "replace" }],
    ["experimentalFeature/enablement/set", { enablement: { goals: false } }],
    ["config/mcpServer/reload", undefined],
  ];
  for (const [method, params] of edits) {
    const [c, s] = await Promise.all([call(codex.client, method, params), call(spool.client, method, params)]);
    if (s.result !== undefined) assert.deepEqual(schemaProblems(method, s.result), [], `${method} answer matches the schema`);
    assert.deepEqual(normalized(s, spool), normalized(c, codex), `${method} ${JSON.stringify(params)}`);
    const file = (h: string) => fs.readFileSync(path.join(h, "config.toml"), "utf8");
    assert.equal(file(spool.home).split(spool.home).join("<HOME>"), file(codex.home).split(codex.home).join("<HOME>"), `config.toml after ${method} ${JSON.stringify(params)}`);
  }
});

test("import history and the Windows sandbox setup answer and notify like Codex", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-parity-imports-"));
  dirs.push(root);
  const [codex, spool] = await Promise.all([side("codex", root, mockConfigToml(mock.url)), side("spool", root, mockConfigToml(mock.url))]);
  const run = async (s: Side & { client: RpcClient }) => {
    const recorded = (await s.client.request("externalAgentConfig/import/recordHistory", { providerId: "p", itemTypeResults: [] })) as { importId: string };
    const histories = (await s.client.request("externalAgentConfig/import/readHistories", undefined)) as { data: Array<{ importId: string; completedAtMs: number }> };
    assert.deepEqual(schemaProblems("externalAgentConfig/import/readHistories", histories), []);
    assert.equal(histories.data.at(-1)?.importId, recorded.importId);
    const started = await s.client.request("windowsSandbox/setupStart", { mode: "elevated" });
    for (let i = 0; i < 200 && !s.client.notifications.some((n) => n.method === "windowsSandbox/setupCompleted"); i++) await new Promise((r) => setTimeout(r, 25));
    const completed = s.client.notifications.filter((n) => n.method === "windowsSandbox/setupCompleted").map((n) => n.params);
    return { histories: histories.data.map((h) => ({ ...h, importId: "<ID>", completedAtMs: typeof h.completedAtMs })), started, completed };
  };
  const [c, s] = await Promise.all([run(codex), run(spool)]);
  assert.deepEqual(s, c);
});

test("fs/* errors match Codex's, and fs/changed reports a write under a watched directory", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-parity-fs-"));
  dirs.push(root);
  const [codex, spool] = await Promise.all([side("codex", root, mockConfigToml(mock.url)), side("spool", root, mockConfigToml(mock.url))]);
  const cases: Array<[string, (s: Side) => unknown]> = [
    ["fs/readFile", () => ({ path: "relative.txt" })],
    ["fs/readFile", (s) => ({ path: path.join(s.ws, "missing.txt") })],
    ["fs/readFile", () => ({})],
    ["fs/readFile", (s) => ({ path: s.ws })],
    ["fs/readDirectory", (s) => ({ path: path.join(s.ws, "missing") })],
    ["fs/remove", (s) => ({ path: path.join(s.ws, "missing") })],
    ["fs/createDirectory", (s) => ({ path: path.join(s.ws, "a", "b"), recursive: false })],
    ["fs/copy", (s) => ({ sourcePath: s.ws, destinationPath: path.join(root, "elsewhere") })],
    ["fs/unwatch", () => ({ watchId: "never" })],
  ];
  for (const [method, make] of cases) {
    const [c, s] = await Promise.all([call(codex.client, method, make(codex)), call(spool.client, method, make(spool))]);
    assert.deepEqual(normalized(s, spool), normalized(c, codex), `${method} ${JSON.stringify(make(spool))}`);
  }
  const watched = await spool.client.request("fs/watch", { watchId: "w", path: spool.ws });
  assert.deepEqual(watched, { path: spool.ws });
  await spool.client.request("fs/writeFile", { path: path.join(spool.ws, "fresh.txt"), dataBase64: Buffer.from("x").toString("base64") });
  for (let i = 0; i < 400 && !spool.client.notifications.some((n) => n.method === "fs/changed"); i++) await new Promise((r) => setTimeout(r, 25));
  const changed = spool.client.notifications.find((n) => n.method === "fs/changed");
  assert.deepEqual(changed?.params, { watchId: "w", changedPaths: [path.join(spool.ws, "fresh.txt")] });
});
