// Regressions from probing the rollout files: a line too long for a JS string, a complete last
// line without its newline, a torn last line of session_index.jsonl.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { copyCorpusHome } from "./helpers/compare.js";
import { corpusFixtureDir } from "./helpers/paths.js";
import { startSpool } from "./helpers/spool.js";
import { validateResponse } from "./helpers/schema.js";

const BASICS = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
const homes: string[] = [];
after(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

function freshHome(): string {
  const h = copyCorpusHome(corpusFixtureDir(), { filesOnly: true });
  homes.push(h);
  return h;
}

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
