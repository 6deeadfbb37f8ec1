// The methods a client (the Codex TUI) calls at start, side by side with the real Codex 0.169.0
// over copies of the same home, and on their own:
//  - config/read (with and without layers), account/read / getAuthStatus / rateLimits before and
//    after an API-key login and a logout (auth.json byte for byte), the catalogs, the errors for
//    bad input, and the notifications after `initialize` answer field for field like Codex's;
//  - a config.toml with an unknown key or an invalid value gives Codex's configWarning (and
//    config/read's error), and never stops the server;
//  - model/list lists the provider's `/models` (else the configured model);
//  - fuzzyFileSearch ranks workspace files, honouring .gitignore.
// Every answer and notification is validated against the generated JSON Schema.
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
import { validateNotification, validateResponse } from "./helpers/schema.js";

let mock: MockResponses;
const dirs: string[] = [];
const clients: RpcClient[] = [];
before(async () => {
  mock = await startMockResponses({ models: ["mock-model", "mock-model-mini"] });
});
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await mock.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const INSTALLATION_ID = "0c8a2f7e-5d4b-4f1a-9e3c-7b6d5a4c3b2a";

/** Two copies of one home (Codex's and Spool's) with this config.toml, and a workspace. */
function homes(toml: string): { codexHome: string; spoolHome: string; ws: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-client-methods-"));
  dirs.push(root);
  const codexHome = path.join(root, "codex-home");
  const spoolHome = path.join(root, "spool-home");
  const ws = path.join(root, "ws");
  for (const h of [codexHome, spoolHome]) {
    fs.mkdirSync(h);
    fs.writeFileSync(path.join(h, "config.toml"), toml);
    fs.writeFileSync(path.join(h, "installation_id"), INSTALLATION_ID);
  }
  fs.mkdirSync(ws);
  return { codexHome, spoolHome, ws };
}

async function started(c: RpcClient): Promise<RpcClient> {
  clients.push(c);
  await c.initialize();
  c.notify("initialized");
  return c;
}

/** Codex and Spool over copies of one home, initialized. */
async function pair(toml: string) {
  const h = homes(toml);
  const [codex, spool] = await Promise.all([started(startCodex(h.codexHome, { cwd: h.ws })), started(startSpool(h.spoolHome, { cwd: h.ws }))]);
  return { ...h, codex, spool };
}

/** The answer (or the error object) of a request, schema-checked when it is an answer. */
async function answer(c: RpcClient, method: string, params: unknown): Promise<{ result?: any; error?: any }> {
  try {
    const result = await c.request(method, params);
    // getAuthStatus and account/logout have no answer type in the generated schema: they are compared with Codex's answers instead
    if (method !== "getAuthStatus" && method !== "account/logout") assert.deepEqual(validateResponse(method, result), [], `${method} answer matches the schema`);
    return { result };
  } catch (e) {
    if (e instanceof RpcError) return { error: (e as RpcError & { rpc: unknown }).rpc };
    throw e;
  }
}

/** The same request to both; their answers with each home's path replaced by HOME. */
async function both(p: { codex: RpcClient; spool: RpcClient; codexHome: string; spoolHome: string }, method: string, params: unknown = {}) {
  const [c, s] = await Promise.all([answer(p.codex, method, params), answer(p.spool, method, params)]);
  const norm = (v: unknown, home: string) => JSON.parse(JSON.stringify(v ?? null).split(home).join("HOME"));
  return { codex: norm(c, p.codexHome), spool: norm(s, p.spoolHome) };
}

async function sameAnswer(p: Parameters<typeof both>[0], method: string, params: unknown = {}) {
  const r = await both(p, method, params);
  assert.deepEqual(r.spool, r.codex, `${method} ${JSON.stringify(params)}`);
  return r.spool;
}

/** Notifications received so far, by method, schema-checked, with the home path replaced. */
function notes(c: RpcClient, method: string, home: string): unknown[] {
  return c.notifications
    .filter((n) => n.method === method)
    .map((n) => {
      assert.deepEqual(validateNotification(n.method, n.params), [], `${method} matches the schema`);
      return JSON.parse(JSON.stringify(n.params).split(home).join("HOME"));
    });
}

async function settle(c: RpcClient, method: string, count: number): Promise<void> {
  for (let i = 0; i < 200 && c.notifications.filter((n) => n.method === method).length < count; i++) await new Promise((r) => setTimeout(r, 25));
}

test("config/read, catalogs and bad input answer like Codex over the same home", async () => {
  const extra = [
    'model_reasoning_effort = "high"',
    'web_search = "live"',
    "thread_unload_delay_secs = 60",
    "[history]",
    'persistence = "none"',
    "[profiles.fast]",
    'model = "fast-model"',
    "[analytics]",
    "enabled = false",
    "[sandbox_workspace_write]",
    "network_access = true",
    "[mcp_servers.echo]",
    'command = "echo"',
    "[shell_environment_policy]",
    'inherit = "core"',
  ].join("\n");
  const p = await pair(mockConfigToml(mock.url, { extra: `${extra}\n` }));
  await sameAnswer(p, "config/read", {});
  const layered = await sameAnswer(p, "config/read", { includeLayers: true });
  assert.equal(layered.result.layers[0].name.type, "user");
  assert.equal(layered.result.config.profiles.fast.model, "fast-model");
  for (const [method, params] of [
    ["collaborationMode/list", {}],
    ["permissionProfile/list", {}],
    ["permissionProfile/list", { limit: 1 }],
    ["permissionProfile/list", { cursor: "1", limit: 1 }],
    ["modelProvider/list", {}],
    ["hooks/list", { cwds: [p.ws] }],
    ["plugin/installed", {}],
    ["plugin/list", {}],
    ["app/list", {}],
    ["externalAgentConfig/detect", {}],
    ["account/bedrock/checkGovCloudRequirements", {}],
    ["account/read", {}],
    ["getAuthStatus", { includeToken: true }],
    ["account/rateLimits/read", {}],
    // bad input
    ["account/login/start", { type: "bogus" }],
    ["account/login/start", { type: "apiKey" }],
    ["fuzzyFileSearch", { query: "a" }],
    ["fuzzyFileSearch", { query: "a", roots: [] }],
    ["thread/backgroundTerminals/list", {}],
    ["thread/backgroundTerminals/list", { threadId: "zz" }],
    ["thread/backgroundTerminals/list", { threadId: "00000000-0000-0000-0000-000000000000" }],
    ["model/list", { modelProvider: "nope" }],
    ["model/list", { cursor: "zz" }],
  ] as const)
    await sameAnswer(p, method, params);
  // configured MCP servers are listed with Codex's fields; Spool never starts them, so no tools
  const mcp = await both(p, "mcpServerStatus/list");
  const { toolsError: codexError, ...codexServer } = mcp.codex.result.data[0];
  const { toolsError: spoolError, ...spoolServer } = mcp.spool.result.data[0];
  assert.deepEqual(spoolServer, codexServer);
  assert.equal(typeof codexError, "string");
  assert.equal(spoolError, "MCP servers are not started by this server (Spool has no MCP client)");
  // Spool has no service tiers: it says so, and otherwise answers like Codex
  const req = await both(p, "configRequirements/read");
  assert.equal(req.codex.result.requirements, null);
  assert.deepEqual(req.spool.result, { supportsIndependentSpeedModes: false, requirements: null });
  // after initialize: the remote-control status, with the home's installation id
  assert.deepEqual(notes(p.spool, "remoteControl/status/changed", p.spoolHome), notes(p.codex, "remoteControl/status/changed", p.codexHome));
  assert.deepEqual(notes(p.spool, "remoteControl/status/changed", p.spoolHome), [{ status: "disabled", serverName: os.hostname(), installationId: INSTALLATION_ID, environmentId: null }]);
  assert.deepEqual(notes(p.spool, "configWarning", p.spoolHome), []);
  // a started thread has no background terminals (yet): the same empty page as Codex's
  const [ct, st] = await Promise.all([p.codex.request("thread/start", { cwd: p.ws }), p.spool.request("thread/start", { cwd: p.ws })]);
  const [cb, sb] = await Promise.all([
    answer(p.codex, "thread/backgroundTerminals/list", { threadId: ct.thread.id }),
    answer(p.spool, "thread/backgroundTerminals/list", { threadId: st.thread.id }),
  ]);
  assert.deepEqual(sb, cb);
  assert.deepEqual(sb, { result: { data: [], nextCursor: null } });
});

test("an API-key login and logout: account answers, notifications and auth.json match Codex's", async () => {
  // the built-in openai provider needs an OpenAI account; nothing here talks to it
  const p = await pair('model = "gpt-test"\n');
  await sameAnswer(p, "account/read", {});
  await sameAnswer(p, "getAuthStatus", { includeToken: true });
  await sameAnswer(p, "account/login/start", { type: "apiKey", apiKey: "sk-test-123" });
  const files = [p.codexHome, p.spoolHome].map((h) => path.join(h, "auth.json"));
  assert.equal(fs.readFileSync(files[1], "utf8"), fs.readFileSync(files[0], "utf8"));
  assert.equal(fs.readFileSync(files[1], "utf8"), '{\n  "auth_mode": "apikey",\n  "OPENAI_API_KEY": "sk-test-123"\n}');
  assert.equal(fs.statSync(files[1]).mode & 0o777, 0o600);
  const read = await sameAnswer(p, "account/read", {});
  assert.deepEqual(read.result.account, { type: "apiKey" });
  await sameAnswer(p, "getAuthStatus", { includeToken: true });
  await sameAnswer(p, "getAuthStatus", {});
  await sameAnswer(p, "account/rateLimits/read", {});
  await sameAnswer(p, "account/logout", {});
  assert.equal(fs.existsSync(files[0]), false);
  assert.equal(fs.existsSync(files[1]), false);
  await sameAnswer(p, "account/read", {});
  await sameAnswer(p, "account/logout", {});
  for (const c of [p.codex, p.spool]) await settle(c, "account/updated", 3);
  for (const m of ["account/login/completed", "account/updated"])
    assert.deepEqual(notes(p.spool, m, p.spoolHome), notes(p.codex, m, p.codexHome), m);
  assert.deepEqual(notes(p.spool, "account/updated", p.spoolHome), [
    { authMode: "apikey", planType: null },
    { authMode: null, planType: null },
    { authMode: null, planType: null },
  ]);
});

test("unknown config keys give Codex's configWarning; the server still answers", async () => {
  const p = await pair(mockConfigToml(mock.url, { extra: "bogus_key = 3\nother_bogus = true\n" }));
  await settle(p.codex, "configWarning", 1);
  await settle(p.spool, "configWarning", 1);
  const warnings = notes(p.spool, "configWarning", p.spoolHome);
  assert.deepEqual(warnings, notes(p.codex, "configWarning", p.codexHome));
  assert.equal(warnings.length, 1);
  await sameAnswer(p, "config/read", { includeLayers: true });
});

test("an invalid config value gives Codex's configWarning and config/read error", async () => {
  const p = await pair('approval_policy = "sometimes"\nmodel = "m"\n');
  await settle(p.codex, "configWarning", 1);
  await settle(p.spool, "configWarning", 1);
  assert.deepEqual(notes(p.spool, "configWarning", p.spoolHome), notes(p.codex, "configWarning", p.codexHome));
  await sameAnswer(p, "config/read", {});
  await sameAnswer(p, "account/read", {});
});

test("a config.toml that does not parse is reported, not fatal", async () => {
  const h = homes('model = "a"\n[model_providers.x\n');
  const spool = await started(startSpool(h.spoolHome, { cwd: h.ws }));
  await settle(spool, "configWarning", 1);
  const [w] = notes(spool, "configWarning", h.spoolHome) as any[];
  assert.equal(w.summary, "Invalid configuration; using defaults.");
  assert.equal(w.path, "HOME/config.toml");
  assert.equal(w.range.start.line, 2);
  assert.match(w.details, /^HOME\/config\.toml:2:\d+: /);
  const r = await answer(spool, "config/read", {});
  assert.equal(r.error.code, -32603);
  assert.match(r.error.message, /^failed to read configuration layers: /);
  assert.ok((await answer(spool, "thread/list", {})).result);
});

test("model/list lists the provider's /models, the configured model first; else the configured model", async () => {
  const h = homes(mockConfigToml(mock.url));
  const spool = await started(startSpool(h.spoolHome, { cwd: h.ws }));
  const all = (await answer(spool, "model/list", {})).result;
  assert.deepEqual(all.data.map((m: any) => [m.id, m.isDefault]), [["mock-model", true], ["mock-model-mini", false]]);
  assert.equal(all.nextCursor, null);
  const page = (await answer(spool, "model/list", { limit: 1 })).result;
  assert.deepEqual([page.data.map((m: any) => m.id), page.nextCursor], [["mock-model"], "1"]);
  const rest = (await answer(spool, "model/list", { cursor: "1" })).result;
  assert.deepEqual(rest.data.map((m: any) => m.id), ["mock-model-mini"]);

  // a provider whose /models cannot be reached: the configured model alone
  const closed = homes(mockConfigToml("http://127.0.0.1:9/v1").replace('model = "mock-model"', 'model = "only-model"'));
  const s2 = await started(startSpool(closed.spoolHome, { cwd: closed.ws }));
  assert.deepEqual((await answer(s2, "model/list", {})).result.data.map((m: any) => [m.id, m.isDefault]), [["only-model", true]]);
});

test("fuzzyFileSearch ranks workspace files, honouring .gitignore", async () => {
  const h = homes(mockConfigToml(mock.url));
  const files: Record<string, string> = {
    ".gitignore": "dist/\n*.log\n",
    "src/app.ts": "",
    "src/apple.ts": "",
    "src/nested/.gitignore": "secret.ts\n",
    "src/nested/secret.ts": "",
    "src/nested/happy.ts": "",
    "dist/app.js": "",
    "debug.log": "",
    "README.md": "",
  };
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(h.ws, f)), { recursive: true });
    fs.writeFileSync(path.join(h.ws, f), text);
  }
  const spool = await started(startSpool(h.spoolHome, { cwd: h.ws }));
  const r = (await answer(spool, "fuzzyFileSearch", { query: "app", roots: [h.ws], cancellationToken: null })).result;
  const paths = r.files.map((f: any) => f.path).sort();
  assert.deepEqual(paths, ["src/app.ts", "src/apple.ts", "src/nested/happy.ts"]);
  for (const f of r.files) {
    assert.equal(f.root, h.ws);
    assert.equal(f.match_type, "file");
    assert.equal(f.file_name, path.basename(f.path));
    assert.equal(f.indices.map((i: number) => f.path[i]).join("").toLowerCase(), "app");
  }
  // the closest match ranks first
  assert.equal(r.files[0].path, "src/app.ts");
  assert.deepEqual((await answer(spool, "fuzzyFileSearch", { query: "", roots: [h.ws] })).result, { files: [] });
  assert.deepEqual((await answer(spool, "fuzzyFileSearch", { query: "secret", roots: [h.ws] })).result, { files: [] });
});

test("initialize names Spool in userAgent, with no Codex version for a client to compare", async () => {
  const h = homes(mockConfigToml(mock.url));
  const spool = startSpool(h.spoolHome, { cwd: h.ws });
  clients.push(spool);
  const init = await spool.initialize("codex-tui");
  assert.deepEqual(validateResponse("initialize", init), []);
  // the real TUI warns about an older background service when the token after "/" is a semver below its own
  const token = init.userAgent.split(" ")[0];
  assert.match(token, /^codex-tui\/spool-\d+\.\d+\.\d+$/);
});
