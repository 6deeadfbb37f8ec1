// The index of a heavy home: a trusted index answers without re-reading files, a cold one is
// built before any lookup answers, the watcher re-reads only what changed, searchTerm goes
// through the trigram index with Codex's literal case-sensitive semantics, and the byte-level
// metadata scan folds lines across read chunks.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HomeIndex } from "../src/store/local/home-index.js";
import { scanRolloutMetadata } from "../src/store/local/scan.js";
import { startSpool } from "./helpers/spool.js";
import { validateResponse } from "./helpers/schema.js";

const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function tempHome(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "spool-scale-"));
  temps.push(d);
  return d;
}

const id = (n: number) => `01a1fba4-0000-7000-8000-${String(n).padStart(12, "0")}`;

/** Writes a Codex rollout with one user message; returns its path. */
function writeRollout(home: string, n: number, text: string, opts: { day?: string; extra?: object[] } = {}): string {
  const day = opts.day ?? "2026-11-21";
  const ts = `${day}T01:00:${String(n % 60).padStart(2, "0")}.000Z`;
  const lines = [
    { timestamp: ts, type: "session_meta", payload: { id: id(n), timestamp: ts, cwd: "/work/ws", originator: "codex_cli_rs", cli_version: "0.169.0", source: "cli", model_provider: "openai" } },
    { timestamp: ts, type: "event_msg", payload: { type: "user_message", message: text, images: [] } },
    ...(opts.extra ?? []),
  ];
  const [y, m, d] = day.split("-");
  const dir = path.join(home, "sessions", y, m, d);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `rollout-${day}T01-00-${String(n % 60).padStart(2, "0")}-${id(n)}.jsonl`);
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  return file;
}

const ids = (idx: HomeIndex) => (idx.db.prepare("SELECT id FROM threads ORDER BY id").pluck().all() as string[]).map((s) => Number(s.slice(-4)));

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  // no time limit on a busy machine beyond the test runner's own: poll until it holds
  for (let i = 0; ; i++) {
    if (await check()) return;
    if (i > 2000) assert.fail(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("a cold index is built before any lookup answers; a complete one is trusted at start and reconciled in the background", async () => {
  const home = tempHome();
  const files = [1, 2, 3, 4, 5].map((n) => writeRollout(home, n, `task ${n}`));
  const cold = new HomeIndex({ home, defaultProvider: "openai" });
  assert.equal(cold.built, false);
  const { done } = cold.start();
  await cold.ensureFresh();
  assert.deepEqual(ids(cold), [1, 2, 3, 4, 5], "the first lookup waited for the whole build");
  assert.equal(cold.built, true);
  await done;
  cold.close();

  // while nobody watches: one rollout appears, one goes away
  writeRollout(home, 6, "task 6");
  fs.rmSync(files[0]);

  const warm = new HomeIndex({ home, defaultProvider: "openai" });
  assert.equal(warm.built, true);
  const started = warm.start();
  await warm.ensureFresh();
  assert.deepEqual(ids(warm), [1, 2, 3, 4, 5], "the persisted rows answer at once, before any file is read");
  const stats = await started.done;
  assert.deepEqual(ids(warm), [2, 3, 4, 5, 6], "the background reconcile brought the rows up to date");
  assert.equal(stats.scanned, 1);
  assert.equal(stats.removed, 1);
  warm.close();
});

test("the watcher re-reads what changed: an appended name, a rollout in a new day directory, session_index.jsonl", async () => {
  const home = tempHome();
  const file = writeRollout(home, 1, "first task");
  writeRollout(home, 2, "second task");
  const idx = new HomeIndex({ home, defaultProvider: "openai" });
  await idx.start().done;
  const row = (n: number) => idx.get(id(n));

  fs.appendFileSync(file, JSON.stringify({ timestamp: "2026-11-21T02:00:00.000Z", type: "event_msg", payload: { type: "thread_name_updated", thread_id: id(1), thread_name: "Renamed in the rollout" } }) + "\n");
  await until("the appended name is indexed", async () => {
    await idx.ensureFresh();
    return row(1)?.name === "Renamed in the rollout";
  });
  assert.equal(JSON.parse(row(1)!.thread_json).name, "Renamed in the rollout");

  writeRollout(home, 3, "third task", { day: "2026-12-01" });
  await until("the rollout in a new directory is indexed", async () => {
    await idx.ensureFresh();
    return row(3)?.preview === "third task";
  });

  fs.appendFileSync(path.join(home, "session_index.jsonl"), JSON.stringify({ id: id(2), thread_name: "Named by Codex", updated_at: "2026-11-21T03:00:00Z" }) + "\n");
  await until("the session_index.jsonl name is indexed", async () => {
    await idx.ensureFresh();
    return row(2)?.name === "Named by Codex";
  });
  assert.equal(row(1)?.name, "Renamed in the rollout", "other rows keep their names");
  idx.close();
});

test("searchTerm goes through the trigram index: literal, case-sensitive substrings of the preview or the name", async () => {
  const home = tempHome();
  const previews = ["Fix the parser", "fix THE Parser", "naïve café crème", 'say "hi" twice', "100% done", "ab", "under_score and more"];
  previews.forEach((p, i) => writeRollout(home, i + 1, p));
  fs.writeFileSync(path.join(home, "session_index.jsonl"), JSON.stringify({ id: id(6), thread_name: "Parser notes", updated_at: "2026-11-21T03:00:00Z" }) + "\n");
  const client = startSpool(home);
  try {
    await client.initialize("scale");
    const search = async (searchTerm: string) => {
      const r = await client.request("thread/list", { searchTerm, limit: 50 });
      assert.deepEqual(validateResponse("thread/list", r), []);
      return (r as { data: Array<{ id: string }> }).data.map((t) => Number(t.id.slice(-4))).sort((a, b) => a - b);
    };
    assert.deepEqual(await search("parser"), [1]);
    assert.deepEqual(await search("Parser"), [2, 6], "the name matches too");
    assert.deepEqual(await search("the p"), [1]);
    assert.deepEqual(await search("café cr"), [3]);
    assert.deepEqual(await search('"hi"'), [4], "quotes are literal");
    assert.deepEqual(await search("0% d"), [5]);
    assert.deepEqual(await search("_sc"), [7]);
    assert.deepEqual(await search("ab"), [6], "two characters: too short for trigrams, still found");
    assert.deepEqual(await search("e"), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(await search("PARSER"), []);
    assert.deepEqual(await search("xyzzy"), []);
  } finally {
    await client.close();
  }
});

test("the metadata scan folds lines longer than a read chunk, skips empty lines and leaves an unterminated tail", async () => {
  const home = tempHome();
  const big = "x".repeat(600 * 1024);
  const file = writeRollout(home, 1, `first ${"y".repeat(300 * 1024)} end`, {
    extra: [
      { timestamp: "t", type: "response_item", payload: { type: "function_call_output", call_id: "c", output: big } },
      { timestamp: "t", type: "turn_context", payload: { turn_id: "t1", cwd: "/work/ws", model: "gpt-5", effort: "high" } },
      { timestamp: "t", type: "event_msg", payload: { type: "user_message", message: "second message", images: [] } },
      { timestamp: "t", type: "event_msg", payload: { type: "token_count", info: { total_token_usage: { total_tokens: 1234 } } } },
    ],
  });
  fs.appendFileSync(file, "\n\n");
  const whole = fs.statSync(file).size;
  fs.appendFileSync(file, '{"timestamp":"t","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"total_tokens":99');
  const r = await scanRolloutMetadata(file);
  assert.equal(r.meta.preview.length, 300 * 1024 + 10);
  assert.ok(r.meta.preview.startsWith("first yyy") && r.meta.preview.endsWith("yyy end"));
  assert.equal(r.meta.model, "gpt-5");
  assert.equal(r.meta.reasoningEffort, "high");
  assert.equal(r.meta.tokensUsed, 1234);
  assert.equal(r.lines, 6);
  assert.equal(r.offset, whole, "folded up to the last newline");
  // resumed from that offset once the tail is whole
  fs.appendFileSync(file, "}}}}\n");
  const more = await scanRolloutMetadata(file, { meta: r.meta, offset: r.offset, lines: r.lines });
  assert.equal(more.meta.tokensUsed, 99);
  assert.equal(more.lines, 7);
  assert.equal(more.offset, fs.statSync(file).size);
});
