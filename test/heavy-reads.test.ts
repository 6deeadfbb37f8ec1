// Issue 11 finding 4: concurrent full reads of a big thread are bounded in memory, and a cheap
// request from another connection is not stuck behind them (order only, no timing: the latency
// figure lives in bench/heavy-reads.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { synthHome } from "../bench/synth-home.js";
import { startSpoolWs } from "./helpers/ws-client.js";
import { readVmHwmMb } from "./helpers/rpc-client.js";
import { runHeavyReads } from "./helpers/heavy-reads.js";
import { validateResponse } from "./helpers/schema.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const corpusHome = path.resolve(here, "../../test/fixtures/corpus/codex-home");

test("4 connections x 64 full reads of a 24 MB thread: peak RSS under 1 GB, thread/loaded/list answered before they finish", { timeout: 900_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-heavy-reads-"));
  const home = path.join(root, "home");
  const synth = synthHome(corpusHome, home, 3, { bigMb: 24 });
  assert.ok(synth.big && synth.big.bytes > 23 << 20, "the big thread is about 24 MB");
  const server = await startSpoolWs(home, { SPOOL_LOG: "warn" });
  try {
    const r = await runHeavyReads(server.url, synth.big!.id, 4, 64);
    assert.deepEqual(r.heavyErrors, []);
    assert.equal(r.heavyAnswers, 256);
    assert.ok(r.minResultBytes > 512 << 10, `every full answer carries the turns (smallest ${r.minResultBytes} bytes)`);
    assert.deepEqual(r.cheapAnswer, { id: 1, result: { data: [], nextCursor: null } });
    assert.deepEqual(validateResponse("thread/loaded/list", r.cheapAnswer.result), []);
    assert.ok(r.heavyAnsweredBeforeCheap < 256, `thread/loaded/list answered after ${r.heavyAnsweredBeforeCheap} of 256 full reads`);
    const peak = readVmHwmMb(server.child.pid);
    assert.ok(peak !== null, "VmHWM readable");
    assert.ok(peak < 1024, `server peak RSS ${peak} MB`);
    console.log(`heavy reads: peak RSS ${peak} MB, loaded/list after ${r.heavyAnsweredBeforeCheap}/256 full reads`);
  } finally {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
