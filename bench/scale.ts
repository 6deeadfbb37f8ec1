// The heavy-home run of `npm run bench`: a home of BENCH_SCALE_THREADS (20,000) threads, served by
// Codex and by Spool, each on its own fresh copy, twice: a cold start (no index or state DB yet)
// and a warm restart on the same copy. Prints medians, ratios codex/spool and PASS/FAIL per target.
//
//   cold start      spawn -> thread/list pages through every thread, or through as many as the
//                   server lists once that count holds for three polls (Codex stops at 10,000)
//                   (Spool answers initialize at once and builds its index in the background;
//                   lists wait for that build)
//   warm start      spawn -> the first thread/list (limit 50) answered, after a restart
//   thread/list     limit 50, medians on the warm process; searchTerm with hits and without
//   peak RSS        VmHWM of the warm process
import { RpcClient } from "../test/helpers/rpc-client.js";

export interface ScaleConfig {
  threads: number;
  reps: number;
  searchHit: string;
  searchMiss: string;
  timeoutMs: number;
  log: (s: string) => void;
}

export interface ScaleSide {
  cold_init_ms: number;
  cold_ready_ms: number;
  cold_peak_rss_mb: number | null;
  warm_init_ms: number;
  warm_first_list_ms: number;
  list_ms: number;
  page2_ms: number;
  search_hit_ms: number;
  search_miss_ms: number;
  peak_rss_mb: number | null;
  answers: { cold_total: number; warm_total: number; search_hit_count: number; search_miss_count: number };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number): number => Math.round(x * 100) / 100;

async function countAll(c: RpcClient, timeoutMs: number): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  for (;;) {
    const page: { data: unknown[]; nextCursor?: string | null } = await c.request("thread/list", cursor ? { limit: 100, cursor } : { limit: 100 }, timeoutMs);
    n += page.data.length;
    cursor = page.nextCursor ?? null;
    if (!cursor || page.data.length === 0) return n;
  }
}

/** Runs both starts over `home` (a fresh copy the caller removes); `start` spawns the server. */
export async function benchScaleSide(start: (home: string) => RpcClient, home: string, cfg: ScaleConfig, track: (c: RpcClient | null) => void): Promise<ScaleSide> {
  const T = cfg.timeoutMs;
  const now = () => performance.now();

  // cold
  let t0 = now();
  let c = start(home);
  track(c);
  await c.initialize("spool-bench", { experimentalApi: true }, T);
  const cold_init_ms = now() - t0;
  // until every thread is listed, or the count stops growing (Codex 0.169 lists at most 10,000
  // rollouts of a home this size: its count is reported beside Spool's)
  let cold_total = 0;
  // when the final count was first seen: the polls that confirm it do not count
  let reachedAt = now();
  for (let stable = 0; stable < 3; ) {
    const n = await countAll(c, T);
    stable = n > 0 && n === cold_total ? stable + 1 : 0;
    if (n !== cold_total) reachedAt = now();
    cold_total = n;
    if (cold_total >= cfg.threads) break;
    if (now() - t0 > T) throw new Error(`only ${cold_total}/${cfg.threads} threads listed after ${T} ms`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const cold_ready_ms = reachedAt - t0;
  cfg.log(`cold: initialize ${cold_init_ms.toFixed(0)} ms, every thread listed after ${cold_ready_ms.toFixed(0)} ms`);
  const cold_peak_rss_mb = c.peakRssMb();
  await c.close(30000);
  track(null);

  // warm restart on the same home
  t0 = now();
  c = start(home);
  track(c);
  await c.initialize("spool-bench", { experimentalApi: true }, T);
  const warm_init_ms = now() - t0;
  await c.request("thread/list", { limit: 50 }, T);
  const warm_first_list_ms = now() - t0;
  cfg.log(`warm: initialize ${warm_init_ms.toFixed(0)} ms, first thread/list answered after ${warm_first_list_ms.toFixed(0)} ms`);
  const timed = async (params: object): Promise<{ ms: number; count: number; cursor: string | null }> => {
    const xs: number[] = [];
    let last: { data: unknown[]; nextCursor?: string | null } = { data: [] };
    for (let i = 0; i < cfg.reps; i++) {
      const r = await c.requestTimed<typeof last>("thread/list", params, T);
      xs.push(r.ms);
      last = r.result;
    }
    return { ms: median(xs), count: last.data.length, cursor: last.nextCursor ?? null };
  };
  const list = await timed({ limit: 50 });
  const page2 = await timed({ limit: 50, cursor: list.cursor });
  const hit = await timed({ limit: 50, searchTerm: cfg.searchHit });
  const miss = await timed({ limit: 50, searchTerm: cfg.searchMiss });
  cfg.log(`warm: thread/list ${list.ms.toFixed(2)} ms, page 2 ${page2.ms.toFixed(2)} ms, search hit ${hit.ms.toFixed(2)} ms (${hit.count}), miss ${miss.ms.toFixed(2)} ms`);
  const warm_total = await countAll(c, T);
  const peak_rss_mb = c.peakRssMb();
  await c.close(30000);
  track(null);
  return {
    cold_init_ms: round(cold_init_ms),
    cold_ready_ms: round(cold_ready_ms),
    cold_peak_rss_mb,
    warm_init_ms: round(warm_init_ms),
    warm_first_list_ms: round(warm_first_list_ms),
    list_ms: round(list.ms),
    page2_ms: round(page2.ms),
    search_hit_ms: round(hit.ms),
    search_miss_ms: round(miss.ms),
    peak_rss_mb,
    answers: { cold_total, warm_total, search_hit_count: hit.count, search_miss_count: miss.count },
  };
}

export interface ScaleRow {
  key: keyof Omit<ScaleSide, "answers">;
  label: string;
  unit: "ms" | "MB";
  codex: number | null;
  spool: number | null;
  ratio: number | null;
  target: string | null;
  pass: boolean | null;
}

/** Rows of the table: [key, label, unit, minimum codex/spool ratio or null]. */
const DEFS: Array<[ScaleRow["key"], string, "ms" | "MB", number | null]> = [
  ["cold_init_ms", "cold: start -> initialize", "ms", null],
  ["cold_ready_ms", "cold start: start -> every thread listed", "ms", 10],
  ["warm_init_ms", "warm: start -> initialize", "ms", null],
  ["warm_first_list_ms", "warm start: start -> first thread/list", "ms", 1],
  ["list_ms", "thread/list limit 50", "ms", 50],
  ["page2_ms", "thread/list page 2", "ms", 50],
  ["search_hit_ms", "thread/list searchTerm (hits)", "ms", 500],
  ["search_miss_ms", "thread/list searchTerm (no match)", "ms", 500],
  ["cold_peak_rss_mb", "peak RSS, cold start (VmHWM)", "MB", null],
  ["peak_rss_mb", "peak RSS, warm (VmHWM)", "MB", 1],
];

export function scaleRows(codex: ScaleSide | null, spool: ScaleSide | null): ScaleRow[] {
  return DEFS.map(([key, label, unit, want]) => {
    const cv = codex ? codex[key] : null;
    const sv = spool ? spool[key] : null;
    const ratio = cv !== null && sv !== null && sv > 0 ? Math.round((cv / sv) * 100) / 100 : null;
    let target: string | null = null;
    let pass: boolean | null = null;
    if (want !== null) {
      target = unit === "MB" ? "spool <= codex" : `>= ${want}x`;
      pass = cv === null || sv === null ? false : unit === "MB" ? sv <= cv : ratio !== null && ratio >= want;
    }
    return { key, label, unit, codex: cv, spool: sv, ratio, target, pass };
  });
}
