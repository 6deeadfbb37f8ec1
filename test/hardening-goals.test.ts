// Regressions from probing goals.sqlite: a file that cannot be opened (finding 2) and a damaged
// one (finding 5). Goals are not derived from the rollouts, so nothing may be acknowledged that
// is not stored, and a damaged file is repaired with what can be read, the rest named.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startSpool } from "./helpers/spool.js";
import { corpusHomes, rpcError } from "./helpers/corpus-homes.js";
import type { RpcClient } from "./helpers/rpc-client.js";
import { validateResponse } from "./helpers/schema.js";

const BASICS = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
const APPROVALS = "01a1fba4-9d48-77b0-87a3-71ea472a7a13";
const INTERRUPT = "01a1fba4-9dce-7af0-b5b3-9ee172bdd2f3";
const homes = corpusHomes();

const freshHome = homes.fresh;


async function withServer<T>(home: string, fn: (c: RpcClient) => Promise<T>): Promise<T> {
  const c = startSpool(home);
  try {
    await c.initialize("hardening");
    return await fn(c);
  } finally {
    await c.close();
  }
}

test("finding 2: when goals.sqlite cannot be opened, thread/goal/set answers an error instead of a goal kept in memory", async () => {
  const home = freshHome();
  const file = path.join(home, "spool", "goals.sqlite");
  fs.mkdirSync(file, { recursive: true }); // a directory where the database should be: no process can open it
  const set = await withServer(home, (c) => rpcError(c, "thread/goal/set", { threadId: BASICS, objective: "ship it" }));
  assert.equal(set.code, -32603);
  assert.ok(set.message.startsWith(`goals are unavailable: cannot open ${file}: `), set.message);
  const get = await withServer(home, (c) => rpcError(c, "thread/goal/get", { threadId: BASICS }));
  assert.equal(get.code, -32603);
});

test("finding 5: a damaged goals.sqlite is moved aside, the readable goals are kept, and the loss is reported", async () => {
  const home = freshHome();
  const objectives = new Map([
    [BASICS, "a".repeat(3000)],
    [APPROVALS, "b".repeat(3000)],
    [INTERRUPT, "c".repeat(3000)],
  ]);
  await withServer(home, async (c) => {
    for (const [threadId, objective] of objectives) await c.request("thread/goal/set", { threadId, objective });
  });
  const file = path.join(home, "spool", "goals.sqlite");
  assert.equal(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0, 0, "closed cleanly: everything is in the main file");
  // overwrite the last page (a leaf of the goals table: the newest row) with garbage
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, size - 4096);
  fs.closeSync(fd);

  const c = startSpool(home);
  try {
    await c.initialize("hardening");
    const kept: string[] = [];
    for (const [threadId, objective] of objectives) {
      const r = (await c.request("thread/goal/get", { threadId })) as { goal: { objective: string } | null };
      assert.deepEqual(validateResponse("thread/goal/get", r), []);
      if (r.goal) {
        assert.equal(r.goal.objective, objective);
        kept.push(threadId);
      }
    }
    assert.deepEqual(kept, [BASICS, APPROVALS]);
    // the repaired file takes new goals
    const set = (await c.request("thread/goal/set", { threadId: INTERRUPT, objective: "again" })) as { goal: { objective: string } };
    assert.equal(set.goal.objective, "again");
    assert.match(c.stderr, /goals\.sqlite was corrupt .*moved to .*goals\.sqlite\.corrupt-\d+; 2 goal\(s\) recovered, 1 unreadable goals row\(s\) lost/);
  } finally {
    await c.close();
  }
  const aside = fs.readdirSync(path.join(home, "spool")).filter((f) => /^goals\.sqlite\.corrupt-\d+$/.test(f));
  assert.equal(aside.length, 1);
  const again = await withServer(home, (c2) => c2.request("thread/goal/get", { threadId: INTERRUPT }));
  assert.equal((again as { goal: { objective: string } }).goal.objective, "again");
});

test("finding 5: a corrupt metadata.sqlite is moved aside and resumes work again, the loss reported", async () => {
  const home = freshHome();
  await withServer(home, (c) => c.request("thread/metadata/update", { threadId: BASICS, gitInfo: { branch: "kept-before" } }));
  const file = path.join(home, "spool", "metadata.sqlite");
  assert.ok(fs.existsSync(file));
  for (const f of [`${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  fs.writeFileSync(file, Buffer.alloc(8192, 0x5a)); // not a database any more
  const c = startSpool(home);
  try {
    await c.initialize("hardening");
    const resumed = (await c.request("thread/resume", { threadId: BASICS })) as { thread: { id: string } };
    assert.equal(resumed.thread.id, BASICS);
    const updated = (await c.request("thread/metadata/update", { threadId: BASICS, gitInfo: { branch: "after-repair" } })) as { thread: { gitInfo: { branch: string } } };
    assert.equal(updated.thread.gitInfo.branch, "after-repair");
    assert.match(c.stderr, /metadata\.sqlite was corrupt \(.*\): moved to .*metadata\.sqlite\.corrupt-\d+; metadata of 0 thread\(s\) recovered, no thread_meta row could be read/);
  } finally {
    await c.close();
  }
  assert.equal(fs.readdirSync(path.join(home, "spool")).filter((f) => /^metadata\.sqlite\.corrupt-\d+$/.test(f)).length, 1);
});
