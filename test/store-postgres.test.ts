// PostgresThreadStore: the shared conformance suite against a real PostgreSQL, plus what only
// this store has: the schema and its migrations, appends from several pools (seq dense and
// ordered), one writer per thread across stores and processes (advisory locks, fencing after a
// lost lock connection), namespaces sharing one database, items kept byte for byte.
//
// PostgreSQL must be running (SPOOL_PG_URL, default postgres://127.0.0.1:5432/test, trust auth):
// when it is not, these tests FAIL saying so (CI starts it). Every store uses a fresh random
// namespace, removed afterwards.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { spawn } from "node:child_process";
import pg from "pg";
import { PostgresThreadStore, type PostgresThreadStoreOptions } from "../src/store/postgres/postgres-store.js";
import { clientConfig, redactUrl, resolvePgUrl } from "../src/store/postgres/connection.js";
import { lockHolders, threadKey } from "../src/store/postgres/locks.js";
import { SCHEMA_VERSION } from "../src/store/postgres/schema.js";
import { ThreadStoreError, type RolloutItem } from "../src/store/types.js";
import { agentMessage, createParams, newThreadId, runStoreConformance, userMessage } from "./helpers/store-conformance.js";
import { repoRoot } from "./helpers/paths.js";

const PG_URL = resolvePgUrl();
const REQUIRED = "PostgreSQL is required for the PostgresThreadStore tests (CI starts it; locally start it or set SPOOL_PG_URL)";
const UNREACHABLE = (e: unknown) =>
  new Error(
    e instanceof ThreadStoreError ? `${REQUIRED}: ${e.message}` : `${REQUIRED}: not reachable at ${redactUrl(PG_URL)}: ${(e as Error)?.message || String(e)}`,
  );

// ---- one admin connection (inspection, cleanup), namespaces removed at the end ----

let adminClient: Promise<pg.Client> | null = null;
function admin(): Promise<pg.Client> {
  adminClient ??= (async () => {
    const c = new pg.Client(clientConfig(PG_URL, "spool-test admin", 5000));
    c.on("error", () => {});
    try {
      await c.connect();
    } catch (e) {
      adminClient = null;
      throw UNREACHABLE(e);
    }
    return c;
  })();
  return adminClient;
}

const namespaces = new Set<string>();
function freshNamespace(): string {
  const ns = `spool-test-${randomUUID()}`;
  namespaces.add(ns);
  return ns;
}

async function dropNamespace(ns: string): Promise<void> {
  // items go with their threads (ON DELETE CASCADE)
  await (await admin()).query("DELETE FROM spool_threads WHERE namespace = $1", [ns]);
  namespaces.delete(ns);
}

const stores: PostgresThreadStore[] = [];
async function openStore(opts: PostgresThreadStoreOptions = {}): Promise<PostgresThreadStore> {
  try {
    const s = await PostgresThreadStore.open({ connectionString: PG_URL, namespace: freshNamespace(), ...opts });
    stores.push(s);
    return s;
  } catch (e) {
    if (e instanceof ThreadStoreError && /not reachable/.test(e.message)) throw UNREACHABLE(e);
    throw e;
  }
}

after(async () => {
  for (const s of stores) await s.close();
  if (!adminClient) return;
  const c = await adminClient.catch(() => null);
  if (!c) return;
  for (const ns of [...namespaces]) await dropNamespace(ns).catch(() => {});
  await c.end();
});

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    assert.ok(e instanceof ThreadStoreError, `expected a ThreadStoreError, got ${(e as Error)?.stack ?? e}`);
    return e.kind;
  }
}

async function conflictOf(p: Promise<unknown>): Promise<ThreadStoreError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  assert.ok(e instanceof ThreadStoreError && e.kind === "conflict", `expected a conflict, got ${e instanceof Error ? e.stack : e}`);
  return e;
}

const messages = (h: RolloutItem[]) => h.slice(1).map((i) => i.payload.message ?? i.payload.thread_name ?? i.payload.type);

/** Polls until `cond` holds; no deadline of its own (a busy machine is slow, not wrong): the test timeout ends a wait that never ends. */
async function waitFor(_what: string, cond: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 20));
}

// ---- reachability first: a missing server fails here with a clear message ----

test("PostgreSQL is reachable (required: these tests fail, not skip, without it)", async () => {
  const c = await admin();
  const { rows } = await c.query<{ v: string }>("SELECT current_setting('server_version') AS v");
  assert.ok(rows[0].v);
});

// ---- the shared conformance suite ----

runStoreConformance("postgres", async () => {
  const store = await openStore();
  const ns = store.namespace;
  return { store, cleanup: () => dropNamespace(ns) };
});

// ---- PostgreSQL specifics ----

test("schema: created on open, versioned, migrations idempotent under concurrent opens", async () => {
  const opened = await Promise.all(Array.from({ length: 4 }, () => openStore()));
  assert.equal(new Set(opened.map((s) => s.namespace)).size, 4);
  const c = await admin();
  const versions = await c.query<{ version: number }>("SELECT version FROM spool_schema_version ORDER BY version");
  assert.deepEqual(
    versions.rows.map((r) => r.version),
    Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    "each migration recorded once",
  );
  const cols = await c.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_name IN ('spool_threads', 'spool_rollout_items') AND column_name IN ('namespace', 'item', 'source', 'seq', 'recency_at_ms')`,
  );
  const types = Object.fromEntries(cols.rows.map((r) => [`${r.table_name}.${r.column_name}`, r.data_type]));
  assert.deepEqual(types, {
    "spool_threads.namespace": "text",
    "spool_threads.source": "jsonb",
    "spool_threads.recency_at_ms": "bigint",
    "spool_rollout_items.namespace": "text",
    "spool_rollout_items.seq": "bigint",
    "spool_rollout_items.item": "json",
  });
  const idx = await c.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'spool_threads'");
  for (const k of ["created", "updated", "recency"]) {
    const def = idx.rows.find((r) => r.indexname === `spool_threads_list_${k}`)?.indexdef ?? "";
    assert.match(def, new RegExp(`\\(namespace, archived, ${k === "recency" ? "recency" : k}_at_ms, id\\) WHERE materialized`), def);
  }
  // a keyset page is an index scan (with sequential scans off: the tables are tiny here)
  await c.query("BEGIN");
  try {
    // the planner's choice on tiny, concurrently changing tables varies: rule out the other plans
    await c.query("SET LOCAL enable_seqscan = off");
    await c.query("SET LOCAL enable_sort = off");
    const plan = await c.query<{ "QUERY PLAN": string }>(
      `EXPLAIN SELECT id FROM spool_threads WHERE materialized AND namespace = 'x' AND archived = false
        AND (updated_at_ms, id) < (5, 'y') ORDER BY updated_at_ms DESC, id DESC LIMIT 11`,
    );
    assert.match(plan.rows.map((r) => r["QUERY PLAN"]).join("\n"), /Index (Only )?Scan Backward using spool_threads_list_updated/);
  } finally {
    await c.query("ROLLBACK");
  }
  // reopening over an up-to-date schema changes nothing
  await openStore();
  assert.equal((await c.query("SELECT 1 FROM spool_schema_version")).rowCount, SCHEMA_VERSION);
});

test("concurrent appends from two pools keep seq dense and every call's items contiguous and in order", async () => {
  const a = await openStore();
  const b = await openStore({ namespace: a.namespace });
  const p = createParams();
  await a.createThread(p);
  await a.appendItems(p.threadId, [userMessage("start")]);
  await a.shutdownThread(p.threadId); // nobody holds the writer: both stores append cold
  const batch = (who: string, i: number) => [0, 1, 2].map((j) => agentMessage(`${who}-${i}-${j}`));
  const N = 40;
  await Promise.all([
    ...Array.from({ length: N }, (_, i) => a.appendItems(p.threadId, batch("a", i))),
    ...Array.from({ length: N }, (_, i) => b.appendItems(p.threadId, batch("b", i))),
  ]);
  const c = await admin();
  const seqs = await c.query<{ seq: string }>("SELECT seq FROM spool_rollout_items WHERE namespace = $1 AND thread_id = $2 ORDER BY seq", [a.namespace, p.threadId]);
  const total = 2 + 2 * N * 3;
  assert.deepEqual(
    seqs.rows.map((r) => Number(r.seq)),
    Array.from({ length: total }, (_, i) => i),
    "seq dense from 0 (session_meta)",
  );
  const last = await c.query<{ last_seq: string }>("SELECT last_seq FROM spool_threads WHERE namespace = $1 AND id = $2", [a.namespace, p.threadId]);
  assert.equal(Number(last.rows[0].last_seq), total - 1);
  const h = await a.loadHistory(p.threadId);
  assert.deepEqual(await b.loadHistory(p.threadId), h, "both stores read the same history");
  const msgs = messages(h).slice(1) as string[];
  assert.equal(msgs.length, 2 * N * 3);
  for (let k = 0; k < msgs.length; k += 3) {
    const [who, i] = msgs[k].split("-");
    assert.deepEqual(msgs.slice(k, k + 3), [0, 1, 2].map((j) => `${who}-${i}-${j}`), "a call's items are contiguous");
  }
  for (const who of ["a", "b"]) {
    const order = msgs.filter((m) => m.startsWith(`${who}-`) && m.endsWith("-0")).map((m) => Number(m.split("-")[1]));
    assert.deepEqual(order, Array.from({ length: N }, (_, i) => i), `store ${who}'s calls applied in call order`);
  }
  // metadata was never touched by the appends
  assert.equal((await a.readThread(p.threadId)).preview, "");
});

test("concurrent patches from two pools: recency stays monotonic, git merges, nothing lost", async () => {
  const a = await openStore();
  const b = await openStore({ namespace: a.namespace });
  const p = createParams();
  await a.createThread(p);
  const values = Array.from({ length: 30 }, (_, i) => p.createdAt!.getTime() + ((i * 7919) % 30) * 1000);
  await Promise.all(values.map((v, i) => (i % 2 ? a : b).updateThreadMetadata(p.threadId, { advanceRecencyAtMs: v, ...(i === 3 ? { gitInfo: { sha: "abc" } } : i === 4 ? { gitInfo: { branch: "main" } } : {}) })));
  const t = await b.readThread(p.threadId);
  assert.equal(t.recencyAtMs, Math.max(...values));
  assert.deepEqual(t.gitInfo, { sha: "abc", branch: "main", originUrl: null });
});

test("one writer per thread across stores: conflicts name the holder; cold writes take the lock for one write", async () => {
  const app = `spool-test-${randomUUID().slice(0, 8)}`;
  const a = await openStore({ applicationName: app });
  const b = await openStore({ namespace: a.namespace });
  const p = createParams();
  await a.createThread(p);
  await conflictOf(b.createThread(p));
  await a.appendItems(p.threadId, [userMessage("mine")]);
  const err = await conflictOf(b.appendItems(p.threadId, [userMessage("theirs")]));
  assert.match(err.message, new RegExp(`^thread ${p.threadId} is already open for writing by "${app} writer \\(pid ${process.pid} on [^"]*" \\(PostgreSQL backend pid \\d+`));
  assert.equal(await kindOf(b.resumeThread(p.threadId)), "conflict");
  assert.equal(await kindOf(b.archiveThread(p.threadId)), "conflict");
  assert.equal(await kindOf(b.deleteThread(p.threadId)), "conflict");
  assert.equal(await kindOf(b.updateThreadMetadata(p.threadId, { name: "x" })), "conflict", "a name is history: it needs the writer");
  assert.equal(await kindOf(b.updateThreadMetadata(p.threadId, { preview: "metadata only" })), "ok", "metadata-only patches need no writer");
  await b.discardThread(p.threadId); // not b's writer: nothing happens
  assert.equal((await a.readThread(p.threadId)).preview, "metadata only");

  await a.shutdownThread(p.threadId);
  await b.appendItems(p.threadId, [userMessage("b, cold")]);
  await b.updateThreadMetadata(p.threadId, { name: "cold name" });
  assert.deepEqual(await lockHolders(await admin(), threadKey(a.namespace, p.threadId)), [], "no lock left behind by cold writes");
  await b.resumeThread(p.threadId);
  await b.resumeThread(p.threadId); // idempotent for the holder
  await b.appendItems(p.threadId, [userMessage("b, resumed")]);
  assert.equal(await kindOf(a.appendItems(p.threadId, [userMessage("a again")])), "conflict");
  assert.equal(await kindOf(a.resumeThread(p.threadId)), "conflict");
  await b.close();
  await a.appendItems(p.threadId, [userMessage("a again")]);
  assert.deepEqual(messages(await a.loadHistory(p.threadId)), ["mine", "b, cold", "cold name", "b, resumed", "a again"]);

  // a created thread is reserved: another store can neither create, write nor discard it
  const q = createParams();
  const c = await openStore({ namespace: a.namespace });
  await a.createThread(q);
  assert.equal(await kindOf(c.createThread(q)), "conflict");
  assert.equal(await kindOf(c.appendItems(q.threadId, [userMessage("x")])), "conflict");
  await c.discardThread(q.threadId);
  assert.equal((await a.loadHistory(q.threadId)).length, 1);
  await a.discardThread(q.threadId);
  assert.equal(await kindOf(c.readThread(q.threadId)), "not_found", "discarded by its creator before any write");
});

test("one writer per thread across processes: a killed holder's lock goes with its connection", async () => {
  const a = await openStore();
  const p = createParams();
  await a.createThread(p);
  await a.appendItems(p.threadId, [userMessage("hello")]);
  await a.shutdownThread(p.threadId);
  const mod = path.join(repoRoot(), "dist/src/store/postgres/postgres-store.js");
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { PostgresThreadStore } from ${JSON.stringify(mod)};
       const s = await PostgresThreadStore.open({ connectionString: ${JSON.stringify(PG_URL)}, namespace: ${JSON.stringify(a.namespace)} });
       await s.resumeThread(${JSON.stringify(p.threadId)});
       await s.appendItems(${JSON.stringify(p.threadId)}, [{ type: "event_msg", payload: { type: "agent_message", message: "from the child", phase: null } }]);
       process.stdout.write("held\\n"); setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  try {
    await new Promise<void>((res, rej) => {
      child.stdout.on("data", (d) => String(d).includes("held") && res());
      child.on("exit", (code) => rej(new Error(`holder exited ${code}: ${stderr}`)));
    });
    const e = await conflictOf(a.resumeThread(p.threadId));
    assert.match(e.message, new RegExp(`open for writing by "spool writer \\(pid ${child.pid} on `), "the message names the holding process");
    assert.equal(await kindOf(a.appendItems(p.threadId, [userMessage("sneaky")])), "conflict");
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on("close", r)));
  }
  // the server ends the dead process's session, and its locks with it
  let resumed = false;
  await waitFor("the killed holder's lock to go", async () => (resumed = (await kindOf(a.resumeThread(p.threadId))) === "ok"));
  assert.ok(resumed);
  await a.appendItems(p.threadId, [userMessage("mine now")]);
  assert.deepEqual(messages(await a.loadHistory(p.threadId)), ["hello", "from the child", "mine now"]);
});

test("a writer whose lock connection drops retakes its lock, or gets a conflict once another writer took over", async () => {
  const a = await openStore();
  const b = await openStore({ namespace: a.namespace });
  const c = await admin();
  const p = createParams();
  await a.createThread(p);
  await a.appendItems(p.threadId, [userMessage("one")]);
  const dropLockConnection = async () => {
    const pid = a.writerLockBackendPid;
    assert.ok(pid, "a holds its writer locks on a connection");
    await c.query("SELECT pg_terminate_backend($1)", [pid]);
    await waitFor("the store to notice", () => a.writerLockBackendPid === null);
    await waitFor("the server to end the session", async () => (await c.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).rowCount === 0);
  };

  // nobody came in between: the next write retakes the lock, and it is held again
  await dropLockConnection();
  await a.appendItems(p.threadId, [userMessage("two")]);
  assert.equal(await kindOf(b.resumeThread(p.threadId)), "conflict", "the lock was retaken");

  // another store resumed meanwhile: conflict, nothing written by the old writer
  await dropLockConnection();
  await b.resumeThread(p.threadId);
  const e = await conflictOf(a.appendItems(p.threadId, [userMessage("stale writer")]));
  assert.match(e.message, /lost/);
  await b.appendItems(p.threadId, [userMessage("three")]);
  await b.shutdownThread(p.threadId);

  // a cold write came in meanwhile (the lock was free): the token it cleared fences the old writer
  await a.resumeThread(p.threadId);
  await dropLockConnection();
  await b.appendItems(p.threadId, [userMessage("four, cold")]);
  const e2 = await conflictOf(a.appendItems(p.threadId, [userMessage("stale again")]));
  assert.match(e2.message, /lost/);
  assert.deepEqual(await lockHolders(c, threadKey(a.namespace, p.threadId)), [], "the fenced writer gave its retaken lock back");
  assert.deepEqual(messages(await b.loadHistory(p.threadId)), ["one", "two", "three", "four, cold"]);
});

test("namespaces isolate homes sharing one database (same thread ids included)", async () => {
  const one = await openStore();
  const two = await openStore();
  const id = newThreadId();
  await one.createThread(createParams({ threadId: id, cwd: "/one" }));
  await two.createThread(createParams({ threadId: id, cwd: "/two" })); // no conflict: another namespace, another lock
  await one.appendItems(id, [userMessage("in one")]);
  await two.appendItems(id, [userMessage("in two"), agentMessage("reply")]);
  await one.updateThreadMetadata(id, { preview: "one" });
  await two.updateThreadMetadata(id, { preview: "two", name: "second" });
  const onlyTwo = await two.createThread(createParams()).then(() => null);
  assert.equal(onlyTwo, null);
  assert.deepEqual(messages(await one.loadHistory(id)), ["in one"]);
  assert.deepEqual(messages(await two.loadHistory(id)), ["in two", "reply", "second"]);
  assert.equal((await one.readThread(id)).cwd, "/one");
  assert.equal((await one.readThread(id)).name, null);
  assert.deepEqual((await one.listThreads({ pageSize: 50 })).items.map((t) => [t.threadId, t.preview]), [[id, "one"]]);
  assert.deepEqual((await two.listThreads({ pageSize: 50 })).items.map((t) => t.preview), ["two"]);
  await one.archiveThread(id);
  assert.equal((await two.readThread(id)).archivedAtMs, null);
  await one.deleteThread(id);
  assert.equal(await kindOf(one.readThread(id, { includeArchived: true })), "not_found");
  assert.equal((await two.loadHistory(id)).length, 4, "the other namespace's thread is untouched");
  // the default namespace is "default"
  const d = new PostgresThreadStore({ connectionString: PG_URL });
  assert.equal(d.namespace, "default");
  await d.close();
});

test("items are kept byte for byte: key order, NUL and control characters, non-ASCII; NUL in metadata is invalid", async () => {
  const s = await openStore();
  const p = createParams();
  await s.createThread(p);
  const item = { type: "response_item", payload: { z: 1, a: "bin\u0000ary\u0001\u001f", nested: { b: [2, "é😀“”"], a: null }, big: 1.5e300, "": "empty key" } } as unknown as RolloutItem;
  await s.appendItems(p.threadId, [item]);
  const h = await s.loadHistory(p.threadId);
  assert.equal(JSON.stringify(h[1]), JSON.stringify(item), "same keys in the same order, same strings");
  const stored = await (await admin()).query<{ t: string }>("SELECT item::text AS t FROM spool_rollout_items WHERE namespace = $1 AND thread_id = $2 AND seq = 1", [s.namespace, p.threadId]);
  assert.equal(stored.rows[0].t, JSON.stringify(item), "the row holds the JSON text as given");
  const e = await s.updateThreadMetadata(p.threadId, { preview: "a\u0000b" }).catch((x: unknown) => x);
  assert.ok(e instanceof ThreadStoreError && e.kind === "invalid_request", String(e));
  assert.match(e.message, /PostgreSQL cannot store/);
  assert.equal((await s.readThread(p.threadId)).preview, "", "nothing of the rejected patch was written");
});

test("an unreachable server is a clear internal error (at open, and on the first call of a store made without open)", async () => {
  const url = "postgres://spool:secret@127.0.0.1:1/test";
  const e = await PostgresThreadStore.open({ connectionString: url, connectTimeoutMs: 2000 }).catch((x: unknown) => x);
  assert.ok(e instanceof ThreadStoreError && e.kind === "internal", String(e));
  assert.match(e.message, /PostgreSQL is not reachable at postgres:\/\/spool:\*\*\*@127\.0\.0\.1:1\/test: .*ECONNREFUSED/);
  assert.doesNotMatch(e.message, /secret/);
  const lazy = new PostgresThreadStore({ connectionString: url, connectTimeoutMs: 2000 });
  const e2 = await lazy.listThreads({ pageSize: 1 }).catch((x: unknown) => x);
  assert.ok(e2 instanceof ThreadStoreError && e2.kind === "internal" && /not reachable/.test(e2.message), String(e2));
  await lazy.close();
  assert.equal(await kindOf(lazy.readThread(newThreadId())), "internal", "closed");
});
