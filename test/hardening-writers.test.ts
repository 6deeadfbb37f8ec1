// Finding 7: a second process on the same home. Once its resume is refused, its turn/start,
// thread/goal/set and thread/metadata/update must not act on (or pretend not to know) a thread
// the first process writes: each is refused with a conflict naming the writer.
import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { startSpool } from "./helpers/spool.js";
import { corpusHomes, rpcError } from "./helpers/corpus-homes.js";

const BASICS = "01a1fba4-9b62-7df1-a194-f0e48a69b025";
const homes = corpusHomes();


test("finding 7: a second process is refused every write of a thread the first one runs, with the writer named", async () => {
  const home = homes.fresh();
  const a = startSpool(home);
  const b = startSpool(home);
  try {
    await a.initialize("writer");
    await b.initialize("second");
    await a.request("thread/resume", { threadId: BASICS });
    const writer = new RegExp(`^thread ${BASICS} is already open for writing by pid ${a.child.pid} on ${os.hostname()} since `);
    const resume = await rpcError(b, "thread/resume", { threadId: BASICS });
    assert.equal(resume.code, -32600);
    assert.match(resume.message, writer);
    for (const [method, params] of [
      ["turn/start", { threadId: BASICS, input: [{ type: "text", text: "hi" }] }],
      ["thread/goal/set", { threadId: BASICS, objective: "not mine" }],
      ["thread/goal/clear", { threadId: BASICS }],
      ["thread/metadata/update", { threadId: BASICS, gitInfo: { branch: "not-mine" } }],
    ] as const) {
      const e = await rpcError(b, method, params);
      assert.equal(e.code, -32600, method);
      assert.match(e.message, writer, method);
    }
    // nothing was written behind the writer's back
    assert.deepEqual((await a.request("thread/goal/get", { threadId: BASICS })) as unknown, { goal: null });
    const read = (await a.request("thread/read", { threadId: BASICS })) as { thread: { gitInfo: { branch?: string | null } | null } };
    assert.notEqual(read.thread.gitInfo?.branch, "not-mine");
  } finally {
    await b.close();
    await a.close();
  }
});
