// Finding 12: "the rollout line is fsynced before appendItems resolves" is checked on the real
// system calls: an appending child runs under strace, and every acknowledgement it prints must
// follow its own fdatasync of the rollout file (one per acknowledged batch). Without the sync in
// the writer this test fails.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "./helpers/paths.js";

const CHILD = path.join(repoRoot(), "dist", "test", "fixtures", "store", "sync-child.js");
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

type Event = { kind: "sync"; file: string } | { kind: "ack"; n: number };

/** Completed fdatasync/fsync calls (with their file) and ack writes, in the order they returned. */
function events(trace: string): Event[] {
  const pending = new Map<string, string>();
  const out: Event[] = [];
  for (const line of trace.split("\n")) {
    const pid = /^(?:\[pid\s+)?(\d+)\]?/.exec(line)?.[1] ?? "";
    const start = /(fdatasync|fsync)\(\d+<([^>]*)>\)(.*)$/.exec(line);
    if (start) {
      if (start[3].includes("<unfinished ...>")) pending.set(pid, start[2]);
      else if (/= 0$/.test(start[3])) out.push({ kind: "sync", file: start[2] });
      continue;
    }
    const resumed = /<\.\.\. (?:fdatasync|fsync) resumed>\s*\)\s*= 0$/.exec(line);
    if (resumed && pending.has(pid)) {
      out.push({ kind: "sync", file: pending.get(pid)! });
      pending.delete(pid);
      continue;
    }
    const ack = /write\(1<[^>]*>, "ack (\d+)\\n"/.exec(line);
    if (ack) out.push({ kind: "ack", n: Number(ack[1]) });
  }
  return out;
}

test("finding 12: every acknowledged append follows one fdatasync of its rollout (strace)", { skip: spawnSync("strace", ["-V"]).status !== 0 ? "strace is not installed (.ci/run installs it)" : false }, () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "spool-sync-"));
  dirs.push(home);
  const trace = path.join(home, "strace.txt");
  const threadId = randomUUID();
  const count = 20;
  const run = spawnSync("strace", ["-f", "-qq", "-y", "-e", "trace=fdatasync,fsync,write", "-o", trace, process.execPath, CHILD, home, threadId, String(count)], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const rollout = (e: Event) => e.kind === "sync" && e.file.endsWith(`${threadId}.jsonl`);
  const seq = events(fs.readFileSync(trace, "utf8"));
  const acks = seq.filter((e) => e.kind === "ack").map((e) => (e as { n: number }).n);
  assert.deepEqual(acks, Array.from({ length: count }, (_, i) => i + 1));
  // between one acknowledgement and the next: exactly one sync of the rollout
  let syncs = 0;
  const perAck: number[] = [];
  for (const e of seq) {
    if (rollout(e)) syncs++;
    else if (e.kind === "ack") {
      perAck.push(syncs);
      syncs = 0;
    }
  }
  assert.deepEqual(perAck, Array.from({ length: count }, () => 1));
});
