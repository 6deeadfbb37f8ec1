// Finding 6: a full disk must not break reads. The home lives on a small tmpfs (mounting needs
// root: .ci runs as root; elsewhere the test is skipped, see .ci/allowed-skips); new rollouts
// arrive, the disk fills up, and thread/list and thread/read still answer from the index as it is.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { corpusFixtureDir } from "./helpers/paths.js";
import { copyCorpusHome } from "./helpers/compare.js";
import { startSpool } from "./helpers/spool.js";
import { validateResponse } from "./helpers/schema.js";

const BASICS = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
const mounts: string[] = [];
after(() => {
  for (const m of mounts) {
    spawnSync("umount", [m]);
    fs.rmSync(m, { recursive: true, force: true });
  }
});

const isRoot = process.getuid?.() === 0;

test("finding 6: with the disk full, thread/list and thread/read still answer", { skip: isRoot ? false : "mounting a size-limited tmpfs needs root" }, async () => {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), "spool-full-"));
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], { encoding: "utf8" });
  assert.equal(m.status, 0, `mount: ${m.stderr}`);
  mounts.push(mnt);
  const source = copyCorpusHome(corpusFixtureDir(), { filesOnly: true });
  const home = path.join(mnt, "home");
  fs.cpSync(source, home, { recursive: true, preserveTimestamps: true });
  fs.rmSync(source, { recursive: true, force: true });
  const c = startSpool(home);
  try {
    await c.initialize("hardening");
    const before = (await c.request("thread/list", { limit: 100 })) as { data: { id: string }[] };
    // new threads arrive (the index must grow to list them), then the disk fills up
    const day = path.join(home, "sessions", "2026", "11", "22");
    fs.mkdirSync(day, { recursive: true });
    for (let i = 0; i < 200; i++) {
      const id = randomUUID();
      const meta = { timestamp: "2026-11-22T00:00:00.000Z", type: "session_meta", payload: { id, timestamp: "2026-11-22T00:00:00.000Z", cwd: "/w", originator: "t", cli_version: "0.169.0", source: "cli", model_provider: "mock", preview: "x".repeat(2000) } };
      fs.writeFileSync(path.join(day, `rollout-2026-11-22T00-00-00-${id}.jsonl`), JSON.stringify(meta) + "\n");
    }
    const filler = fs.openSync(path.join(mnt, "filler"), "w");
    const block = Buffer.alloc(64 << 10, 1);
    try {
      for (;;) fs.writeSync(filler, block);
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, "ENOSPC");
    }
    try {
      for (;;) fs.writeSync(filler, block.subarray(0, 512));
    } catch {
      // the last bytes
    }
    fs.closeSync(filler);
    const list = (await c.request("thread/list", { limit: 100 })) as { data: { id: string }[] };
    assert.deepEqual(validateResponse("thread/list", list), []);
    for (const t of before.data) assert.ok(list.data.some((x) => x.id === t.id), `${t.id} still listed`);
    const read = await c.request("thread/read", { threadId: BASICS, includeTurns: true });
    assert.deepEqual(validateResponse("thread/read", read), []);
    assert.match(c.stderr, /index refresh failed/);
  } finally {
    await c.close();
  }
});
