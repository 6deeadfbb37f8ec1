// What a real model meets, Spool against the real Codex 0.169.0: the same turn in the same kind of
// workspace and home (an AGENTS.md in the home and in the repo, a user skill, a repo skill), run
// by both servers against the scripted Responses server, and their requests compared by shape:
//  - the context items: the same roles and kinds of items (base instructions, skills,
//    permissions, AGENTS.md, environment context, the user's text) in the same order, for each
//    sandbox mode, and the updates a later turn gets when the sandbox, approval policy and cwd
//    change (the texts are each server's own: only their kind is compared);
//  - the tools: Codex's tool names, in Codex's order, for the tools Spool has (write_stdin and the
//    sub-agent namespace are not Spool's), with the same parameters (prose left out);
//  - reasoning and include settings, and client_metadata's shape (a flat map of strings).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startMockResponses, type MockRequest, type MockResponses } from "./helpers/mock-responses.js";
import { mockConfigToml } from "./helpers/mock-home.js";
import { startCodex } from "./helpers/codex.js";
import { startSpool } from "./helpers/spool.js";
import type { RpcClient } from "./helpers/rpc-client.js";

const roots: string[] = [];
let mock: MockResponses | null = null;
after(async () => {
  await mock?.close();
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};

/** A home and a git workspace with AGENTS.md files and skills, config pointing at the mock. */
function workspace(tag: string, sandbox: string): { home: string; ws: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `spool-ctx-${tag}-`));
  roots.push(root);
  const home = path.join(root, "home");
  const ws = path.join(root, "ws");
  write(path.join(home, "config.toml"), mockConfigToml(mock!.url).replace('sandbox_mode = "workspace-write"', `sandbox_mode = "${sandbox}"`));
  write(path.join(home, "AGENTS.md"), "Prefer small commits.\n");
  write(path.join(home, "skills", "greet", "SKILL.md"), "---\nname: greet\ndescription: Greets the user warmly.\n---\n\nSay hello.\n");
  fs.mkdirSync(path.join(ws, ".git"), { recursive: true });
  write(path.join(ws, "AGENTS.md"), "# Repo rules\nRun the tests before finishing.\n");
  write(path.join(ws, ".agents", "skills", "lint", "SKILL.md"), "---\nname: lint\ndescription: Lints the repository.\n---\n\nRun the linter.\n");
  write(path.join(ws, "sub", "AGENTS.md"), "Sub-package rules.\n");
  return { home, ws };
}

const textsOf = (item: any): string[] => (Array.isArray(item.content) ? item.content.map((c: any) => (typeof c.text === "string" ? c.text : c.type)) : []);

/** The kind of one content part, by the marker it starts with. */
function partKind(text: string): string {
  for (const [marker, kind] of [
    ["<skills_instructions>", "skills"],
    ["<permissions instructions>", "permissions"],
    ["<environment_context>", "environment"],
    ["# AGENTS.md instructions for ", "agents_md"],
  ] as const)
    if (text.startsWith(marker)) return kind;
  return "text";
}

/** A request's input as `role:[kinds]` entries; the first developer message is the base instructions. */
function contextShape(input: any[]): string[] {
  return input.map((item, i) => {
    if (item.type !== "message") return item.type;
    if (i === 0 && item.role === "developer") return "developer:[base_instructions]";
    return `${item.role}:[${textsOf(item).map(partKind).join(",")}]`;
  });
}

/** A tool schema without its prose: property names, types, enums, items, required, additionalProperties. */
const shape = (v: any): any => {
  if (Array.isArray(v)) return v.map(shape);
  if (v && typeof v === "object") {
    const out: any = {};
    for (const k of Object.keys(v).sort()) if (k !== "description") out[k] = shape(v[k]);
    return out;
  }
  return v;
};

const NOT_SPOOLS = new Set(["write_stdin", "multi_agent_v1"]);
const toolName = (t: any) => t.name ?? t.type;

interface Turn {
  text: string;
  extra?: Record<string, unknown>;
}

/** Runs the turns on a fresh thread; returns the Responses requests of that thread, in order. */
async function run(c: RpcClient, ws: string, turns: Turn[]): Promise<MockRequest[]> {
  try {
    await c.initialize("context-compare");
    const thread = (await c.request("thread/start", { cwd: ws })).thread.id as string;
    for (const t of turns) {
      const started = await c.request("turn/start", { threadId: thread, input: [{ type: "text", text: t.text }], ...(t.extra ?? {}) });
      await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === started.turn.id, 60_000);
    }
    return mock!.requests.filter((r) => r.body?.prompt_cache_key === thread);
  } finally {
    await c.close();
  }
}

async function both(tag: string, sandbox: string, turns: Turn[]): Promise<{ codex: MockRequest[]; spool: MockRequest[] }> {
  mock ??= await startMockResponses();
  const a = workspace(`codex-${tag}`, sandbox);
  const b = workspace(`spool-${tag}`, sandbox);
  const codex = await run(startCodex(a.home), a.ws, turns.map((t) => ({ ...t, extra: t.extra && fixCwd(t.extra, a.ws) })));
  const spool = await run(startSpool(b.home, { env: { SPOOL_LOG: "error" } }), b.ws, turns.map((t) => ({ ...t, extra: t.extra && fixCwd(t.extra, b.ws) })));
  assert.equal(codex.length, turns.length, "one request per turn from Codex");
  assert.equal(spool.length, turns.length, "one request per turn from Spool");
  return { codex, spool };
}

/** `cwd: "<ws>/sub"` in a turn's params, for each server's own workspace. */
const fixCwd = (extra: Record<string, unknown>, ws: string) => (typeof extra.cwd === "string" ? { ...extra, cwd: extra.cwd.replace("<ws>", ws) } : extra);

for (const sandbox of ["read-only", "workspace-write", "danger-full-access"]) {
  test(`first request of a plain turn, sandbox ${sandbox}: Codex's context items, tools, reasoning and metadata shape`, { timeout: 120_000 }, async () => {
    const { codex, spool } = await both(sandbox, sandbox, [{ text: "hello there" }]);
    const c = codex[0].body;
    const s = spool[0].body;
    // context: same roles and kinds in the same order
    assert.deepEqual(contextShape(s.input), contextShape(c.input));
    assert.deepEqual(contextShape(c.input), [
      "developer:[base_instructions]",
      "developer:[skills,permissions]",
      "user:[agents_md,environment]",
      "user:[text]",
    ]);
    // Spool's skills list names both skills; its AGENTS.md message carries both files
    const skills = textsOf(s.input[1])[0];
    assert.match(skills, /- greet: Greets the user warmly\./);
    assert.match(skills, /- lint: Lints the repository\./);
    const agents = textsOf(s.input[2])[0];
    assert.ok(agents.indexOf("Prefer small commits.") < agents.indexOf("Run the tests before finishing."), "home instructions first, then the repo's");
    assert.match(textsOf(s.input[1])[1], new RegExp(`\`${sandbox}\``), "the permissions name the sandbox mode");
    // tools: Codex's names and order for the tools Spool has, the same parameters
    const codexTools = c.tools.filter((t: any) => !NOT_SPOOLS.has(toolName(t)));
    assert.deepEqual(s.tools.map(toolName), codexTools.map(toolName));
    for (const t of codexTools) {
      const mine = s.tools.find((x: any) => toolName(x) === toolName(t));
      if (t.type === "function") assert.deepEqual(shape(mine.parameters), shape(t.parameters), `${t.name}: same parameters as Codex's`);
      else assert.deepEqual(mine, t, `${toolName(t)}: the same hosted tool`);
    }
    // reasoning, include, and the other request fields
    assert.deepEqual(s.reasoning, c.reasoning);
    assert.deepEqual(s.include, c.include);
    for (const k of ["tool_choice", "parallel_tool_calls", "store", "stream"]) assert.deepEqual(s[k], c[k], k);
    assert.equal(s.instructions, c.instructions, "neither sends `instructions`: base instructions are the first developer message");
    // client_metadata: a flat map of strings naming the thread and turn, no Codex identity
    for (const v of Object.values(s.client_metadata)) assert.equal(typeof v, "string");
    for (const k of ["session_id", "thread_id", "turn_id", "root_turn_id"]) assert.equal(typeof c.client_metadata[k], "string", `Codex sends ${k}`);
    assert.deepEqual(Object.keys(s.client_metadata).sort(), ["root_turn_id", "session_id", "thread_id", "turn_id"]);
    assert.equal(s.client_metadata.thread_id, s.prompt_cache_key);
  });
}

test("later turns: changed sandbox and approval, then a changed cwd, give Codex's kinds of update items", { timeout: 180_000 }, async () => {
  const turns: Turn[] = [
    { text: "one" },
    { text: "two", extra: { sandboxPolicy: { type: "readOnly" }, approvalPolicy: "never" } },
    { text: "three", extra: { cwd: "<ws>/sub", sandboxPolicy: { type: "dangerFullAccess" } } },
    { text: "four" },
  ];
  const { codex, spool } = await both("updates", "workspace-write", turns);
  for (let i = 0; i < turns.length; i++) assert.deepEqual(contextShape(spool[i].body.input), contextShape(codex[i].body.input), `request of turn ${i + 1}`);
  // the last request, spelled out: nothing new for an unchanged turn
  assert.deepEqual(contextShape(spool[3].body.input), [
    "developer:[base_instructions]",
    "developer:[skills,permissions]",
    "user:[agents_md,environment]",
    "user:[text]",
    "message",
    "developer:[permissions]",
    "user:[environment]",
    "user:[text]",
    "message",
    "user:[agents_md]",
    "developer:[permissions]",
    "user:[environment]",
    "user:[text]",
    "message",
    "user:[text]",
  ].map((k) => (k === "message" ? "assistant:[text]" : k)));
  const subDocs = textsOf(spool[2].body.input[9])[0];
  assert.match(subDocs, /Sub-package rules\./, "the cwd's own AGENTS.md joins after a cwd change");
});
