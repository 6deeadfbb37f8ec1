// Times one app-server over one home (port of /work/shared/tools/bench-server.mjs): start to
// initialize, the first thread/list, the wait until the list shows every thread (Codex backfills
// its SQLite state from the rollouts on a fresh home), then warm thread/list, page 2, searched
// lists, and thread/read of the big thread with and without turns; and the peak RSS.
import { RpcClient } from "../test/helpers/rpc-client.js";

export interface ServerBenchConfig {
  /** Number of threads the home holds (the synthetic ones plus the big one). */
  expectedThreads: number;
  /** The big thread. */
  bigId: string;
  reps: number;
  readReps: number;
  /** A searchTerm that matches some threads, and one that matches none. */
  searchHit: string;
  searchMiss: string;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Give up waiting for the full list after this long. */
  readyTimeoutMs: number;
  log?: (s: string) => void;
}

export interface Series {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export interface ServerBenchResult {
  init_ms: number;
  first_list_ms: number;
  first_list_count: number;
  /** From spawn until thread/list pages through every thread. */
  ready_ms: number;
  ready_polls: number;
  list_ms: Series;
  page2_ms: Series | null;
  search_hit_ms: Series;
  search_miss_ms: Series;
  read_turns_ms: Series;
  read_meta_ms: Series;
  peak_rss_mb: number | null;
  /** What the answers held, to check both servers answered alike. */
  answers: {
    total_threads: number;
    list_count: number;
    page2_count: number | null;
    search_hit_count: number;
    search_miss_count: number;
    big_turns: number;
    big_read_chars: number;
    big_meta_chars: number;
  };
}

const round = (x: number): number => Math.round(x * 100) / 100;

function series(xs: number[]): Series {
  const s = [...xs].sort((a, b) => a - b);
  return { median: round(s[Math.floor(s.length / 2)]), min: round(s[0]), max: round(s[s.length - 1]), samples: xs.map(round) };
}

/** Counts every thread by paging thread/list (Codex caps a page at 100). */
async function countAll(c: RpcClient, timeoutMs: number): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  for (let pages = 0; pages < 100000; pages++) {
    const page: { data: unknown[]; nextCursor?: string | null } = await c.request("thread/list", cursor ? { limit: 100, cursor } : { limit: 100 }, timeoutMs);
    n += page.data.length;
    cursor = page.nextCursor ?? null;
    if (!cursor || page.data.length === 0) break;
  }
  return n;
}

/**
 * Runs the benchmark over an already started (not yet initialized) client; `t0` is
 * performance.now() at spawn. Leaves the client running (the caller closes it).
 */
export async function benchServer(c: RpcClient, t0: number, cfg: ServerBenchConfig): Promise<ServerBenchResult> {
  const log = cfg.log ?? (() => {});
  const now = (): number => performance.now();
  const T = cfg.timeoutMs;

  await c.initialize("spool-bench", { experimentalApi: true }, T);
  const init_ms = now() - t0;
  log(`initialized in ${init_ms.toFixed(0)} ms`);

  const first = await c.requestTimed<{ data: unknown[]; nextCursor?: string | null }>("thread/list", { limit: 50 }, T);
  log(`first thread/list: ${first.ms.toFixed(1)} ms, ${first.result.data.length} threads`);

  // wait until the list holds every thread (Codex's backfill), so warm numbers are warm
  let total = 0;
  let ready_polls = 0;
  for (;;) {
    ready_polls++;
    total = await countAll(c, T);
    if (total >= cfg.expectedThreads) break;
    if (now() - t0 > cfg.readyTimeoutMs) throw new Error(`thread/list still shows ${total}/${cfg.expectedThreads} threads after ${cfg.readyTimeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const ready_ms = now() - t0;
  log(`all ${total} threads listed after ${ready_ms.toFixed(0)} ms (${ready_polls} polls)`);

  const timeIt = async (method: string, params: unknown, reps: number): Promise<{ s: Series; last: any; chars: number }> => {
    const xs: number[] = [];
    let last: any;
    let chars = 0;
    for (let i = 0; i < reps; i++) {
      const r = await c.requestTimed(method, params, T);
      xs.push(r.ms);
      last = r.result;
      chars = r.chars;
    }
    return { s: series(xs), last, chars };
  };

  const list = await timeIt("thread/list", { limit: 50 }, cfg.reps);
  log(`thread/list limit 50: ${list.s.median} ms`);
  const cursor: string | null = list.last?.nextCursor ?? null;
  const page2 = cursor ? await timeIt("thread/list", { limit: 50, cursor }, cfg.reps) : null;
  log(`page 2: ${page2 ? page2.s.median + " ms" : "no cursor"}`);
  const hit = await timeIt("thread/list", { limit: 50, searchTerm: cfg.searchHit }, cfg.reps);
  log(`searchTerm ${JSON.stringify(cfg.searchHit)}: ${hit.s.median} ms, ${hit.last.data.length} hits`);
  const miss = await timeIt("thread/list", { limit: 50, searchTerm: cfg.searchMiss }, cfg.reps);
  log(`searchTerm ${JSON.stringify(cfg.searchMiss)}: ${miss.s.median} ms, ${miss.last.data.length} hits`);
  const read = await timeIt("thread/read", { threadId: cfg.bigId, includeTurns: true }, cfg.readReps);
  log(`thread/read includeTurns (big): ${read.s.median} ms, ${read.last.thread.turns?.length} turns, ${(read.chars / 1e6).toFixed(2)} MB`);
  const meta = await timeIt("thread/read", { threadId: cfg.bigId }, cfg.reps);
  log(`thread/read (big, no turns): ${meta.s.median} ms`);
  const peak_rss_mb = c.peakRssMb();

  return {
    init_ms: round(init_ms),
    first_list_ms: round(first.ms),
    first_list_count: first.result.data.length,
    ready_ms: round(ready_ms),
    ready_polls,
    list_ms: list.s,
    page2_ms: page2?.s ?? null,
    search_hit_ms: hit.s,
    search_miss_ms: miss.s,
    read_turns_ms: read.s,
    read_meta_ms: meta.s,
    peak_rss_mb: peak_rss_mb === null ? null : round(peak_rss_mb),
    answers: {
      total_threads: total,
      list_count: list.last.data.length,
      page2_count: page2 ? page2.last.data.length : null,
      search_hit_count: hit.last.data.length,
      search_miss_count: miss.last.data.length,
      big_turns: read.last.thread.turns?.length ?? 0,
      big_read_chars: read.chars,
      big_meta_chars: meta.chars,
    },
  };
}
