// `node dist/bench/appends.js`: the durable write path's throughput and index footprint.
//
// 1. Appends per second with durability on (every appendItems resolves after fdatasync and the
//    index refresh), for: 8 concurrent appenders each on its own thread, 8 concurrent appenders
//    on one thread (group commit across appenders), and one appender on one thread (the
//    latency-bound baseline). Items are ~400-byte agent_message events.
// 2. Index size per thread: bytes of Spool's SQLite (index.sqlite + metadata.sqlite, WAL
//    checkpointed) divided by the number of threads, for threads with a few turns each and one
//    metadata patch (preview, model, git, recency) like a live thread's.
//
// Environment: APPENDS_ITEMS (items per scenario, 200000), APPENDS_BATCH (items per appendItems
// call, 50), APPENDS_CONCURRENCY (8), APPENDS_THREADS_FOR_SIZE (1000), APPENDS_DIR (temp root).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { LocalThreadStore } from "../src/store/local/local-store.js";
import { indexPath } from "../src/store/local/index-db.js";
import { metaPath } from "../src/store/local/meta-db.js";
import type { RolloutItem } from "../src/store/types.js";

const num = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const ITEMS = num("APPENDS_ITEMS", 200_000);
const BATCH = num("APPENDS_BATCH", 50);
const CONC = num("APPENDS_CONCURRENCY", 8);
const SIZE_THREADS = num("APPENDS_THREADS_FOR_SIZE", 1000);
const ROOT = fs.mkdtempSync(path.join(process.env.APPENDS_DIR ?? os.tmpdir(), "spool-appends-"));

const filler = "lorem ipsum dolor sit amet ".repeat(12);
const item = (i: number): RolloutItem => ({ type: "event_msg", payload: { type: "agent_message", message: `item ${i} ${filler}`, phase: null } });

function newHome(tag: string): string {
  const h = path.join(ROOT, tag);
  fs.mkdirSync(h, { recursive: true });
  return h;
}

async function createThread(store: LocalThreadStore): Promise<string> {
  const threadId = randomUUID();
  await store.createThread({ threadId, source: "vscode", originator: "bench", cliVersion: "0.169.0", cwd: "/bench", modelProvider: "openai", baseInstructions: "bench" });
  return threadId;
}

interface Result {
  scenario: string;
  items: number;
  seconds: number;
  itemsPerSec: number;
  appendCalls: number;
  batches: number;
  p50ms: number;
  p99ms: number;
}

async function scenario(name: string, appenders: number, threads: number, batch: number, total: number): Promise<Result> {
  const home = newHome(name.replace(/\W+/g, "-"));
  const store = new LocalThreadStore({ home, defaultProvider: "openai" });
  const ids: string[] = [];
  for (let i = 0; i < threads; i++) ids.push(await createThread(store));
  // materialize every file first: the benchmark measures appends, not file creation
  for (const id of ids) await store.appendItems(id, [item(-1)]);
  const before = ids.map((id) => store.writerStats(id)!.batches);
  const perAppender = Math.ceil(total / appenders / batch);
  const lat: number[] = [];
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: appenders }, async (_, a) => {
      const id = ids[a % threads];
      for (let k = 0; k < perAppender; k++) {
        const items = Array.from({ length: batch }, () => item(n++));
        const s = performance.now();
        await store.appendItems(id, items);
        lat.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const batches = ids.reduce((acc, id, i) => acc + store.writerStats(id)!.batches - before[i], 0);
  await store.close();
  lat.sort((a, b) => a - b);
  const items = perAppender * appenders * batch;
  fs.rmSync(home, { recursive: true, force: true });
  return { scenario: name, items, seconds, itemsPerSec: items / seconds, appendCalls: lat.length, batches, p50ms: lat[Math.floor(lat.length * 0.5)], p99ms: lat[Math.floor(lat.length * 0.99)] };
}

const fileSize = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);

async function indexSize(threads: number): Promise<{ threads: number; indexBytes: number; metaBytes: number; rolloutBytes: number }> {
  const home = newHome("index-size");
  const store = new LocalThreadStore({ home, defaultProvider: "openai" });
  let rolloutBytes = 0;
  for (let i = 0; i < threads; i++) {
    const id = await createThread(store);
    const text = `please look at issue ${i} and fix the flaky test`;
    for (let turn = 0; turn < 3; turn++) {
      const turnId = randomUUID();
      await store.appendItems(id, [
        { type: "event_msg", payload: { type: "task_started", turn_id: turnId, model_context_window: 258400, collaboration_mode_kind: "default" } },
        { type: "turn_context", payload: { turn_id: turnId, cwd: "/bench", model: "gpt-5", effort: "medium", approval_policy: "on-request" } },
        { type: "response_item", payload: { type: "message", role: "user", content: [{ type: "input_text", text }] } },
        { type: "event_msg", payload: { type: "user_message", message: text, images: [], local_images: [], text_elements: [] } },
        item(turn),
        { type: "event_msg", payload: { type: "token_count", info: { total_token_usage: { total_tokens: 1000 * (turn + 1) } } } },
        { type: "event_msg", payload: { type: "task_complete", turn_id: turnId, last_agent_message: "done" } },
      ]);
    }
    const t = await store.updateThreadMetadata(id, { preview: text, firstUserMessage: text, model: "gpt-5", reasoningEffort: "medium", tokensUsed: 3000, updatedAtMs: Date.now(), advanceRecencyAtMs: Date.now(), gitInfo: { sha: "0123456789abcdef0123456789abcdef01234567", branch: "main", originUrl: "https://example.com/repo.git" } });
    await store.shutdownThread(id);
    rolloutBytes += fileSize(t.rolloutPath!);
  }
  store.index.db.pragma("wal_checkpoint(TRUNCATE)");
  store.index.db.pragma("spool_meta.wal_checkpoint(TRUNCATE)");
  await store.close();
  const idx = indexPath(home);
  const meta = metaPath(home);
  const out = {
    threads,
    indexBytes: fileSize(idx) + fileSize(`${idx}-wal`),
    metaBytes: fileSize(meta) + fileSize(`${meta}-wal`),
    rolloutBytes,
  };
  fs.rmSync(home, { recursive: true, force: true });
  return out;
}

async function main(): Promise<void> {
  console.log(`spool appends benchmark: ${ITEMS} items per scenario, ${BATCH} items per appendItems call, durability on (fdatasync per batch), ${os.cpus().length} CPUs, tmp ${ROOT}`);
  const results: Result[] = [];
  results.push(await scenario(`${CONC} appenders x ${CONC} threads`, CONC, CONC, BATCH, ITEMS));
  results.push(await scenario(`${CONC} appenders x 1 thread`, CONC, 1, BATCH, ITEMS));
  results.push(await scenario(`1 appender x 1 thread`, 1, 1, BATCH, Math.min(ITEMS, 50_000)));
  results.push(await scenario(`${CONC} appenders x 1 thread, 1 item per call`, CONC, 1, 1, Math.min(ITEMS, 20_000)));
  console.log("");
  console.log("scenario                                     items/s   items   appendItems  fsync batches  p50 ms  p99 ms");
  for (const r of results) {
    console.log(
      `${r.scenario.padEnd(42)} ${Math.round(r.itemsPerSec).toString().padStart(9)} ${String(r.items).padStart(7)} ${String(r.appendCalls).padStart(12)} ${String(r.batches).padStart(14)} ${r.p50ms.toFixed(2).padStart(7)} ${r.p99ms.toFixed(2).padStart(7)}`,
    );
  }
  const target = results[0].itemsPerSec;
  console.log(`\ntarget >= 20000 items/s batched (${results[0].scenario}): ${target >= 20000 ? "PASS" : "FAIL"} (${Math.round(target)})`);
  const s = await indexSize(SIZE_THREADS);
  const per = (b: number) => (b / s.threads).toFixed(0);
  console.log(
    `\nindex size: ${s.threads} threads (3 turns, one metadata patch each): index.sqlite ${per(s.indexBytes)} B/thread + metadata.sqlite ${per(s.metaBytes)} B/thread = ${per(s.indexBytes + s.metaBytes)} B/thread (rollouts: ${per(s.rolloutBytes)} B/thread)`,
  );
  fs.rmSync(ROOT, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
