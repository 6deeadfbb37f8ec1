// Regressions from probing the rollout files: a line too long for a JS string, a complete last
// line without its newline, a torn last line of session_index.jsonl.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RolloutWriter } from "../src/store/local/writer.js";
import { startSpool } from "./helpers/spool.js";
import { corpusHomes } from "./helpers/corpus-homes.js";
import { validateResponse } from "./helpers/schema.js";

const BASICS = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
const homes = corpusHomes();

const freshHome = homes.fresh;

const rolloutOf = (home: string, id: string) =>
  fs.readdirSync(path.join(home, "sessions"), { recursive: true }).map(String).filter((f) => f.endsWith(`${id}.jsonl`)).map((f) => path.join(home, "sessions", f))[0];

/** V8's longest string (0x1fffffe8 UTF-16 units): one byte more cannot be decoded into a string. */
const V8_MAX_STRING = 0x1fffffe8;

async function readBasics(home: string): Promise<{ turns: unknown; stderr: string; listed: boolean }> {
  const c = startSpool(home);
  try {
    // no per-request timeout: reading past 512 MiB of hole takes what a busy machine takes
    await c.initialize("hardening", undefined, 0);
    const list = (await c.request("thread/list", { limit: 50 }, 0)) as { data: { id: string }[] };
    const read = await c.request("thread/read", { threadId: BASICS, includeTurns: true }, 0);
    assert.deepEqual(validateResponse("thread/read", read), []);
    return { turns: (read as { thread: { turns: unknown } }).thread.turns, stderr: c.stderr, listed: list.data.some((t) => t.id === BASICS) };
  } finally {
    await c.close();
  }
}

test("finding 1: a rollout line longer than a JS string is skipped and reported; the home stays usable", async () => {
  const clean = await readBasics(freshHome());
  const home = freshHome();
  const file = rolloutOf(home, BASICS);
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const head = lines.slice(0, 3).join("\n") + "\n";
  const rest = lines.slice(3).join("\n");
  const mtime = fs.statSync(file).mtime;
  // head, then one line of V8_MAX_STRING + 1 NUL bytes (a sparse hole: no disk, written in
  // no time), then the rest of the history
  fs.writeFileSync(file, head);
  fs.truncateSync(file, head.length + V8_MAX_STRING + 1);
  fs.appendFileSync(file, "\n" + rest);
  fs.utimesSync(file, mtime, mtime);
  const big = await readBasics(home);
  assert.equal(big.listed, true);
  assert.deepEqual(big.turns, clean.turns);
  assert.match(big.stderr, /oversized|too long/i);
});

test("finding 3: a complete last line without its newline is kept when the rollout is appended to", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spool-tail-"));
  homes.track(dir);
  const file = path.join(dir, "rollout.jsonl");
  const first = '{"timestamp":"2026-01-01T00:00:00.000Z","type":"session_meta","payload":{"id":"a"}}';
  const last = '{"timestamp":"2026-01-01T00:00:01.000Z","type":"event_msg","payload":{"type":"task_complete","turn_id":"t1"}}';
  fs.writeFileSync(file, `${first}\n${last}`);
  const w = await RolloutWriter.openExisting({ path: file, fsync: false });
  await w.append('{"timestamp":"2026-01-01T00:00:02.000Z","type":"event_msg","payload":{"type":"task_started","turn_id":"t2"}}\n');
  await w.close();
  const lines = fs.readFileSync(file, "utf8").split("\n");
  assert.deepEqual(lines, [
    first,
    last,
    '{"timestamp":"2026-01-01T00:00:02.000Z","type":"event_msg","payload":{"type":"task_started","turn_id":"t2"}}',
    "",
  ]);
  assert.equal(w.stats.tornBytes, 0);
});

test("finding 3: a torn (unparseable) last line is still cut before appending", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spool-tail-"));
  homes.track(dir);
  const file = path.join(dir, "rollout.jsonl");
  const first = '{"timestamp":"2026-01-01T00:00:00.000Z","type":"session_meta","payload":{"id":"a"}}';
  fs.writeFileSync(file, `${first}\n{"timestamp":"2026-01-01T00:00:01.000Z","type":"event_`);
  const w = await RolloutWriter.openExisting({ path: file, fsync: false });
  await w.append('{"x":1}\n');
  await w.close();
  assert.equal(fs.readFileSync(file, "utf8"), `${first}\n{"x":1}\n`);
  assert.equal(w.stats.tornBytes, 54);
});

test("finding 8: thread/name/set after a torn last line of session_index.jsonl is readable after a restart", async () => {
  const home = freshHome();
  const index = path.join(home, "session_index.jsonl");
  fs.appendFileSync(index, '{"id":"01a1fba4-0000-7000-8000-000000000000","thread_na');
  const c = startSpool(home);
  try {
    await c.initialize("hardening");
    await c.request("thread/name/set", { threadId: BASICS, name: "renamed after a torn line" });
  } finally {
    await c.close();
  }
  fs.rmSync(path.join(home, "spool"), { recursive: true, force: true });
  const again = startSpool(home);
  try {
    await again.initialize("hardening");
    const read = (await again.request("thread/read", { threadId: BASICS })) as { thread: { name: string | null } };
    assert.equal(read.thread.name, "renamed after a torn line");
  } finally {
    await again.close();
  }
  const text = fs.readFileSync(index, "utf8");
  assert.ok(text.endsWith("\n"));
  const last = JSON.parse(text.trimEnd().split("\n").at(-1)!) as { id: string; thread_name: string };
  assert.deepEqual([last.id, last.thread_name], [BASICS, "renamed after a torn line"]);
});
