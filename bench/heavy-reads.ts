// Heavy reads under load (issue 11 finding 4): `node dist/bench/heavy-reads.js`.
//
// A WebSocket server over a temp home with one HEAVY_BIG_MB (24) MB thread; HEAVY_CONNECTIONS (4)
// connections each send HEAVY_PER_CONNECTION (64) thread/read includeTurns of it at once; once
// the first full answer is out, a fifth connection asks thread/loaded/list. Reported: that
// request's latency (must be within HEAVY_CHEAP_MS, 2000 ms), how many full reads finished
// before it, the wall time of all full reads and the server's peak RSS (VmHWM). Exits 1 when a
// full read fails or the cheap request was slower than the bound.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { synthHome } from "./synth-home.js";
import { startSpoolWs } from "../test/helpers/ws-client.js";
import { readVmHwmMb } from "../test/helpers/rpc-client.js";
import { runHeavyReads } from "../test/helpers/heavy-reads.js";

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
};
const BIG_MB = num("HEAVY_BIG_MB", 24);
const CONNECTIONS = num("HEAVY_CONNECTIONS", 4);
const PER_CONNECTION = num("HEAVY_PER_CONNECTION", 64);
const CHEAP_MS = num("HEAVY_CHEAP_MS", 2000);

const here = path.dirname(fileURLToPath(import.meta.url));
const corpusHome = path.resolve(here, "../../test/fixtures/corpus/codex-home");

async function main(): Promise<number> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-bench-heavy-"));
  const synth = synthHome(corpusHome, path.join(root, "home"), 3, { bigMb: BIG_MB });
  const server = await startSpoolWs(path.join(root, "home"), { SPOOL_LOG: "warn" });
  try {
    const total = CONNECTIONS * PER_CONNECTION;
    const r = await runHeavyReads(server.url, synth.big!.id, CONNECTIONS, PER_CONNECTION);
    const peak = readVmHwmMb(server.child.pid);
    const log = (s: string) => process.stdout.write(s + "\n");
    log(`heavy-reads: ${CONNECTIONS} connections x ${PER_CONNECTION} thread/read includeTurns of a ${(synth.big!.bytes / 2 ** 20).toFixed(1)} MB thread`);
    log(`  thread/loaded/list latency   ${r.cheapLatencyMs} ms (bound ${CHEAP_MS} ms), after ${r.heavyAnsweredBeforeCheap}/${total} full reads`);
    log(`  all full reads               ${r.totalMs} ms, ${r.heavyAnswers} answers, ${r.heavyErrors.length} errors`);
    log(`  server peak RSS (VmHWM)      ${peak?.toFixed(0)} MB`);
    const ok = r.heavyErrors.length === 0 && r.heavyAnswers === total && r.cheapLatencyMs <= CHEAP_MS;
    if (!ok) log(`heavy-reads: FAILED ${r.heavyErrors.join(" | ")}`);
    return ok ? 0 : 1;
  } finally {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

process.exitCode = await main();
