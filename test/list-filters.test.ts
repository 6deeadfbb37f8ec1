// thread/list filters the goldens do not cover: cwd, every source kind, every provider, recency.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { copyCorpusHome } from "./helpers/compare.js";
import { corpusFixtureDir } from "./helpers/paths.js";
import { startSpool } from "./helpers/spool.js";

const home = copyCorpusHome(corpusFixtureDir(), { filesOnly: true });
const client = startSpool(home);
after(async () => {
  await client.close();
  fs.rmSync(home, { recursive: true, force: true });
});
const ids = async (params: object) => ((await client.request("thread/list", params)) as { data: Array<{ id: string }> }).data.map((t) => t.id.slice(-4));

test("cwd filters match exactly, as a string or a list; an empty list matches nothing", async () => {
  await client.initialize("filters");
  const ws = "/home/dev/codex-demo/work/ws";
  assert.equal((await ids({ cwd: ws })).length, 5);
  assert.equal((await ids({ cwd: [ws, "/elsewhere"] })).length, 5);
  assert.deepEqual(await ids({ cwd: "/home/dev/codex-demo/work" }), []);
  assert.deepEqual(await ids({ cwd: [] }), []);
});

test("source kinds, providers and recency order", async () => {
  assert.deepEqual(await ids({ sourceKinds: ["exec"] }), []);
  assert.equal((await ids({ sourceKinds: ["vscode", "exec"] })).length, 5);
  assert.equal((await ids({ modelProviders: [] })).length, 5);
  assert.deepEqual(await ids({ modelProviders: ["mock", "other"], sortKey: "recency_at", sortDirection: "asc" }), ["7a13", "d2f3", "be5b", "bbec", "b025"]);
  assert.deepEqual(await ids({ archived: true, searchTerm: "archived" }), ["8c81"]);
  assert.deepEqual(await ids({ searchTerm: "Basics" }), ["bbec", "b025"]);
});
