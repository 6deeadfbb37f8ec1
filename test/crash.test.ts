// Crash safety of the write path: a child process appends numbered items in a loop through
// LocalThreadStore (test/fixtures/store/append-child.ts) and is SIGKILLed at 200 random moments
// (mostly 5–80 ms into appending, sometimes 0–30 ms after it was told to start, while it
// creates or reopens the thread). After every kill:
//  - every item the child acknowledged (printed after appendItems resolved) is in the file,
//    items appear once and in order;
//  - the file still reads: at most an unterminated last line, which the reader skips (every
//    10th kill also leaves a torn line on purpose, which the next child must cut);
//  - the index row on disk is never ahead of the file, and the index caught up incrementally
//    from it equals an index rebuilt from the JSONL alone.
// Then the child is restarted on the same thread (it truncates a torn tail and goes on). Threads
// are rotated every 25 kills, each in its own home, to keep files small; each thread's whole
// file is re-checked when it is done.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { readRollout, newStats } from "../src/rollout/reader.js";
import { HomeIndex } from "../src/store/local/home-index.js";
import { repoRoot } from "./helpers/paths.js";
import { spawnKillChild, type KilledRun } from "./helpers/kill-loop.js";

const KILLS = Number(process.env.SPOOL_CRASH_KILLS ?? 200);
const KILLS_PER_THREAD = 25;
const CHILD = path.join(repoRoot(), "dist", "test", "fixtures", "store", "append-child.js");

interface Run extends KilledRun {
  acked: number[];
}

interface Child {
  /** Starts the work (the child has been loading its modules meanwhile) and kills it as told. */
  go(home: string, threadId: string, firstSeq: number, mode: "create" | "resume", seed: number, kill: { afterReadyMs: number } | { afterGoMs: number }): Promise<Run>;
  /** Kills a child that was never told to go. */
  discard(): void;
}

/** Spawns a child that waits for its `go` line, so its start-up overlaps the previous check. */
function spawnChild(): Child {
  const acked: number[] = [];
  const child = spawnKillChild(CHILD, (line) => {
    if (line.startsWith("ack ")) for (const s of line.slice(4).split(" ")) acked.push(Number(s));
  });
  return {
    async go(home, threadId, firstSeq, mode, seed, kill) {
      if ("afterGoMs" in kill) setTimeout(child.kill, kill.afterGoMs);
      const onReady = "afterReadyMs" in kill ? () => setTimeout(child.kill, kill.afterReadyMs) : undefined;
      return { ...(await child.go([home, threadId, firstSeq, mode, seed], onReady)), acked };
    },
    discard: child.kill,
  };
}

const rows = (idx: HomeIndex) => idx.db.prepare("SELECT * FROM threads ORDER BY id").all();

function byteAt(file: string, pos: number): number {
  const fd = fs.openSync(file, "r");
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, pos);
    return b[0];
  } finally {
    fs.closeSync(fd);
  }
}

function findRollout(home: string, threadId: string): string | null {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(`${threadId}.jsonl`)) found.push(p);
    }
  };
  walk(path.join(home, "sessions"));
  assert.ok(found.length <= 1, `several rollouts for ${threadId}`);
  return found[0] ?? null;
}

/** The items of a rollout from `start` (a line start): their seqs, where the complete lines end, and the reader's stats. */
async function readSeqs(file: string, start: number) {
  const stats = newStats();
  const seqs: number[] = [];
  let metaLines = 0;
  let end = start;
  for await (const { line, raw } of readRollout(file, stats, { start })) {
    if (line.type === "session_meta") metaLines++;
    else seqs.push(line.payload.seq as number);
    end = raw.next;
  }
  return { seqs, metaLines, end, stats };
}

test(`crash safety: ${KILLS} SIGKILLs while appending`, async () => {
  assert.ok(fs.existsSync(CHILD), `${CHILD} missing: run npm run build`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-crash-"));
  const started = Date.now();
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  let next: Child | null = null;
  let checkMs = 0;
  let injectedSize = -1;
  const counts = { kills: 0, acked: 0, tornTails: 0, injected: 0, startupKills: 0, killedBeforeReady: 0, threads: 0, interruptedCreations: 0 };
  // per thread: its own home (so a rebuild scans one file), what is acknowledged, what is checked
  let home = "";
  let threadId = "";
  let file: string | null = null;
  let acked = new Set<number>();
  let checked = { offset: 0, lastSeq: -1, seen: new Set<number>(), metaLines: 0 };

  /** Re-reads the whole file: every acknowledged item is there, once, in order. */
  const fullCheck = async (label: string) => {
    if (!file) return assert.equal(acked.size, 0, `${label}: acknowledged items but no file`);
    const r = await readSeqs(file, 0);
    assert.equal(r.stats.malformed + r.stats.unknown, 0, `${label}: bad lines`);
    assert.equal(r.metaLines, 1);
    for (let i = 1; i < r.seqs.length; i++) assert.ok(r.seqs[i] > r.seqs[i - 1], `${label}: seq ${r.seqs[i]} after ${r.seqs[i - 1]}`);
    const present = new Set(r.seqs);
    assert.deepEqual([...acked].filter((x) => !present.has(x)), [], `${label}: acknowledged items missing`);
  };

  try {
    for (let k = 0; k < KILLS; k++) {
      let mode: "create" | "resume" = "resume";
      if (k % KILLS_PER_THREAD === 0) {
        if (k) await fullCheck(`thread ${counts.threads} final`);
        counts.threads++;
        home = path.join(root, `home-${counts.threads}`);
        fs.mkdirSync(home);
        threadId = randomUUID();
        file = null;
        acked = new Set();
        checked = { offset: 0, lastSeq: -1, seen: new Set(), metaLines: 0 };
      }
      // a created thread has no file until its first append: keep creating until one exists
      if (file === null) mode = "create";
      const atStartup = rnd() < 0.1;
      if (atStartup) counts.startupKills++;
      const kill = atStartup ? { afterGoMs: Math.floor(rnd() * 30) } : { afterReadyMs: 5 + Math.floor(rnd() * 76) };
      const child: Child = next ?? spawnChild();
      const running: Promise<Run> = child.go(home, threadId, checked.lastSeq + 1, mode, Math.floor(rnd() * 2 ** 31), kill);
      // the next child boots while this one runs and is checked
      next = k + 1 < KILLS ? spawnChild() : null;
      const run: Run = await running;
      const t0 = Date.now();
      assert.equal(run.signal, "SIGKILL", `child ${k} ended by ${run.signal ?? `exit ${run.code}`}: ${run.stderr}`);
      counts.kills++;
      if (!run.ready) counts.killedBeforeReady++;
      for (const x of run.acked) acked.add(x);
      counts.acked += run.acked.length;

      file ??= findRollout(home, threadId);
      // a kill during creation can leave a file with no whole line: nothing in it was
      // acknowledged, and the next child creates the thread again (the store replaces the file)
      if (file && checked.offset === 0 && !fs.readFileSync(file).includes(10)) {
        assert.equal(acked.size, 0, `kill ${k}: acknowledged items but no complete line in ${file}`);
        counts.interruptedCreations++;
        file = null;
      }
      if (!file) {
        assert.equal(acked.size, 0, `kill ${k}: acknowledged items but no file`);
        continue;
      }

      // 1. the file still reads: only an unterminated last line is skipped. Bytes before
      // `checked.offset` were read after an earlier kill and never change (a torn tail is cut
      // back to a line end, never further), so only the new part is parsed here.
      const size: number = fs.statSync(file).size;
      assert.ok(size >= checked.offset, `kill ${k}: the file shrank below bytes already acknowledged`);
      const torn: boolean = size > 0 && byteAt(file, size - 1) !== 10;
      // (a tail injected below and left as is because the child died before reopening is not new)
      if (torn && size !== injectedSize) counts.tornTails++;
      const r = await readSeqs(file, checked.offset);
      assert.equal(r.stats.malformed, 0, `kill ${k}: malformed lines in ${file}`);
      assert.equal(r.stats.unknown, 0);
      assert.equal(r.stats.truncatedTail, torn, `kill ${k}: the reader's view of the tail`);
      checked.metaLines += r.metaLines;
      assert.equal(checked.metaLines, 1, "one session_meta line");
      // 2. every acknowledged item is there, once, in order
      for (const x of r.seqs) {
        assert.ok(x > checked.lastSeq, `kill ${k}: seq ${x} after ${checked.lastSeq}`);
        checked.lastSeq = x;
        checked.seen.add(x);
      }
      checked.offset = r.end;
      const missing = run.acked.filter((x: number) => !checked.seen.has(x));
      assert.deepEqual(missing, [], `kill ${k}: acknowledged items missing from ${file}`);

      // 3. the index on disk is not ahead of the file; caught up incrementally, it equals a rebuild
      const idx = new HomeIndex({ home, defaultProvider: "openai", watch: false });
      try {
        const row = idx.get(threadId);
        if (row) {
          assert.ok(row.scan_offset <= size, `kill ${k}: index folded ${row.scan_offset} bytes of a ${size}-byte file`);
          assert.ok(row.scan_offset === 0 || byteAt(file, row.scan_offset - 1) === 10, `kill ${k}: index offset not at a line end`);
        }
        await idx.sync();
        const rebuilt = new HomeIndex({ home, defaultProvider: "openai", memory: true, watch: false });
        try {
          await rebuilt.sync();
          assert.deepEqual(rows(idx), rows(rebuilt), `kill ${k}: incremental index differs from a rebuild`);
        } finally {
          rebuilt.close();
        }
      } finally {
        idx.close();
      }
      checkMs += Date.now() - t0;
      // SIGKILL rarely tears a write (the kernel finishes most copies), so every 10th kill also
      // leaves a torn line behind on purpose, like a partial write would: the next child must cut it
      if (k % 10 === 5 && !torn) {
        const line = `{"timestamp":"${new Date().toISOString()}","type":"event_msg","payload":{"type":"agent_message","message":"torn","seq":${checked.lastSeq + 1}}}`;
        fs.appendFileSync(file, line.slice(0, 1 + Math.floor(rnd() * (line.length - 2))));
        injectedSize = fs.statSync(file).size;
        counts.injected++;
      }
    }
    await fullCheck(`thread ${counts.threads} final`);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `crash test: ${counts.kills} kills (${counts.startupKills} aimed at start-up, ${counts.killedBeforeReady} before the thread was open) over ${counts.threads} threads, ` +
        `${counts.acked} acknowledged items (all present), ${counts.tornTails} torn tails seen after a kill and ${counts.injected} injected (all skipped by the reader and cut on reopen), ${counts.interruptedCreations} interrupted creations, ${secs} s (${(checkMs / 1000).toFixed(1)} s checking)`,
    );
    assert.equal(counts.kills, KILLS);
    assert.ok(counts.acked > KILLS, "the children got work acknowledged");
  } finally {
    (next as Child | null)?.discard();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
