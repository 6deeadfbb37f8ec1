// Context building on real files: AGENTS.md discovery as Codex 0.169.0 does it (the home's file,
// then every folder from the git root down to cwd, AGENTS.override.md first, the configured
// fallback names, a shared byte budget), the config keys (`model_instructions_file`,
// `developer_instructions`, `project_doc_*`), and what a later turn gets after a change. The
// discovery rules were checked against the real binary with the scripted Responses server
// (its AGENTS.md message for the same files: home text, "--- project-doc ---", then the project's
// files from the root down).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { discoverProjectDocs } from "../src/context/project-docs.js";
import { instructionsText } from "../src/context/agents-md.js";
import { contextOptionsFromConfig } from "../src/context/config.js";
import { WorkspaceContext } from "../src/context/workspace-context.js";
import { SPOOL_BASE_INSTRUCTIONS } from "../src/context/base-instructions.js";
import { modelInfoFromCatalogue } from "../src/agent/model-info.js";
import { ResponsesClient } from "../src/agent/model-client.js";
import { resolveProvider } from "../src/agent/config.js";
import type { SpoolConfig } from "../src/config/config.js";
import type { Json } from "../src/rollout/line.js";

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "spool-context-")));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    const f = path.join(root, rel);
    fs.mkdirSync(rel.endsWith("/") ? f : path.dirname(f), { recursive: true });
    if (!rel.endsWith("/")) fs.writeFileSync(f, text);
  }
  return root;
}

test("AGENTS.md discovery: home file, git root down to cwd, overrides, fallback names, byte budget", () => {
  const root = tree({
    "home/AGENTS.md": "home rules\n",
    "home/AGENTS.override.md": "home override\n",
    "outside/AGENTS.md": "above the repo: not read\n",
    "outside/repo/.git/": "",
    "outside/repo/AGENTS.md": "repo rules\n",
    "outside/repo/a/AGENTS.override.md": "a override\n",
    "outside/repo/a/AGENTS.md": "a rules (shadowed)\n",
    "outside/repo/a/b/CLAUDE.md": "b via fallback\n",
  });
  const home = path.join(root, "home");
  const cwd = path.join(root, "outside/repo/a/b");
  const docs = discoverProjectDocs(cwd, { codexHome: home, fallbackFilenames: ["CLAUDE.md"] });
  assert.deepEqual(docs.home, { path: path.join(home, "AGENTS.override.md"), text: "home override" });
  assert.deepEqual(
    docs.project.map((d) => path.relative(root, d.path)),
    ["outside/repo/AGENTS.md", "outside/repo/a/AGENTS.override.md", "outside/repo/a/b/CLAUDE.md"],
  );
  assert.equal(instructionsText(docs), "home override\n\n--- project-doc ---\n\nrepo rules\n\n\na override\n\n\nb via fallback\n");
  // without the fallback name, b has nothing
  assert.equal(discoverProjectDocs(cwd, { codexHome: home }).project.length, 2);
  // the budget is shared and cuts the file that crosses it; 0 turns project files off
  const cut = discoverProjectDocs(cwd, { codexHome: home, maxBytes: 14 });
  assert.deepEqual(cut.project.map((d) => d.text), ["repo rules\n", "a o"]);
  assert.deepEqual(discoverProjectDocs(cwd, { codexHome: home, maxBytes: 0 }).project, []);
  // no git root: only cwd itself
  assert.deepEqual(discoverProjectDocs(path.join(root, "outside"), { codexHome: path.join(root, "nohome") }), { home: null, project: [{ path: path.join(root, "outside/AGENTS.md"), text: "above the repo: not read\n" }] });
});

test("config keys: model_instructions_file replaces the base instructions, developer_instructions lead the developer message", () => {
  const root = tree({ "home/instructions.md": "Custom base.\n", "ws/.git/": "" });
  const home = path.join(root, "home");
  const ws = path.join(root, "ws");
  const opts = contextOptionsFromConfig({ model_instructions_file: "instructions.md", developer_instructions: "Be brief.", project_doc_max_bytes: 10, project_doc_fallback_filenames: ["X.md", 3] }, home);
  assert.deepEqual(opts, { developerInstructions: "Be brief.", modelInstructionsFile: path.join(home, "instructions.md"), projectDocMaxBytes: 10, projectDocFallbackFilenames: ["X.md"] });
  const ctx = new WorkspaceContext({ codexHome: home, ...opts });
  assert.equal(ctx.baseInstructions(), "Custom base.\n");
  assert.equal(new WorkspaceContext({ codexHome: home }).baseInstructions(), SPOOL_BASE_INSTRUCTIONS);
  const items = ctx.items({ cwd: ws, approvalPolicy: "never", sandboxMode: "read-only" }, null, new Date(2026, 0, 2));
  const dev = items[0].payload as any;
  assert.equal(dev.role, "developer");
  assert.equal(dev.content[0].text, "Be brief.");
  assert.match(dev.content[1].text, /^<permissions instructions>\n[^]*`read-only`[^]*`never`[^]*<\/permissions instructions>$/);
  const user = items[1].payload as any;
  assert.equal(user.content.length, 1, "no AGENTS.md anywhere: only the environment");
  assert.match(user.content[0].text, /^<environment_context>\n {2}<cwd>[^<]+<\/cwd>\n {2}<shell>[^<]+<\/shell>\n {2}<current_date>2026-01-02<\/current_date>/);
});

test("a later turn gets only what changed: nothing, then permissions and environment, then the new AGENTS.md", () => {
  const root = tree({ "home/": "", "ws/.git/": "", "ws/AGENTS.md": "top\n", "ws/sub/AGENTS.md": "sub\n", "ws/same/": "" });
  const ctx = new WorkspaceContext({ codexHome: path.join(root, "home") });
  const ws = path.join(root, "ws");
  const now = new Date();
  const base = { cwd: ws, approvalPolicy: "on-request", sandboxMode: "workspace-write" } as const;
  const kinds = (items: ReturnType<WorkspaceContext["items"]>) => items.map((i: any) => `${i.payload.role}:${i.payload.content.map((c: any) => c.text.split("\n")[0]).join("|")}`);
  assert.deepEqual(kinds(ctx.items(base, base, now)), []);
  assert.deepEqual(kinds(ctx.items({ ...base, approvalPolicy: "never" }, base, now)), ["developer:<permissions instructions>", "user:<environment_context>"]);
  // a new cwd with the same instructions: the environment (with the cwd) only
  const same = ctx.items({ ...base, cwd: path.join(ws, "same") }, base, now);
  assert.deepEqual(kinds(same), ["user:<environment_context>"]);
  assert.match((same[0].payload as any).content[0].text, /<cwd>/);
  const moved = ctx.items({ ...base, cwd: path.join(ws, "sub") }, base, now);
  assert.deepEqual(kinds(moved), [`user:# AGENTS.md instructions for ${path.join(ws, "sub")}`, "user:<environment_context>"]);
  assert.match((moved[0].payload as any).content[0].text, /top\n\n\nsub\n\n<\/INSTRUCTIONS>$/);
});

test("model info: the provider's catalogue decides reasoning and include; models it does not list get Codex's fallback", async () => {
  const catalogue: Json = { models: [{ slug: "plain-model", supports_reasoning_summaries: false }, { slug: "thinker", supports_reasoning_summaries: true, default_reasoning_level: "medium" }] };
  assert.deepEqual(modelInfoFromCatalogue("plain-model", catalogue), { slug: "plain-model", supportsReasoningSummaries: false, supportsEncryptedReasoning: false, defaultReasoningEffort: null });
  assert.deepEqual(modelInfoFromCatalogue("thinker-2025", catalogue), { slug: "thinker-2025", supportsReasoningSummaries: true, supportsEncryptedReasoning: true, defaultReasoningEffort: "medium" });
  assert.deepEqual(modelInfoFromCatalogue("unknown", catalogue), { slug: "unknown", supportsReasoningSummaries: true, supportsEncryptedReasoning: true, defaultReasoningEffort: null });
  // the client asks GET {base_url}/models once
  const urls: string[] = [];
  const fetchStub = (async (url: string) => {
    urls.push(url);
    return new Response(JSON.stringify(catalogue), { status: 200, headers: { "content-type": "application/json" } });
  }) as unknown as typeof fetch;
  const provider = resolveProvider({ modelProvider: "m", model_providers: { m: { base_url: "http://127.0.0.1:9/v1" } } } as unknown as SpoolConfig, "m", {});
  const client = new ResponsesClient(provider, { fetch: fetchStub, env: {} });
  assert.equal((await client.modelInfo("plain-model")).supportsReasoningSummaries, false);
  assert.equal((await client.modelInfo("thinker")).defaultReasoningEffort, "medium");
  assert.deepEqual(urls, ["http://127.0.0.1:9/v1/models"]);
});
