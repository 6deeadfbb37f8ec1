// Crash safety of the projections: a child process projects a rollout that the parent keeps
// growing (in random pieces, cut anywhere, mid-line too) and is SIGKILLed at random moments
// (test/fixtures/projections/project-child.ts). After every kill the projection store on disk is
// exactly what projecting the file's bytes up to its checkpoint gives from scratch: rows are
// never ahead of or behind the checkpoint. Each thread, once its file is complete, is projected
// on from the crashed state and compared with a rebuild. Threads rotate (legacy and paginated
// random streams, and the corpus basics thread repeated with fresh ids), each in its own home.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Projector } from "../src/projections/projector.js";
import { dumpThread, fixturesDir, randomRollout, rng, rolloutsUnder, tmpDir } from "./fixtures/projections/helpers.js";
import { repoRoot } from "./helpers/paths.js";
import { spawnKillChild, type KilledRun } from "./helpers/kill-loop.js";

const KILLS = Number(process.env.SPOOL_PROJECTION_KILLS ?? 100);
const KILLS_PER_THREAD = 20;
const CHILD = path.join(repoRoot(), "dist", "test", "fixtures", "projections", "project-child.js");

interface Run extends KilledRun {
  /** Syncs the child reported committed. */
  synced: number;
}

interface Child {
  go(home: string, threadId: string, file: string, batchBytes: number, killAfterReadyMs: number, whileRunning: () => void): Promise<Run>;
  discard(): void;
}

function spawnChild(): Child {
  let synced = 0;
  const child = spawnKillChild(CHILD, (line) => {
    if (line.startsWith("synced ")) synced++;
  });
  return {
    async go(home, threadId, file, batchBytes, killAfterReadyMs, whileRunning) {
      const onReady = () => {
        const grow = setInterval(whileRunning, 1);
        setTimeout(() => {
          clearInterval(grow);
          child.kill();
        }, killAfterReadyMs);
      };
      return { ...(await child.go([home, threadId, file, batchBytes], onReady)), synced };
    },
    discard: child.kill,
  };
}

/** The corpus basics thread repeated `reps` times with fresh turn and item ids and running ordinals. */
function repeatedBasics(reps: number): { threadId: string; text: string; name: string } {
  const threads = rolloutsUnder(path.join(fixturesDir(), "history", "corpus"));
  const id = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
  const src = fs.readFileSync(threads.get(id)!, "utf8").split("\n").filter(Boolean);
  const out = [src[0]];
  let ord = 1;
  for (let k = 0; k < reps; k++) {
    for (const l of src.slice(1)) {
      const o = JSON.parse(
        l
          .replace(/01a1fba4-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (m) => (m === id ? m : `${m.slice(0, 24)}${k.toString(16).padStart(12, "0")}`))
          .replace(/"(msg|call|rs|ws)_(\d+)"/g, `"$1_$2_${k}"`),
      );
      o.ordinal = ord++;
      out.push(JSON.stringify(o));
    }
  }
  return { threadId: id, text: out.join("\n") + "\n", name: path.basename(threads.get(id)!) };
}

test(`projection crash safety: ${KILLS} SIGKILLs while projecting a growing rollout`, async () => {
  assert.ok(fs.existsSync(CHILD), `${CHILD} missing: run npm run build`);
  const root = tmpDir("spool-projection-crash-");
  const r = rng(4242);
  const counts = { kills: 0, syncs: 0, checks: 0, threads: 0, killedWithRowsBehindFile: 0 };
  let next: Child | null = spawnChild();
  let home = "";
  let threadId = "";
  let file = "";
  let source = Buffer.alloc(0);
  let written = 0;

  /** What is on disk equals projecting the file's bytes up to the checkpoint from scratch. */
  const checkConsistent = async (label: string) => {
    const pj = new Projector({ home });
    try {
      const cp = pj.tables.checkpoint(threadId);
      const prefixHome = fs.mkdtempSync(path.join(root, "prefix-"));
      const prefix = path.join(prefixHome, path.basename(file));
      fs.writeFileSync(prefix, source.subarray(0, cp ? cp.byte_offset : 0));
      const fresh = new Projector({ home: prefixHome, memory: true });
      await fresh.syncThread(threadId, prefix);
      assert.equal(dumpThread(pj.db, threadId), dumpThread(fresh.db, threadId), `${label}: projections differ from their checkpoint's prefix`);
      if (cp && cp.byte_offset < written) counts.killedWithRowsBehindFile++;
      fresh.close();
      fs.rmSync(prefixHome, { recursive: true, force: true });
      counts.checks++;
    } finally {
      pj.close();
    }
  };

  const finishThread = async () => {
    fs.appendFileSync(file, source.subarray(written));
    written = source.length;
    const pj = new Projector({ home });
    await pj.syncThread(threadId, file);
    const rebuilt = new Projector({ home, memory: true });
    await rebuilt.syncThread(threadId, file);
    assert.equal(dumpThread(pj.db, threadId), dumpThread(rebuilt.db, threadId), `thread ${counts.threads}: continued after the kills vs rebuilt`);
    assert.ok((pj.db.prepare("SELECT COUNT(*) AS n FROM turns WHERE thread_id = ?").get(threadId) as { n: number }).n > 0);
    pj.close();
    rebuilt.close();
  };

  try {
    for (let k = 0; k < KILLS; k++) {
      if (k % KILLS_PER_THREAD === 0) {
        if (k) await finishThread();
        counts.threads++;
        home = path.join(root, `home-${counts.threads}`);
        fs.mkdirSync(path.join(home, "sessions"), { recursive: true });
        const kind = counts.threads % 3;
        const src = kind === 0 ? repeatedBasics(12) : randomRollout(1000 + counts.threads, kind === 1 ? "legacy" : "paginated", 2500);
        threadId = src.threadId;
        source = Buffer.from(src.text);
        file = path.join(home, "sessions", `rollout-2026-01-01T00-00-00-${threadId}.jsonl`);
        fs.writeFileSync(file, "");
        written = 0;
      }
      // grow the file while the child projects: random pieces, cut anywhere
      const grow = () => {
        if (written >= source.length) return;
        const n = Math.min(source.length - written, 1 + Math.floor(r() * 3000));
        fs.appendFileSync(file, source.subarray(written, written + n));
        written += n;
      };
      const child: Child = next!;
      const run: Run = await child.go(home, threadId, file, 256 + Math.floor(r() * 16_000), 5 + Math.floor(r() * 60), grow);
      next = k + 1 < KILLS ? spawnChild() : null;
      assert.equal(run.signal, "SIGKILL", `child ${k} ended by ${run.signal ?? `exit ${run.code}`}: ${run.stderr}`);
      counts.kills++;
      counts.syncs += run.synced;
      await checkConsistent(`kill ${k}`);
    }
    await finishThread();
  } finally {
    next?.discard();
    fs.rmSync(root, { recursive: true, force: true });
  }
  assert.equal(counts.kills, KILLS);
  // how many syncs committed and how many kills landed mid-projection depend on the machine's
  // speed: reported, not asserted (bench/ measures throughput)
  console.log(`# projection crash: ${JSON.stringify(counts)}`);
});
