// skills/list, skills/config/write and skills/extraRoots/set through `spool app-server`, side by
// side with the real Codex 0.169.0 over the same kind of home and workspace: user skills (one
// nested three folders deep, one without a name, one without front matter), repo skills in
// `.agents/skills` and `.codex/skills`, an extra root. Codex also lists the skills it bundles
// (`skills/.system`, written into its own home at start); Spool bundles none, so those are left
// out of the comparison. Every answer is validated against the generated schema.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startCodex } from "./helpers/codex.js";
import { startSpool } from "./helpers/spool.js";
import { validateResponse } from "./helpers/schema.js";
import type { RpcClient } from "./helpers/rpc-client.js";

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};

function setup(tag: string): { root: string; home: string; ws: string; extra: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `spool-skills-${tag}-`)));
  roots.push(root);
  const home = path.join(root, "home");
  const ws = path.join(root, "ws");
  const extra = path.join(root, "extra");
  write(path.join(home, "config.toml"), 'model = "mock-model"\n');
  write(path.join(home, "skills", "greet", "SKILL.md"), "---\nname: greet\ndescription: Say hello.\nmetadata:\n  short-description: Hello\n---\nbody\n");
  write(path.join(home, "skills", "deep", "a", "b", "SKILL.md"), "---\nname: deepone\ndescription: >\n  Folded\n  over lines.\n---\n");
  write(path.join(home, "skills", "noname", "SKILL.md"), "---\ndescription: No name given.\n---\n");
  write(path.join(home, "skills", "broken", "SKILL.md"), "no front matter here\n");
  write(path.join(home, "skills", "nodesc", "SKILL.md"), "---\nname: nodesc\n---\n");
  fs.mkdirSync(path.join(ws, ".git"), { recursive: true });
  write(path.join(ws, ".agents", "skills", "lint", "SKILL.md"), "---\nname: lint\ndescription: Lint the repo.\n---\n");
  write(path.join(ws, ".codex", "skills", "fmt", "SKILL.md"), "---\nname: fmt\ndescription: Format code.\n---\n");
  write(path.join(extra, "x1", "SKILL.md"), "---\nname: x1\ndescription: From an extra root.\n---\n");
  return { root, home, ws, extra };
}

type Step = { method: string; params: any };

/** Runs the steps; each answer (result or error) with the temp root replaced by `<root>` and bundled skills left out. */
async function answers(c: RpcClient, root: string, steps: Step[]): Promise<unknown[]> {
  const out: unknown[] = [];
  try {
    await c.initialize("skills-compare");
    for (const s of steps) {
      const params = JSON.parse(JSON.stringify(s.params).replaceAll("<root>", root));
      try {
        const r = await c.request(s.method, params);
        assert.deepEqual(validateResponse(s.method, r), [], `${s.method} validates`);
        out.push({ result: r });
      } catch (e) {
        out.push({ error: (e as { rpc?: unknown }).rpc ?? String(e) });
      }
    }
  } finally {
    await c.close();
  }
  const text = JSON.stringify(out).replaceAll(root, "<root>");
  return (JSON.parse(text) as any[]).map((a) => {
    if (a.result?.data) for (const e of a.result.data) e.skills = e.skills.filter((s: any) => s.scope !== "system");
    return a;
  });
}

test("skills/list, skills/config/write and skills/extraRoots/set answer like Codex 0.169.0", { timeout: 120_000 }, async () => {
  const steps: Step[] = [
    { method: "skills/list", params: { cwds: ["<root>/ws"] } },
    { method: "skills/config/write", params: { name: "greet", enabled: false } },
    { method: "skills/config/write", params: { path: "<root>/home/skills/deep/a/b/SKILL.md", enabled: false } },
    { method: "skills/list", params: { cwds: ["<root>/ws"], forceReload: true } },
    { method: "skills/config/write", params: { name: "greet", enabled: true } },
    { method: "skills/config/write", params: { enabled: false } },
    { method: "skills/config/write", params: { name: "greet", path: "<root>/x", enabled: true } },
    { method: "skills/config/write", params: { path: "relative/SKILL.md", enabled: true } },
    { method: "skills/extraRoots/set", params: { extraRoots: ["<root>/extra"] } },
    { method: "skills/extraRoots/set", params: { extraRoots: ["relative"] } },
    { method: "skills/list", params: { cwds: ["<root>/ws", "<root>/home"] } },
  ];
  const a = setup("codex");
  const b = setup("spool");
  const codex = await answers(startCodex(a.home), a.root, steps);
  const spool = await answers(startSpool(b.home, { env: { SPOOL_LOG: "error" } }), b.root, steps);
  for (let i = 0; i < steps.length; i++) assert.deepEqual(spool[i], codex[i], `${steps[i].method} ${JSON.stringify(steps[i].params)}`);
  // literal expectations for the first listing (what Codex answered)
  const first = (codex[0] as any).result.data[0];
  assert.deepEqual(
    first.skills.map((s: any) => [s.name, s.scope, s.path.replace("<root>/", "")]),
    [
      ["fmt", "repo", "ws/.codex/skills/fmt/SKILL.md"],
      ["lint", "repo", "ws/.agents/skills/lint/SKILL.md"],
      ["deepone", "user", "home/skills/deep/a/b/SKILL.md"],
      ["greet", "user", "home/skills/greet/SKILL.md"],
      ["noname", "user", "home/skills/noname/SKILL.md"],
    ],
  );
  assert.equal(first.skills[2].description, "Folded over lines.");
  assert.deepEqual(
    first.errors.map((e: any) => e.message),
    ["missing YAML frontmatter delimited by ---", "missing field `description`"],
  );
});
