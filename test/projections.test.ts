// Projections (src/projections): the tables a projector writes from a rollout equal what the
// history reducer answers from a full replay, on every corpus, legacy and probe thread (and on
// the legacy ones marked as Spool's, which also show command items) and on random event
// streams; pages served from them equal Codex's goldens; incremental projection
// (random chunks, torn tails, restarts) equals a rebuild; lifecycle events agree with the turn
// rows; the outbox reads and follows without gaps or duplicates.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { Projector } from "../src/projections/projector.js";
import { openMemoryProjections, projectionsPath } from "../src/projections/db.js";
import { ThreadHistoryReducer } from "../src/history/reducer.js";
import { parseRolloutLine } from "../src/rollout/line.js";
import type { EventRow } from "../src/projections/tables.js";
import { assertEqualsReplay, dumpThread, fixtureHomes, fixturesDir, randomRollout, replay, rng, rolloutsUnder, tmpDir } from "./fixtures/projections/helpers.js";
import { repoRoot } from "./helpers/paths.js";
import { copyCorpusHome } from "./helpers/compare.js";
import { startSpool } from "./helpers/spool.js";

const tmp = tmpDir("spool-projections-");
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const homes = fixtureHomes(tmp);

const BASICS = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
const INTERRUPT = "01a1fba4-9dce-7af0-b5b3-9ee172bdd2f3";

function projector(home: string, threads: Map<string, string>, opts: { batchBytes?: number; file?: boolean } = {}): Projector {
  return new Projector({ home, memory: !opts.file, batchBytes: opts.batchBytes, resolvePath: async (id) => threads.get(id) ?? null });
}

test("every corpus, legacy and probe thread: projection rows equal a full replay", async () => {
  let threads = 0;
  let checks = 0;
  for (const h of homes) {
    const pj = projector(h.home, h.threads);
    try {
      for (const [id, file] of h.threads) {
        await pj.syncThread(id, file);
        checks += assertEqualsReplay(await replay(file, h.threads), pj, id, `${h.name} ${path.basename(file)}`);
        threads++;
      }
    } finally {
      pj.close();
    }
  }
  assert.ok(threads >= 30, `only ${threads} threads`);
  assert.ok(checks > 1000);
});

test("random event streams (both history modes, and legacy threads marked as Spool's): projection equals the history reducer, in any batch size", async () => {
  const dir = fs.mkdtempSync(path.join(tmp, "fuzz-"));
  let n = 0;
  for (let seed = 1; seed <= 180; seed++) {
    // seeds past 120: legacy threads with Spool's mark (their command items shown too)
    const marked = seed > 120;
    const mode = marked || seed % 2 ? "legacy" : "paginated";
    const { threadId, text } = randomRollout(seed, mode, 40 + (seed % 5) * 30, { spoolItems: marked });
    const file = path.join(dir, `rollout-2026-01-01T00-00-00-${threadId}.jsonl`);
    fs.writeFileSync(file, text);
    // the reducer fed line by line (no loader, no triage), like history-goldens does
    const h = new ThreadHistoryReducer();
    text.split("\n").filter(Boolean).forEach((l, i) => {
      const r = parseRolloutLine(l);
      if (r.kind === "line") h.feed(r.line, r.line.ordinal ?? i);
    });
    const batch = [4 << 20, 64, 700][seed % 3];
    const pj = projector(dir, new Map(), { batchBytes: batch });
    await pj.syncThread(threadId, file);
    if (seed % 10 === 0) {
      assertEqualsReplay(h, pj, threadId, `seed ${seed} (${mode}${marked ? ", marked" : ""})`);
    } else {
      // the cheaper whole-history comparison for most seeds
      const got = JSON.parse(pj.listTurnsJson(threadId, { limit: 100, itemsView: "full", sortDirection: "asc" }, { threadActive: true, maxBytes: Infinity })).data;
      assert.equal(JSON.stringify(got), JSON.stringify(h.turns().slice(0, 100).map((t) => ({ ...t, itemsView: "full" }))), `seed ${seed} (${mode}${marked ? ", marked" : ""}) turns`);
      if (mode === "paginated") {
        const rows = pj.db.prepare("SELECT turn_id, rollout_ordinal, item_json FROM items WHERE thread_id = ? ORDER BY seq").all(threadId);
        assert.deepEqual(rows, h.itemEntries().map((e) => ({ turn_id: e.turnId, rollout_ordinal: e.ordinal, item_json: JSON.stringify(e.item) })), `seed ${seed} items`);
      }
    }
    // and incremental in one-line batches equals the one-batch rebuild
    const once = projector(dir, new Map());
    await once.syncThread(threadId, file);
    assert.equal(dumpThread(pj.db, threadId), dumpThread(once.db, threadId), `seed ${seed}: batch ${batch} vs one batch`);
    pj.close();
    once.close();
    n++;
  }
  assert.equal(n, 180);
});

test("turns/list and items/list goldens (corpus and legacy homes) answered from the projections", async () => {
  const f = fixturesDir();
  const sets = [{ home: path.join(f, "corpus", "codex-home"), golden: path.join(f, "corpus", "golden", "final") }];
  for (const r of ["0.50.0", "0.80.0", "0.110.0"]) sets.push({ home: path.join(f, "legacy", r, "codex-home"), golden: path.join(f, "legacy", r, "golden", "final") });
  let checked = 0;
  for (const s of sets) {
    const threads = rolloutsUnder(s.home);
    const pj = projector(s.home, threads);
    try {
      for (const g of fs.readdirSync(s.golden).filter((x) => /^(turns|items)-.*\.json$/.test(x)).sort()) {
        const gold = JSON.parse(fs.readFileSync(path.join(s.golden, g), "utf8"));
        const { threadId, ...params } = gold.params;
        await pj.syncThread(threadId, threads.get(threadId)!);
        let got: string;
        try {
          got = gold.method === "thread/turns/list" ? pj.listTurnsJson(threadId, params) : pj.listItemsJson(threadId, params);
        } catch (e) {
          const err = e as { code: number; message: string };
          got = JSON.stringify({ error: { code: err.code, message: err.message } });
        }
        assert.equal(got, JSON.stringify(gold.result), `${s.golden} ${g}`);
        checked++;
      }
    } finally {
      pj.close();
    }
  }
  assert.ok(checked >= 30, `checked ${checked}`);
});

test("byte budget: pages stop before the budget, keep one row, and cursors walk the same rows", async () => {
  const h = homes[0];
  const pj = projector(h.home, h.threads);
  try {
    await pj.syncThread(BASICS, h.threads.get(BASICS)!);
    for (const [method, params] of [
      ["turns", { itemsView: "full", sortDirection: "asc", limit: 100 }],
      ["turns", { itemsView: "summary", sortDirection: "desc", limit: 100 }],
      ["items", { sortDirection: "asc", limit: 100 }],
      ["items", { sortDirection: "desc", limit: 100 }],
    ] as const) {
      const list = (p: Record<string, unknown>, maxBytes: number) => JSON.parse(method === "turns" ? pj.listTurnsJson(BASICS, p, { maxBytes }) : pj.listItemsJson(BASICS, p, { maxBytes }));
      const whole = list(params, Infinity);
      assert.equal(whole.nextCursor, null);
      for (const budget of [1, 600, 2000]) {
        const rows: unknown[] = [];
        let cursor: string | null = null;
        let pages = 0;
        for (;;) {
          const page = list({ ...params, cursor }, budget);
          assert.ok(page.data.length >= 1);
          const bytes = page.data.reduce((n: number, r: unknown) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0);
          assert.ok(page.data.length === 1 || bytes <= budget, `${method} page of ${bytes} bytes over ${budget}`);
          rows.push(...page.data);
          pages++;
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        assert.deepEqual(rows, whole.data, `${method} ${JSON.stringify(params)} budget ${budget}`);
        if (budget === 1) assert.equal(pages, whole.data.length);
      }
    }
  } finally {
    pj.close();
  }
});

/** Writes `text` to `file` in random pieces (cut anywhere, mid-line too), syncing after each, restarting the projector now and then. */
async function growAndProject(text: string, file: string, threadId: string, dbHome: string, seed: number, threads: Map<string, string>): Promise<Projector> {
  const r = rng(seed);
  fs.writeFileSync(file, "");
  let pj = projector(dbHome, threads, { batchBytes: 200 + Math.floor(r() * 5000), file: true });
  let at = 0;
  const bytes = Buffer.from(text);
  while (at < bytes.length) {
    const n = Math.min(bytes.length - at, 1 + Math.floor(r() * 6000));
    fs.appendFileSync(file, bytes.subarray(at, at + n));
    at += n;
    await pj.syncThread(threadId, file);
    if (r() < 0.3) {
      pj.close();
      pj = projector(dbHome, threads, { batchBytes: 200 + Math.floor(r() * 5000), file: true });
    }
  }
  await pj.syncThread(threadId, file);
  return pj;
}

test("incremental (random chunks, torn tails, restarts, a file on disk) equals a rebuild", async () => {
  let n = 0;
  for (const h of homes.slice(0, 4)) {
    for (const [id, src] of h.threads) {
      const dbHome = fs.mkdtempSync(path.join(tmp, "inc-"));
      const text = fs.readFileSync(src, "utf8");
      const dir = path.join(dbHome, "sessions");
      fs.mkdirSync(dir);
      const file = path.join(dir, path.basename(src));
      // fork parents stay where they are
      const threads = new Map(h.threads);
      threads.set(id, file);
      const pj = await growAndProject(text, file, id, dbHome, n + 7, threads);
      const rebuilt = projector(dbHome, threads);
      await rebuilt.syncThread(id, file);
      assert.equal(dumpThread(pj.db, id), dumpThread(rebuilt.db, id), `${h.name} ${id}`);
      assert.ok(fs.existsSync(projectionsPath(dbHome)));
      pj.close();
      rebuilt.close();
      n++;
    }
  }
  assert.ok(n >= 20);
});

test("a replaced or truncated rollout is projected again from scratch", async () => {
  const h = homes[0];
  const dbHome = fs.mkdtempSync(path.join(tmp, "replace-"));
  const file = path.join(dbHome, path.basename(h.threads.get(BASICS)!));
  const text = fs.readFileSync(h.threads.get(BASICS)!, "utf8");
  const lines = text.split("\n");
  fs.writeFileSync(file, text);
  const pj = projector(dbHome, h.threads);
  try {
    await pj.syncThread(BASICS, file);
    // truncated below the checkpoint
    fs.writeFileSync(file, lines.slice(0, 30).join("\n") + "\n");
    const r = await pj.syncThread(BASICS, file);
    assert.equal(r.reset, true);
    const fresh = projector(dbHome, h.threads);
    await fresh.syncThread(BASICS, file);
    assert.equal(dumpThread(pj.db, BASICS), dumpThread(fresh.db, BASICS));
    fresh.close();
    // same size, different first line
    const meta = JSON.parse(lines[0]);
    meta.payload.cwd = "/elsewhere";
    fs.writeFileSync(file, [JSON.stringify(meta), ...lines.slice(1, 30)].join("\n") + "\n");
    assert.equal((await pj.syncThread(BASICS, file)).reset, true);
    const fresh2 = projector(dbHome, h.threads);
    await fresh2.syncThread(BASICS, file);
    assert.equal(dumpThread(pj.db, BASICS), dumpThread(fresh2.db, BASICS));
    fresh2.close();
  } finally {
    pj.close();
  }
});

test("checkpoint: small, bounded by the open turn, not by the thread", async () => {
  const h = homes[0];
  const src = fs.readFileSync(h.threads.get(BASICS)!, "utf8").split("\n").filter(Boolean);
  const sizes: number[] = [];
  for (const reps of [1, 40]) {
    const dbHome = fs.mkdtempSync(path.join(tmp, "cp-"));
    const body: string[] = [src[0]];
    let ord = 1;
    for (let k = 0; k < reps; k++) {
      for (const l of src.slice(1)) {
        // fresh turn and item ids per repetition
        const o = JSON.parse(l.replace(/01a1fba4-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})/g, (m) => (m === BASICS ? m : `${m.slice(0, 24)}${k.toString(16).padStart(12, "0")}`)).replace(/"(msg|call|rs|ws)_(\d+)"/g, `"$1_$2_${k}"`));
        o.ordinal = ord++;
        body.push(JSON.stringify(o));
      }
    }
    const file = path.join(dbHome, path.basename(h.threads.get(BASICS)!));
    fs.writeFileSync(file, body.join("\n") + "\n");
    const pj = projector(dbHome, new Map(), { batchBytes: 64 << 10 });
    await pj.syncThread(BASICS, file);
    const cp = pj.tables.checkpoint(BASICS)!;
    sizes.push(Buffer.byteLength(cp.state));
    const turns = (pj.db.prepare("SELECT COUNT(*) AS n FROM turns WHERE thread_id = ?").get(BASICS) as { n: number }).n;
    assert.equal(turns, 9 * reps);
    pj.close();
  }
  assert.ok(sizes[1] < 512, `checkpoint state of ${sizes[1]} bytes`);
  assert.ok(sizes[1] - sizes[0] < 32, `checkpoint grew from ${sizes[0]} to ${sizes[1]} bytes`);
});

test("a turn failed by task_complete.error gives turn.failed with the TurnSummary's turn id; lifecycle agrees with every turn row", async () => {
  const h = homes[0];
  const pj = projector(h.home, h.threads);
  try {
    await pj.syncThread(BASICS, h.threads.get(BASICS)!);
    const failed = pj.db.prepare("SELECT turn_id, error_json FROM turns WHERE thread_id = ? AND status = 'failed'").all(BASICS) as { turn_id: string; error_json: string }[];
    assert.equal(failed.length, 1);
    const events = pj.readEvents(BASICS, 0, 1000);
    const fails = events.filter((e) => e.type === "turn.failed");
    assert.equal(fails.length, 1);
    assert.equal(fails[0].turnId, failed[0].turn_id);
    assert.equal(fails[0].turnId, "01a1fba4-9d17-7d91-9741-7bb4a74fd0a0");
    const err = JSON.parse(failed[0].error_json);
    assert.deepEqual(fails[0].payload, { message: err.message, codexErrorInfo: err.codexErrorInfo, completedAt: fails[0].payload && (fails[0].payload as { completedAt: unknown }).completedAt, durationMs: (fails[0].payload as { durationMs: unknown }).durationMs });
    assert.equal(err.message, '{"error":{"message":"mock refused: boom","type":"invalid_request_error"}}');
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
    // the turn summary reads the same through the items view
    const page = JSON.parse(pj.listTurnsJson(BASICS, { limit: 100, sortDirection: "asc" }));
    assert.equal(page.data.find((t: { id: string }) => t.id === fails[0].turnId).status, "failed");

    // on every fixture thread: the last terminal event of each explicit turn is its row's status
    const terminal: Record<string, string> = { "turn.completed": "completed", "turn.cancelled": "interrupted", "turn.failed": "failed" };
    let cancelled = 0;
    for (const home of homes) {
      const p2 = projector(home.home, home.threads);
      for (const [id, file] of home.threads) {
        await p2.syncThread(id, file);
        const rows = p2.db.prepare("SELECT turn_id, status FROM turns WHERE thread_id = ? ORDER BY seq").all(id) as { turn_id: string; status: string }[];
        const evs = p2.readEvents(id, 0, 10_000);
        const lastTerminal = new Map<string, string>();
        for (const e of evs) if (e.turnId !== null && terminal[e.type]) lastTerminal.set(e.turnId, terminal[e.type]);
        const ids = new Map<string, number>();
        for (const r of rows) ids.set(r.turn_id, (ids.get(r.turn_id) ?? 0) + 1);
        for (const r of rows) {
          if (ids.get(r.turn_id)! > 1 || r.turn_id.startsWith("rollout-")) continue; // repeated or implicit ids: no 1:1 mapping
          if (r.status === "failed" || r.status === "interrupted") assert.equal(lastTerminal.get(r.turn_id), r.status, `${home.name} ${id} turn ${r.turn_id}`);
          if (lastTerminal.has(r.turn_id)) assert.equal(lastTerminal.get(r.turn_id), r.status, `${home.name} ${id} turn ${r.turn_id}`);
        }
        for (const e of evs) if (e.type === "turn.failed") assert.ok(rows.some((r) => r.turn_id === e.turnId), `${home.name}: turn.failed for a turn without a row`);
        cancelled += evs.filter((e) => e.type === "turn.cancelled").length;
      }
      p2.close();
    }
    assert.ok(cancelled > 0);
    // the interrupt thread: one turn.cancelled, for the aborted turn
    await pj.syncThread(INTERRUPT, h.threads.get(INTERRUPT)!);
    const ie = pj.readEvents(INTERRUPT, 0, 100);
    assert.deepEqual(ie.map((e) => e.type), ["turn.started", "turn.cancelled", "turn.started", "turn.completed"]);
    assert.equal(ie[1].turnId, "01a1fba4-9dd2-7d21-b259-9ca02a130f39");
  } finally {
    pj.close();
  }
});

test("legacy rollback: thread.rolled_back names the turns it dropped", async () => {
  const probes = homes.find((x) => x.name === "probes oracle-legacy.json")!;
  const pj = projector(probes.home, probes.threads);
  try {
    let seen = 0;
    for (const [id, file] of probes.threads) {
      if (!/rollback/.test(fs.readFileSync(file, "utf8"))) continue;
      await pj.syncThread(id, file);
      const evs = pj.readEvents(id, 0, 1000).filter((e) => e.type === "thread.rolled_back");
      assert.ok(evs.length > 0);
      for (const e of evs) {
        const p = e.payload as { numTurns: number; droppedTurnIds: string[] };
        assert.ok(p.droppedTurnIds.length <= p.numTurns);
        seen += p.droppedTurnIds.length;
      }
    }
    assert.ok(seen > 0);
  } finally {
    pj.close();
  }
});

test("outbox: events after seq N, then live-follow while the rollout grows: every event once, in order", async () => {
  const h = homes[0];
  const dbHome = fs.mkdtempSync(path.join(tmp, "outbox-"));
  const src = h.threads.get(BASICS)!;
  const file = path.join(dbHome, path.basename(src));
  const lines = fs.readFileSync(src, "utf8").split("\n").filter(Boolean);
  fs.writeFileSync(file, lines.slice(0, 40).join("\n") + "\n");
  const pj = projector(dbHome, h.threads, { batchBytes: 1500, file: true });
  try {
    await pj.syncThread(BASICS, file);
    const stored = pj.readEvents(BASICS, 0, 100);
    assert.ok(stored.length >= 5);
    const N = 2;
    assert.deepEqual(pj.readEvents(BASICS, N, 2).map((e) => e.seq), [3, 4]);
    const ac = new AbortController();
    const got: EventRow[] = [];
    const slow: EventRow[] = [];
    const follower = (async () => {
      for await (const e of pj.follow(BASICS, N, { signal: ac.signal, batch: 3 })) got.push(e);
    })();
    // a slow consumer started later, from 0
    const ac2 = new AbortController();
    const slowFollower = (async () => {
      for await (const e of pj.follow(BASICS, 0, { signal: ac2.signal })) {
        slow.push(e);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    // grow the file in pieces (a torn line now and then), projecting after each
    let at = 40;
    while (at < lines.length) {
      const n = 1 + (at % 7);
      const piece = lines.slice(at, at + n).join("\n") + "\n";
      const cut = Math.floor(piece.length / 2);
      fs.appendFileSync(file, piece.slice(0, cut));
      await pj.syncThread(BASICS, file);
      fs.appendFileSync(file, piece.slice(cut));
      await pj.syncThread(BASICS, file);
      at += n;
      await new Promise((r) => setImmediate(r));
    }
    const all = pj.readEvents(BASICS, 0, 1000);
    // no deadline: a follower that never catches up fails by the test timeout, not by a clock here
    while (got.length + N < all.length || slow.length < all.length) await new Promise((r) => setTimeout(r, 5));
    // nothing more comes: stop following
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    ac2.abort();
    await Promise.all([follower, slowFollower]);
    assert.deepEqual(got.map((e) => e.seq), all.filter((e) => e.seq > N).map((e) => e.seq));
    assert.deepEqual(got, all.filter((e) => e.seq > N));
    assert.deepEqual(slow, all);
    // and the same as a one-shot projection of the whole file
    const once = projector(dbHome, h.threads);
    await once.syncThread(BASICS, file);
    assert.deepEqual(once.readEvents(BASICS, 0, 1000), all);
    once.close();
  } finally {
    pj.close();
  }
});

test("outbox follow across processes: a poll picks up commits made by another projector", async () => {
  const h = homes[0];
  const dbHome = fs.mkdtempSync(path.join(tmp, "poll-"));
  const file = path.join(dbHome, path.basename(h.threads.get(INTERRUPT)!));
  const lines = fs.readFileSync(h.threads.get(INTERRUPT)!, "utf8").split("\n").filter(Boolean);
  fs.writeFileSync(file, lines.slice(0, 5).join("\n") + "\n");
  const reader = projector(dbHome, h.threads, { file: true });
  const writer = projector(dbHome, h.threads, { file: true });
  try {
    const ac = new AbortController();
    const got: EventRow[] = [];
    const follow = (async () => {
      for await (const e of reader.follow(INTERRUPT, 0, { signal: ac.signal, pollMs: 10 })) {
        got.push(e);
        if (got.length === 4) ac.abort();
      }
    })();
    for (let i = 5; i <= lines.length; i += 4) {
      fs.writeFileSync(file, lines.slice(0, i).join("\n") + "\n");
      await writer.syncThread(INTERRUPT, file);
    }
    fs.writeFileSync(file, lines.join("\n") + "\n");
    await writer.syncThread(INTERRUPT, file);
    await Promise.race([follow, new Promise((_, rej) => setTimeout(() => rej(new Error("poll did not see the events")), 5000))]);
    assert.deepEqual(got.map((e) => e.type), ["turn.started", "turn.cancelled", "turn.started", "turn.completed"]);
  } finally {
    reader.close();
    writer.close();
  }
});

test("spool projections rebuild: drops the store and rebuilds identical rows", async () => {
  const home = path.join(tmp, "cli-home");
  fs.cpSync(path.join(fixturesDir(), "corpus", "codex-home"), home, { recursive: true });
  for (const f of fs.readdirSync(home, { recursive: true }).map(String)) fs.chmodSync(path.join(home, f), fs.statSync(path.join(home, f)).isDirectory() ? 0o755 : 0o644);
  const threads = rolloutsUnder(home);
  // incrementally, thread by thread, in small batches
  const pj = new Projector({ home, batchBytes: 3000 });
  for (const [id, file] of [...threads].reverse()) await pj.syncThread(id, file);
  const before = new Map([...threads.keys()].map((id) => [id, dumpThread(pj.db, id)]));
  pj.close();
  const main = path.join(repoRoot(), "dist", "src", "cli", "main.js");
  const r = spawnSync(process.execPath, [main, "projections", "rebuild", "--home", home], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`rebuilt .*projections\\.sqlite: ${threads.size} threads`));
  const again = new Projector({ home });
  for (const id of threads.keys()) assert.equal(dumpThread(again.db, id), before.get(id), id);
  assert.equal((again.db.prepare("SELECT COUNT(*) AS n FROM checkpoints").get() as { n: number }).n, threads.size);
  again.close();
});

test("syncHome drops the projections of deleted rollouts; an unknown thread reads as empty legacy", async () => {
  const home = path.join(tmp, "drop-home");
  fs.mkdirSync(path.join(home, "sessions"), { recursive: true });
  const h = homes[0];
  for (const [, f] of h.threads) fs.copyFileSync(f, path.join(home, "sessions", path.basename(f)));
  const pj = new Projector({ home, memory: true });
  try {
    const s = await pj.syncHome();
    assert.equal(s.threads, h.threads.size);
    fs.rmSync(path.join(home, "sessions", path.basename(h.threads.get(INTERRUPT)!)));
    const s2 = await pj.syncHome();
    assert.equal(s2.removed, 1);
    assert.equal(pj.historyMode(INTERRUPT), null);
    assert.equal(pj.listTurnsJson(INTERRUPT, {}), '{"data":[],"nextCursor":null,"backwardsCursor":null}');
    assert.throws(() => pj.listItemsJson(INTERRUPT, {}), /not supported yet/);
  } finally {
    pj.close();
  }
});

test("projection store: a fresh in-memory store has the schema", () => {
  const db = openMemoryProjections();
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
  assert.deepEqual(tables.map((t) => t.name), ["checkpoints", "events", "items", "projection_meta", "turns"]);
  db.close();
});

test("watchHome: a rollout appended by another writer is projected and its outbox followed without asking", async () => {
  const h = homes[0];
  const home = fs.mkdtempSync(path.join(tmp, "watch-"));
  const dir = path.join(home, "sessions", "2026", "11", "21");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, path.basename(h.threads.get(INTERRUPT)!));
  const lines = fs.readFileSync(h.threads.get(INTERRUPT)!, "utf8").split("\n").filter(Boolean);
  const pj = new Projector({ home, memory: true });
  const stop = pj.watchHome({ debounceMs: 5 });
  try {
    const ac = new AbortController();
    const got: string[] = [];
    const follow = (async () => {
      for await (const e of pj.follow(INTERRUPT, 0, { signal: ac.signal })) {
        got.push(e.type);
        if (got.length === 4) ac.abort();
      }
    })();
    for (let i = 0; i < lines.length; i += 3) {
      fs.appendFileSync(file, lines.slice(i, i + 3).join("\n") + "\n");
      await new Promise((r) => setTimeout(r, 15));
    }
    await Promise.race([follow, new Promise((_, rej) => setTimeout(() => rej(new Error(`watcher saw ${JSON.stringify(got)}`)), 5000))]);
    assert.deepEqual(got, ["turn.started", "turn.cancelled", "turn.started", "turn.completed"]);
  } finally {
    stop();
    pj.close();
  }
});

test("app-server: thread/turns/list and thread/items/list come from <home>/spool/projections.sqlite and follow a growing rollout", async () => {
  const home = copyCorpusHome(path.join(fixturesDir(), "corpus"), { tmpRoot: tmp });
  const file = rolloutsUnder(home).get(BASICS)!;
  const client = startSpool(home);
  try {
    await client.initialize("projections");
    const first = await client.request("thread/turns/list", { threadId: BASICS, limit: 2 });
    assert.equal(first.data.length, 2);
    const db = new Projector({ home });
    const cp = db.tables.checkpoint(BASICS);
    assert.ok(cp, "the page was served from a projection");
    assert.equal(cp.byte_offset, fs.statSync(file).size);
    db.close();
    // a turn appended to the rollout (by Codex, say) shows on the next request
    const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    const start = lines.findIndex((l) => l.includes('"task_started"'));
    const end = lines.findIndex((l, i) => i > start && l.includes('"task_complete"'));
    let ord = lines.length;
    const extra = lines
      .slice(start, end + 1)
      .map((l) => l.replace(/01a1fba4-9b[0-9a-f]{2}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (m) => (m === BASICS ? m : `${m.slice(0, 24)}aaaaaaaaaaaa`)).replace(/"ordinal":\d+,/, () => `"ordinal":${ord++},`).replace(/"msg_2"/g, '"msg_2b"'));
    fs.appendFileSync(file, extra.join("\n") + "\n");
    const after = await client.request("thread/turns/list", { threadId: BASICS, limit: 1 });
    assert.match(after.data[0].id, /aaaaaaaaaaaa$/);
    const items = await client.request("thread/items/list", { threadId: BASICS, sortDirection: "desc", limit: 1 });
    assert.match(items.data[0].turnId, /aaaaaaaaaaaa$/);
    const bad = await client.request("thread/items/list", { threadId: BASICS, cursor: "nope" }).then(
      () => null,
      (e: { rpc: { code: number; message: string } }) => e.rpc,
    );
    assert.deepEqual(bad, { code: -32600, message: "invalid cursor: nope" });
  } finally {
    await client.close();
  }
});
