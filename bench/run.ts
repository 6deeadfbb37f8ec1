// `npm run bench`: builds (once, cached under .cache/bench-home/) a home of BENCH_THREADS threads
// plus one thread of about BENCH_BIG_MB MB, cloned from the corpus fixture's rollouts; then runs
// the same requests against the real `codex app-server` (CODEX_HOME) and `spool app-server --home`,
// each on its own fresh copy of the home; prints medians, ratios codex/spool and PASS/FAIL per
// target, and writes bench/results/latest.json.
//
// Environment: BENCH_THREADS (2000), BENCH_BIG_MB (50), BENCH_REPS (15), BENCH_READ_REPS (=REPS),
// BENCH_SEARCH ("hello", matches a quarter of the threads), BENCH_SEARCH_MISS (matches none),
// BENCH_ONLY (codex|spool), BENCH_LEGACY (1: rollouts without ordinals, as synth-home.mjs does),
// BENCH_TIMEOUT_MS (600000), BENCH_KEEP=1 (keep the homes), BENCH_STRICT=1 (exit 1 unless all
// targets pass), BENCH_OUT (bench/results/latest.json), BENCH_SMALL=0 (skip the 2,000-thread run),
// BENCH_SCALE_THREADS (20000; 0 skips the heavy-home run of bench/scale.ts), BENCH_SCALE_REPS (7).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { synthHome, type SynthResult } from "./synth-home.js";
import { benchServer, type ServerBenchResult, type Series } from "./server-bench.js";
import { benchScaleSide, scaleRows, type ScaleRow, type ScaleSide } from "./scale.js";
import { startCodex, codexBin, CODEX_VERSION } from "../test/helpers/codex.js";
import { startSpool, spoolCommand } from "../test/helpers/spool.js";
import { cacheDir, corpusFixtureDir, repoRoot } from "../test/helpers/paths.js";
import type { RpcClient } from "../test/helpers/rpc-client.js";

const SYNTH_VERSION = 1;

function envNum(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v} is not a number`);
  return n;
}

const cfg = {
  threads: envNum("BENCH_THREADS", 2000),
  bigMb: envNum("BENCH_BIG_MB", 50),
  reps: Math.max(1, envNum("BENCH_REPS", 15)),
  readReps: Math.max(1, envNum("BENCH_READ_REPS", envNum("BENCH_REPS", 15))),
  searchHit: process.env.BENCH_SEARCH ?? "hello",
  searchMiss: process.env.BENCH_SEARCH_MISS ?? "xyzzy-matches-nothing",
  only: process.env.BENCH_ONLY ?? "",
  legacy: process.env.BENCH_LEGACY !== "0",
  timeoutMs: envNum("BENCH_TIMEOUT_MS", 600000),
  keep: process.env.BENCH_KEEP === "1",
  strict: process.env.BENCH_STRICT === "1",
  out: process.env.BENCH_OUT ?? path.join(repoRoot(), "bench", "results", "latest.json"),
  /** The 2,000-thread run (BENCH_SMALL=0 skips it). */
  small: process.env.BENCH_SMALL !== "0",
  /** The heavy-home run (bench/scale.ts); 0 skips it. */
  scaleThreads: envNum("BENCH_SCALE_THREADS", 20000),
  scaleReps: Math.max(1, envNum("BENCH_SCALE_REPS", 7)),
};
if (cfg.bigMb <= 0) throw new Error("BENCH_BIG_MB must be > 0 (the read benchmark needs the big thread)");

const log = (s: string): void => void process.stderr.write(s + "\n");

interface HomeManifest {
  version: number;
  key: string;
  synth: SynthResult;
  builtAt: string;
  buildMs: number;
}

/** The synthetic home, built once per (size, source) and cached under .cache/bench-home/. */
function benchHome(threads = cfg.threads, bigMb = cfg.bigMb): { home: string; manifest: HomeManifest } {
  const src = path.join(corpusFixtureDir(), "codex-home");
  if (!fs.existsSync(path.join(src, "sessions"))) throw new Error(`source rollouts missing: ${src}/sessions`);
  const h = crypto.createHash("sha256");
  for (const f of (fs.readdirSync(path.join(src, "sessions"), { recursive: true }) as string[]).map(String).sort()) {
    const p = path.join(src, "sessions", f);
    if (fs.statSync(p).isFile()) h.update(f).update(fs.readFileSync(p));
  }
  if (fs.existsSync(path.join(src, "config.toml"))) h.update(fs.readFileSync(path.join(src, "config.toml")));
  const key = `v${SYNTH_VERSION}-n${threads}-big${bigMb}-${cfg.legacy ? "legacy" : "paginated"}-${h.digest("hex").slice(0, 10)}`;
  const dir = path.join(cacheDir("bench-home"), key);
  const manifestFile = path.join(dir, "manifest.json");
  if (fs.existsSync(manifestFile)) {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as HomeManifest;
    log(`home: cached ${dir}`);
    return { home: path.join(dir, "home"), manifest };
  }
  log(`home: building ${threads} threads${bigMb ? ` + one of ${bigMb} MB` : ""} into ${dir} ...`);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const t = performance.now();
  const synth = synthHome(src, path.join(tmp, "home"), threads, { bigMb, legacy: cfg.legacy });
  const manifest: HomeManifest = { version: SYNTH_VERSION, key, synth: { ...synth, ids: [] }, builtAt: new Date().toISOString(), buildMs: Math.round(performance.now() - t) };
  fs.writeFileSync(path.join(tmp, "manifest.json"), JSON.stringify(manifest, null, 1));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  log(`home: built in ${manifest.buildMs} ms`);
  return { home: path.join(dir, "home"), manifest };
}

const live = new Set<RpcClient>();
const temps = new Set<string>();
function cleanup(): void {
  for (const c of live) c.kill("SIGKILL");
  if (!cfg.keep) for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
}
process.on("SIGINT", () => {
  log("interrupted");
  cleanup();
  process.exit(130);
});

/** A fresh copy of the home (mtimes kept: updatedAt comes from them). */
function freshCopy(home: string, label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spool-bench-${label}-`));
  temps.add(dir);
  fs.cpSync(home, dir, { recursive: true, preserveTimestamps: true });
  return dir;
}

type Side = { ok: true; result: ServerBenchResult; home: string } | { ok: false; error: string };

async function runSide(name: "codex" | "spool", home: string, manifest: HomeManifest): Promise<Side> {
  const copy = freshCopy(home, name);
  log(`\n== ${name}: ${copy}`);
  let client: RpcClient | undefined;
  try {
    const t0 = performance.now();
    client = name === "codex" ? startCodex(copy, { record: false }) : startSpool(copy, { record: false });
    live.add(client);
    const result = await benchServer(client, t0, {
      expectedThreads: manifest.synth.threads + (manifest.synth.big ? 1 : 0),
      bigId: manifest.synth.big!.id,
      reps: cfg.reps,
      readReps: cfg.readReps,
      searchHit: cfg.searchHit,
      searchMiss: cfg.searchMiss,
      timeoutMs: cfg.timeoutMs,
      readyTimeoutMs: cfg.timeoutMs,
      log: (s) => log(`   ${name}: ${s}`),
    });
    return { ok: true, result, home: copy };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const stderr = client?.stderr.trim();
    const error = `${name} failed: ${msg}${stderr && !msg.includes(stderr.slice(-200)) ? `\n   stderr: ${stderr.slice(-1500)}` : ""}`;
    log(`   ${error}`);
    return { ok: false, error };
  } finally {
    if (client) {
      await client.close(5000).catch(() => {});
      live.delete(client);
    }
    if (!cfg.keep) {
      fs.rmSync(copy, { recursive: true, force: true });
      temps.delete(copy);
    }
  }
}

interface Row {
  key: string;
  label: string;
  unit: "ms" | "MB";
  codex: number | null;
  spool: number | null;
  /** codex / spool: above 1, Spool is faster (or smaller). */
  ratio: number | null;
  target: string | null;
  pass: boolean | null;
}

function pick(r: ServerBenchResult | undefined, key: string): number | null {
  if (!r) return null;
  const v = (r as unknown as Record<string, unknown>)[key];
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v;
  return (v as Series).median;
}

async function main(): Promise<void> {
  const started = performance.now();
  try {
    log(`codex: ${codexBin()}`);
  } catch (e) {
    if (cfg.only !== "spool") throw e;
  }
  log(`spool: ${[spoolCommand("HOME").cmd, ...spoolCommand("HOME").args].join(" ")}`);
  const { home, manifest } = benchHome();
  const bigMbActual = (manifest.synth.big?.bytes ?? 0) / (1024 * 1024);

  const sides: Record<"codex" | "spool", Side> = {
    codex: { ok: false, error: "skipped (BENCH_ONLY)" },
    spool: { ok: false, error: "skipped (BENCH_ONLY)" },
  };
  if (cfg.small) for (const name of ["codex", "spool"] as const) if (!cfg.only || cfg.only === name) sides[name] = await runSide(name, home, manifest);

  const c = sides.codex.ok ? sides.codex.result : undefined;
  const s = sides.spool.ok ? sides.spool.result : undefined;
  const big = `${bigMbActual.toFixed(0)} MB thread`;
  const defs: Array<[string, string, "ms" | "MB", number | null]> = [
    ["init_ms", "start -> initialize", "ms", null],
    ["first_list_ms", "first thread/list (limit 50)", "ms", null],
    ["ready_ms", "start -> every thread listed", "ms", null],
    ["list_ms", "thread/list limit 50 (warm)", "ms", 10],
    ["page2_ms", "thread/list page 2", "ms", 10],
    ["search_hit_ms", `thread/list searchTerm ${JSON.stringify(cfg.searchHit)}`, "ms", 10],
    ["search_miss_ms", "thread/list searchTerm (no match)", "ms", 10],
    ["read_turns_ms", `thread/read includeTurns, ${big}`, "ms", 3],
    ["read_meta_ms", `thread/read no turns, ${big}`, "ms", null],
    ["peak_rss_mb", "peak RSS (VmHWM)", "MB", 1],
  ];
  const rows: Row[] = defs.map(([key, label, unit, want]) => {
    const cv = pick(c, key);
    const sv = pick(s, key);
    const ratio = cv !== null && sv !== null && sv > 0 ? Math.round((cv / sv) * 100) / 100 : null;
    let target: string | null = null;
    let pass: boolean | null = null;
    if (want !== null) {
      if (key === "peak_rss_mb") {
        target = "spool < codex";
        pass = cv !== null && sv !== null ? sv < cv : false;
      } else {
        target = `>= ${want}x`;
        pass = ratio !== null ? ratio >= want : false;
      }
    }
    return { key, label, unit, codex: cv, spool: sv, ratio, target, pass };
  });

  // both servers must have answered alike, or the times mean little
  const mismatches: string[] = [];
  if (c && s)
    for (const [k, v] of Object.entries(c.answers)) {
      const w = (s.answers as Record<string, unknown>)[k];
      if (k.endsWith("_chars")) continue; // sizes differ by formatting; informative only
      if (v !== w) mismatches.push(`${k}: codex ${v}, spool ${w}`);
    }

  const out: string[] = [];
  out.push("");
  out.push(`Spool vs Codex ${CODEX_VERSION}: ${manifest.synth.threads} threads + one of ${bigMbActual.toFixed(1)} MB; medians of ${cfg.reps} (reads ${cfg.readReps}); ${os.cpus().length} CPUs, node ${process.version}`);
  out.push(...table(rows));
  for (const name of ["codex", "spool"] as const) {
    const side = sides[name];
    if (!side.ok) out.push(`${name}: ${side.error}`);
  }
  if (c) out.push(`answers (codex): ${JSON.stringify(c.answers)}`);
  if (s) out.push(`answers (spool): ${JSON.stringify(s.answers)}`);
  if (mismatches.length) out.push(`WARNING: the servers answered differently: ${mismatches.join("; ")}`);
  const targets = rows.filter((r) => r.pass !== null);
  const passed = targets.filter((r) => r.pass).length;
  out.push(`targets: ${passed}/${targets.length} PASS`);
  const scale = cfg.scaleThreads > 0 ? await scaleRun() : null;
  if (scale) out.push(...scale.lines);
  const totalS = (performance.now() - started) / 1000;
  out.push(`bench time: ${totalS.toFixed(0)} s`);
  process.stdout.write(out.join("\n") + "\n");

  const json = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, totalMemMb: Math.round(os.totalmem() / 2 ** 20), platform: `${process.platform}-${process.arch}`, node: process.version },
    codexVersion: CODEX_VERSION,
    config: { ...cfg, out: undefined },
    home: { key: manifest.key, threads: manifest.synth.threads, big: manifest.synth.big },
    rows,
    targets: { passed, total: targets.length },
    mismatches,
    scale: scale?.json ?? null,
    servers: {
      codex: sides.codex.ok ? sides.codex.result : { error: sides.codex.error },
      spool: sides.spool.ok ? sides.spool.result : { error: sides.spool.error },
    },
    benchSeconds: Math.round(totalS),
  };
  fs.mkdirSync(path.dirname(cfg.out), { recursive: true });
  fs.writeFileSync(cfg.out, JSON.stringify(json, null, 1) + "\n");
  log(`results: ${cfg.out}`);
  cleanup();
  if (cfg.strict && (passed < targets.length || mismatches.length || (scale && !scale.allPass))) process.exitCode = 1;
}

/** The heavy-home run: both servers, cold then warm, on their own copies of a BENCH_SCALE_THREADS home. */
async function scaleRun(): Promise<{ lines: string[]; json: object; allPass: boolean }> {
  const { home } = benchHome(cfg.scaleThreads, 0);
  const results: Record<"codex" | "spool", ScaleSide | null> = { codex: null, spool: null };
  const errors: string[] = [];
  for (const name of ["codex", "spool"] as const) {
    if (cfg.only && cfg.only !== name) continue;
    const copy = freshCopy(home, `${name}-scale`);
    log(`\n== ${name}, ${cfg.scaleThreads} threads: ${copy}`);
    let current: RpcClient | null = null;
    try {
      const start = (h: string) => (name === "codex" ? startCodex(h, { record: false }) : startSpool(h, { record: false }));
      results[name] = await benchScaleSide(start, copy, { threads: cfg.scaleThreads, reps: cfg.scaleReps, searchHit: cfg.searchHit, searchMiss: cfg.searchMiss, timeoutMs: cfg.timeoutMs, log: (s) => log(`   ${name}: ${s}`) }, (c) => {
        if (current) live.delete(current);
        current = c;
        if (c) live.add(c);
      });
    } catch (e) {
      errors.push(`${name} failed: ${e instanceof Error ? e.message : String(e)}`);
      log(`   ${errors[errors.length - 1]}`);
      (current as RpcClient | null)?.kill("SIGKILL");
    } finally {
      if (!cfg.keep) {
        fs.rmSync(copy, { recursive: true, force: true });
        temps.delete(copy);
      }
    }
  }
  const rows: ScaleRow[] = scaleRows(results.codex, results.spool);
  const lines = ["", `Heavy home: ${cfg.scaleThreads} threads; medians of ${cfg.scaleReps}; cold start then a warm restart on the same copy`, ...table(rows), ...errors];
  const mismatches: string[] = [];
  if (results.codex && results.spool)
    for (const [k, v] of Object.entries(results.codex.answers)) {
      const w = (results.spool.answers as Record<string, number>)[k];
      if (v !== w) mismatches.push(`${k}: codex ${v}, spool ${w}`);
    }
  if (mismatches.length) lines.push(`WARNING: the servers answered differently: ${mismatches.join("; ")}`);
  const targets = rows.filter((r) => r.pass !== null);
  const passed = targets.filter((r) => r.pass).length;
  lines.push(`targets (heavy home): ${passed}/${targets.length} PASS`);
  return { lines, json: { threads: cfg.scaleThreads, rows, servers: results, errors, mismatches }, allPass: passed === targets.length && !mismatches.length };
}

function table(rows: Array<{ label: string; unit: string; codex: number | null; spool: number | null; ratio: number | null; target: string | null; pass: boolean | null }>): string[] {
  const fmt = (v: number | null, unit: string): string => (v === null ? "-" : unit === "MB" ? v.toFixed(1) : v >= 100 ? v.toFixed(0) : v.toFixed(2));
  const head = ["", "codex", "spool", "codex/spool", "target", ""];
  const body = rows.map((r) => [`${r.label} (${r.unit})`, fmt(r.codex, r.unit), fmt(r.spool, r.unit), r.ratio === null ? "-" : `${r.ratio.toFixed(2)}x`, r.target ?? "", r.pass === null ? "" : r.pass ? "PASS" : "FAIL"]);
  const widths = head.map((_, i) => Math.max(head[i].length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join("  ");
  return [line(head), ...body.map(line)];
}

main().catch((e) => {
  log(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  cleanup();
  process.exit(1);
});
