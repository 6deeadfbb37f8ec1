// Projection benchmark: builds a ~500 MB thread (a rollout's body repeated with fresh turn and
// item ids: the corpus basics thread written by Codex 0.169.0 for the paginated variant, with
// running ordinals; the 0.110.0 basics thread of test/fixtures/legacy for the legacy one), projects it
// into <home>/spool/projections.sqlite, and reports projection throughput, store size and the
// checkpoint, then the first pages of thread/turns/list and thread/items/list served from the
// projections (time and size; targets < 50 ms and < 256 KB), a tail append, and for comparison
// the full replay the server did per request before.
//
//   node dist/bench/projections.js [--mb 500] [--variants paginated,legacy] [--keep]
//
// The big files are deleted when done (unless --keep).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Projector } from "../src/projections/projector.js";
import { projectionsPath } from "../src/projections/db.js";
import { loadThreadHistory } from "../src/history/load.js";
import { listTurns } from "../src/history/paging.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const SOURCES = {
  paginated: { id: "01a1fba4-9b62-7df1-a194-f0e48a69b025", file: path.join(root, "test/fixtures/history/corpus/rollout-2026-11-21T01-07-11-01a1fba4-9b62-7df1-a194-f0e48a69b025.jsonl") },
  legacy: { id: "01a1fbed-deaa-7b82-ab70-69c46d307cd0", file: path.join(root, "test/fixtures/legacy/0.110.0/codex-home/sessions/2026/11/21/rollout-2026-11-21T02-27-12-01a1fbed-deaa-7b82-ab70-69c46d307cd0.jsonl") },
};
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
const MB = Number(arg("mb", "500"));
const VARIANTS = arg("variants", "paginated,legacy").split(",");
const KEEP = process.argv.includes("--keep");

const K = "@@@@@@@@@@@@"; // 12 chars: replaced by the repetition number in hex
const ORD = "@ORD@";

/** Writes the grown thread; returns its path, bytes and lines. */
function buildThread(dir: string, mode: "paginated" | "legacy", mb: number): { id: string; file: string; bytes: number; lines: number; turns: number } {
  const { id, file: srcFile } = SOURCES[mode];
  const src = fs.readFileSync(srcFile, "utf8").split("\n").filter(Boolean);
  const meta = JSON.parse(src[0]);
  const templates = src.slice(1).map((l) => {
    let t = l.replace(UUID, (m) => (m === id ? m : m.slice(0, 24) + K)).replace(/"(msg|call|rs|ws)_(\d+)"/g, `"$1_$2_${K}"`);
    if (mode === "paginated") t = t.replace(/"ordinal":\d+,/, `"ordinal":${ORD},`);
    return t;
  });
  const turnsPerRep = src.filter((l) => l.includes('"type":"task_started"')).length;
  const file = path.join(dir, "sessions", "2026", "11", "21", path.basename(srcFile));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, "w");
  const target = mb * 1024 * 1024;
  let bytes = 0;
  let lines = 1;
  let ord = 1;
  let reps = 0;
  const head = JSON.stringify(meta) + "\n";
  fs.writeSync(fd, head);
  bytes += Buffer.byteLength(head);
  while (bytes < target) {
    const k = reps.toString(16).padStart(12, "0");
    let chunk = "";
    for (const t of templates) {
      chunk += t.replaceAll(K, k).replace(ORD, String(ord++)) + "\n";
      lines++;
    }
    fs.writeSync(fd, chunk);
    bytes += Buffer.byteLength(chunk);
    reps++;
  }
  fs.closeSync(fd);
  return { id, file, bytes, lines, turns: reps * turnsPerRep };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

const fmt = (n: number, d = 1) => n.toFixed(d);
const rows: string[][] = [];
const out = (k: string, v: string) => {
  rows.push([k, v]);
  console.log(`${k.padEnd(58)} ${v}`);
};

async function benchVariant(mode: "paginated" | "legacy"): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `spool-bench-projections-${mode}-`));
  try {
    console.log(`\n== ${mode}: building a ${MB} MB thread`);
    const t0 = performance.now();
    const big = buildThread(home, mode, MB);
    out(`${mode}: thread`, `${fmt(big.bytes / 1048576)} MB, ${big.lines.toLocaleString("en")} lines, ${big.turns.toLocaleString("en")} turns (built in ${fmt((performance.now() - t0) / 1000)} s)`);

    // projection from scratch (what `spool projections rebuild` does for this thread)
    const pj = new Projector({ home });
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const p0 = performance.now();
    const r = await pj.syncThread(big.id, big.file);
    const secs = (performance.now() - p0) / 1000;
    clearInterval(sampler);
    out(`${mode}: projection`, `${fmt(secs, 2)} s, ${Math.round(r.lines / secs).toLocaleString("en")} lines/s, ${fmt(r.bytes / 1048576 / secs)} MB/s, ${r.batches} transactions`);
    out(`${mode}: RSS during projection`, `${fmt(peak / 1048576, 0)} MB peak (${fmt(rss0 / 1048576, 0)} MB before)`);
    const count = (t: string) => (pj.db.prepare(`SELECT COUNT(*) AS n FROM ${t} WHERE thread_id = ?`).get(big.id) as { n: number }).n;
    out(`${mode}: rows`, `${count("turns").toLocaleString("en")} turns, ${count("items").toLocaleString("en")} items, ${count("events").toLocaleString("en")} events`);
    pj.db.pragma("wal_checkpoint(TRUNCATE)");
    out(`${mode}: projections.sqlite`, `${fmt(fs.statSync(projectionsPath(home)).size / 1048576)} MB`);
    const cp = pj.tables.checkpoint(big.id)!;
    out(`${mode}: checkpoint state`, `${Buffer.byteLength(cp.state)} bytes (byte offset ${cp.byte_offset.toLocaleString("en")}, line ${cp.line_index.toLocaleString("en")})`);

    // first pages, served from the projections (what the server does: a no-op sync, then the page)
    const page = async (fn: () => string) => {
      const times: number[] = [];
      let json = "";
      for (let i = 0; i < 21; i++) {
        const t = performance.now();
        await pj.syncThread(big.id, big.file);
        json = fn();
        times.push(performance.now() - t);
      }
      return { ms: median(times), first: times[0], bytes: Buffer.byteLength(json), json };
    };
    const fresh = new Projector({ home }); // a cold process: statements not prepared yet
    const cold = time(() => fresh.listTurnsJson(big.id, {}));
    fresh.close();
    const turnsPage = await page(() => pj.listTurnsJson(big.id, {}));
    out(`${mode}: thread/turns/list first page (25, desc, summary)`, `${fmt(turnsPage.ms, 2)} ms median, ${fmt(cold.ms, 2)} ms cold, ${fmt(turnsPage.bytes / 1024)} KB`);
    const fullPage = await page(() => pj.listTurnsJson(big.id, { itemsView: "full", limit: 100 }));
    out(`${mode}: thread/turns/list (100, desc, full)`, `${fmt(fullPage.ms, 2)} ms median, ${fmt(fullPage.bytes / 1024)} KB, ${JSON.parse(fullPage.json).data.length} turns`);
    const ascPage = await page(() => pj.listTurnsJson(big.id, { sortDirection: "asc" }));
    out(`${mode}: thread/turns/list first page asc`, `${fmt(ascPage.ms, 2)} ms median, ${fmt(ascPage.bytes / 1024)} KB`);
    const next = JSON.parse(turnsPage.json).nextCursor as string;
    const p2 = await page(() => pj.listTurnsJson(big.id, { cursor: next }));
    out(`${mode}: thread/turns/list page 2`, `${fmt(p2.ms, 2)} ms median, ${fmt(p2.bytes / 1024)} KB`);
    if (mode === "paginated") {
      const items = await page(() => pj.listItemsJson(big.id, {}));
      out(`${mode}: thread/items/list first page (25, asc)`, `${fmt(items.ms, 2)} ms median, ${fmt(items.bytes / 1024)} KB`);
      const itemsDesc = await page(() => pj.listItemsJson(big.id, { sortDirection: "desc", limit: 100 }));
      out(`${mode}: thread/items/list (100, desc)`, `${fmt(itemsDesc.ms, 2)} ms median, ${fmt(itemsDesc.bytes / 1024)} KB`);
    } else {
      out(`${mode}: thread/items/list`, "-32601 (legacy threads have no item listing, like Codex)");
    }

    // a tail append: only the new bytes are read
    const src = fs.readFileSync(SOURCES[mode].file, "utf8").split("\n").filter(Boolean);
    const end = src.findIndex((l, i) => i > 0 && /"type":"task_complete"/.test(l));
    let ord = big.lines;
    const extra = src
      .slice(1, end + 1)
      .map((l) => l.replace(UUID, (m) => (m === big.id ? m : m.slice(0, 24) + "ffffffffffff")).replace(/"ordinal":\d+,/, () => `"ordinal":${ord++},`))
      .join("\n") + "\n";
    fs.appendFileSync(big.file, extra);
    const a0 = performance.now();
    const ar = await pj.syncThread(big.id, big.file);
    out(`${mode}: sync after appending one turn (${ar.lines} lines)`, `${fmt(performance.now() - a0, 2)} ms`);

    // before: every request reduced the whole rollout
    const f0 = performance.now();
    const h = await loadThreadHistory(big.file, async () => null);
    const old = listTurns(h, big.id, {});
    out(`${mode}: full replay + listTurns (the per-request cost before)`, `${fmt(performance.now() - f0, 0)} ms, ${fmt(Buffer.byteLength(JSON.stringify(old)) / 1024)} KB`);
    const same = JSON.stringify(old) === pj.listTurnsJson(big.id, {});
    out(`${mode}: first page equals the replay's`, same ? "yes" : "NO");
    pj.close();
    if (!same) process.exitCode = 1;
  } finally {
    if (!KEEP) fs.rmSync(home, { recursive: true, force: true });
    else console.log(`kept ${home}`);
  }
}

const started = performance.now();
console.log(`projection benchmark: ${os.cpus().length} cores, Node ${process.version}`);
for (const v of VARIANTS) await benchVariant(v as "paginated" | "legacy");
console.log(`\ntotal ${fmt((performance.now() - started) / 1000)} s`);
