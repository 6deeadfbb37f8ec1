// Analytics sinks and the client around them: the opt-in HTTP sink against a real HTTP server on
// 127.0.0.1 (batches, retries on 5xx, nothing dropped on a clean shutdown, never blocking when
// the endpoint hangs), local storage in <home>/spool/analytics.sqlite, the one switch that turns
// analytics off, the bounded fact queue, and the CLI's output.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { spawnSync } from "node:child_process";
import { AnalyticsClient } from "../src/analytics/client.js";
import { createAnalytics } from "../src/analytics/index.js";
import { analyticsSettings } from "../src/analytics/config.js";
import { HttpSink } from "../src/analytics/sinks/http.js";
import { LocalSink, analyticsDbPath, openAnalyticsDbReadonly, readEvents } from "../src/analytics/sinks/local.js";
import type { RecordedEvent } from "../src/analytics/sinks/sink.js";
import { ConfigError } from "../src/config/config.js";
import { analyticsEventsText, parseSince } from "../src/cli/analytics.js";
import { repoRoot } from "./helpers/paths.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spool-analytics-sinks-"));
const servers = new Set<http.Server>();
after(async () => {
  // Whatever a failing test left open must not keep the process (and `npm test`) alive.
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});
let homes = 0;
const newHome = (config?: string) => {
  const h = path.join(tmp, `home-${++homes}`);
  fs.mkdirSync(h, { recursive: true });
  if (config !== undefined) fs.writeFileSync(path.join(h, "config.toml"), config);
  return h;
};

interface Received {
  headers: http.IncomingHttpHeaders;
  body: { events: Array<{ event_type: string; event_params: Record<string, unknown> }> };
}

/** An HTTP server on 127.0.0.1: `respond` returns a status, or null to never answer. */
async function endpoint(respond: (n: number) => number | null = () => 200) {
  const received: Received[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = respond(requests++);
      if (status === null) return; // hang
      if (status >= 200 && status < 300) received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.add(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codex/analytics-events/events`;
  return {
    url,
    received,
    get requests() {
      return requests;
    },
    events: () => received.flatMap((r) => r.body.events),
    close: () =>
      new Promise<void>((r) => {
        servers.delete(server);
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const rec = (i: number): RecordedEvent => ({ recordedAtMs: i, event: { event_type: "codex_thread_archive_event", event_params: { thread_id: `t${i}`, action: "archived", occurred_at_ms: i } } });
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("http sink: batches of batch_size, a partial batch after the flush interval, Codex's body shape and the configured headers", async () => {
  const ep = await endpoint();
  const sink = new HttpSink({ endpoint: ep.url, batchSize: 10, flushIntervalMs: 40, headers: { authorization: "Bearer t" } });
  sink.write(range(3).map(rec));
  await until(() => ep.received.length === 1);
  assert.deepEqual(ep.events().map((e) => e.event_params.thread_id), ["t0", "t1", "t2"], "a partial batch goes after the interval");
  for (const i of range(25, 3)) sink.write([rec(i)]);
  await sink.close(2000);
  assert.deepEqual(ep.received.map((r) => r.body.events.length), [3, 10, 10, 5]);
  assert.deepEqual(ep.events().map((e) => e.event_params.thread_id), range(28).map((i) => `t${i}`));
  assert.equal(ep.received[0].headers["content-type"], "application/json");
  assert.equal(ep.received[0].headers.authorization, "Bearer t");
  assert.deepEqual(Object.keys(ep.received[0].body), ["events"]);
  assert.deepEqual(sink.stats(), { queued: 0, sent: 28, requests: 4, retries: 0, dropped: 0, failed: 0, rejected: 0 });
  await ep.close();
});

test("http sink: Codex's accepted-lines event goes in a request of its own, order kept", async () => {
  const ep = await endpoint();
  const sink = new HttpSink({ endpoint: ep.url, batchSize: 10, flushIntervalMs: 10_000 });
  const accepted: RecordedEvent = { recordedAtMs: 9, event: { event_type: "codex_accepted_line_fingerprints", event_params: { turn_id: "u", thread_id: "t" } } };
  sink.write([rec(0), rec(1), accepted, rec(2)]);
  await sink.close(2000);
  assert.deepEqual(
    ep.received.map((r) => r.body.events.map((e: { event_type: string }) => e.event_type)),
    [["codex_thread_archive_event", "codex_thread_archive_event"], ["codex_accepted_line_fingerprints"], ["codex_thread_archive_event"]],
  );
  await ep.close();
});

test("[analytics] base_url posts to Codex's path under it; base_url and http_endpoint exclude each other", () => {
  assert.equal(analyticsSettings({ analytics: { base_url: "http://127.0.0.1:9/backend-api/" } }, {}).http?.endpoint, "http://127.0.0.1:9/backend-api/codex/analytics-events/events");
  assert.equal(analyticsSettings({ analytics: { http_endpoint: "https://example.com/in" } }, {}).http?.endpoint, "https://example.com/in");
  assert.throws(() => analyticsSettings({ analytics: { base_url: "https://a/b", http_endpoint: "https://a/c" } }, {}), /set base_url or http_endpoint, not both/);
  assert.throws(() => analyticsSettings({ analytics: { base_url: "chatgpt.com" } }, {}), /base_url: must be an http:\/\/ or https:\/\/ URL/);
  assert.equal(analyticsSettings({ analytics: {} }, {}).http, null, "nothing leaves the machine by default");
});

test("http sink: retries 5xx (and 429) with backoff, gives up after max attempts, never retries other 4xx", async () => {
  const flaky = await endpoint((n) => (n === 0 ? 503 : n === 1 ? 429 : n === 2 ? 500 : 200));
  const s1 = new HttpSink({ endpoint: flaky.url, batchSize: 5, backoffMs: 5, random: () => 1 });
  s1.write(range(5).map(rec));
  await s1.close(3000);
  assert.deepEqual(flaky.events().map((e) => e.event_params.thread_id), range(5).map((i) => `t${i}`), "delivered once, after the retries");
  assert.deepEqual([s1.stats().sent, s1.stats().retries, s1.stats().requests, s1.stats().failed], [5, 3, 4, 0]);
  await flaky.close();

  const down = await endpoint(() => 502);
  const t0 = Date.now();
  const s2 = new HttpSink({ endpoint: down.url, batchSize: 5, backoffMs: 10, maxAttempts: 3, random: () => 1 });
  s2.write(range(5).map(rec));
  await s2.flush(3000);
  assert.deepEqual([s2.stats().sent, s2.stats().failed, s2.stats().retries, down.requests], [0, 5, 2, 3]);
  assert.ok(Date.now() - t0 >= 10 + 20, "exponential backoff between attempts");
  await s2.close(100);
  await down.close();

  const refused = await endpoint(() => 400);
  const s3 = new HttpSink({ endpoint: refused.url, batchSize: 5, backoffMs: 5 });
  s3.write(range(5).map(rec));
  await s3.close(1000);
  assert.deepEqual([s3.stats().rejected, s3.stats().retries, refused.requests], [5, 0, 1]);
  await refused.close();
});

test("a clean shutdown drops nothing: every tracked event reaches both the endpoint and the local table", async () => {
  const ep = await endpoint();
  const home = newHome(`[analytics]\nhttp_endpoint = "${ep.url}"\nhttp_batch_size = 64\nhttp_flush_interval_ms = 60000\n`);
  const { client, settings } = createAnalytics({ home });
  assert.deepEqual([settings.enabled, settings.local, settings.http?.endpoint], [true, true, ep.url]);
  for (const i of range(1000)) assert.equal(client.trackNotification("thread/archived", { threadId: `t${i}` }), true);
  await client.close();
  const st = client.stats();
  assert.deepEqual([st.tracked, st.events, st.droppedFacts, st.sinks.http.sent, st.sinks.http.dropped, st.sinks.http.failed, st.sinks.local.written], [1000, 1000, 0, 1000, 0, 0, 1000]);
  assert.deepEqual(ep.events().map((e) => e.event_params.thread_id), range(1000).map((i) => `t${i}`));
  const db = openAnalyticsDbReadonly(home)!;
  assert.equal(readEvents(db).length, 1000);
  db.close();
  assert.equal(client.trackNotification("thread/archived", { threadId: "late" }), false, "closed: no more facts");
  await ep.close();
});

test("a hanging endpoint never blocks: track returns at once, local storage keeps up, the HTTP queue stays bounded, close keeps its deadline", async () => {
  const ep = await endpoint(() => null);
  const home = newHome();
  const client = new AnalyticsClient({
    capacity: 10_000,
    sinks: [LocalSink.open(home), new HttpSink({ endpoint: ep.url, batchSize: 10, flushIntervalMs: 10, timeoutMs: 150, maxQueue: 100, maxAttempts: 2, backoffMs: 10 })],
  });
  // Something the event loop must keep doing while analytics runs (a turn's own timers).
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  try {
    // track is synchronous: it returns true without waiting for any sink
    for (const i of range(5000)) assert.equal(client.trackNotification("thread/archived", { threadId: `t${i}` }), true);
    await until(() => client.stats().sinks.local.written === 5000);
    const busy = ticks;
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(ticks > busy, "timers keep firing while the endpoint hangs");
    const http = client.stats().sinks.http;
    assert.ok(http.queued <= 100, `queue bounded: ${http.queued}`);
    // how many batches timed out meanwhile depends on the machine: only that the overflow was dropped and counted
    assert.ok(http.dropped > 0 && http.dropped + http.queued + http.failed <= 5000, `oldest dropped and counted: ${JSON.stringify(http)}`);
    assert.equal(http.sent, 0);
    // the endpoint never answers: close resolving at all shows it kept its deadline
    await client.close(300);
    const end = client.stats().sinks.http;
    assert.equal(end.queued, 0);
    assert.equal(end.sent + end.dropped + end.failed, 5000, "every event is accounted for");
  } finally {
    clearInterval(ticker);
    await client.close(100);
    await ep.close();
  }
});

test("local storage is on by default; [analytics] enabled = false and SPOOL_ANALYTICS=0 are the one switch", async () => {
  const home = newHome();
  const { client, settings } = createAnalytics({ home, env: {} });
  assert.deepEqual([settings.enabled, settings.local, settings.http], [true, true, null], "nothing leaves the machine by default");
  assert.deepEqual(Object.keys(client.stats().sinks), ["local"]);
  client.trackNotification("thread/unarchived", { threadId: "a" });
  await client.close();
  assert.ok(fs.existsSync(analyticsDbPath(home)));

  const off = newHome(`[analytics]\nenabled = false\nhttp_endpoint = "http://127.0.0.1:9/x"\n`);
  const a = createAnalytics({ home: off, env: {} });
  assert.deepEqual([a.settings.enabled, a.settings.disabledBy, a.client.enabled], [false, "config", false]);
  assert.equal(a.client.trackNotification("thread/archived", { threadId: "a" }), false);
  assert.equal(a.client.trackInitialize(1, { clientInfo: { name: "x", version: "1" } }, { transport: "stdio" }), false);
  await a.client.flush();
  await a.client.close();
  assert.equal(fs.existsSync(path.join(off, "spool")), false, "disabled: nothing created on disk");

  const envOff = newHome(`[analytics]\nhttp_endpoint = "http://127.0.0.1:9/x"\n`);
  for (const v of ["0", "false", "off", "NO"]) {
    const b = createAnalytics({ home: envOff, env: { SPOOL_ANALYTICS: v } });
    assert.deepEqual([b.settings.enabled, b.settings.disabledBy], [false, "env"]);
  }
  assert.equal(createAnalytics({ home: envOff, env: { SPOOL_ANALYTICS: "1" } }).settings.enabled, true);
  assert.equal(fs.existsSync(path.join(envOff, "spool")), true);

  assert.throws(() => analyticsSettings({ analytics: { enable: false } }), ConfigError, "a misspelt switch is an error, not ignored");
  assert.throws(() => analyticsSettings({ analytics: { http_endpoint: "ftp://x" } }), /http:\/\/ or https:\/\//);
  assert.deepEqual(analyticsSettings({ analytics: { local: false } }, {}).local, false);
});

test("the fact queue is bounded and the track methods only queue what analytics uses", async () => {
  const client = new AnalyticsClient({ capacity: 10 });
  let accepted = 0;
  for (const i of range(50)) if (client.trackNotification("thread/archived", { threadId: `t${i}` })) accepted++;
  assert.deepEqual([accepted, client.stats().droppedFacts, client.stats().queued], [10, 40, 10]);
  await client.flush();
  assert.deepEqual([client.stats().queued, client.stats().events], [0, 10]);
  assert.equal(client.trackNotification("item/agentMessage/delta", { threadId: "t", turnId: "u", itemId: "i", delta: "x" }), false);
  assert.equal(client.trackNotification("item/completed", { threadId: "t", turnId: "u", item: { type: "agentMessage", id: "m", text: "x" } }), false);
  assert.equal(client.trackNotification("item/completed", { threadId: "t", turnId: "u", item: { type: "commandExecution", id: "c", status: "completed" } }), true);
  assert.equal(client.trackClientRequest(1, 1, "thread/list", {}), false);
  assert.equal(client.trackClientRequest(1, 2, "turn/start", { threadId: "t", input: [] }), true);
  assert.equal(client.trackClientResponse(1, 3, "thread/read", { thread: { id: "t" } }), false);
  assert.equal(client.trackServerResponse(1, 99, { decision: "accept" }), false, "an answer to an untracked request");
  assert.equal(client.trackServerRequest(1, 0, "item/commandExecution/requestApproval", { threadId: "t", turnId: "u", itemId: "c" }), true);
  assert.equal(client.trackServerResponse(1, 0, { decision: "accept" }), true);
  assert.equal(client.trackServerResponse(1, 0, { decision: "accept" }), false, "the first answer wins");
  await client.close();
});

test("spool analytics events: a table, JSON lines, --since, and a clear message without a database", async () => {
  const home = newHome();
  const now = Date.now();
  const sink = LocalSink.open(home);
  sink.write([
    { recordedAtMs: now - 3 * 3_600_000, event: { event_type: "codex_thread_archive_event", event_params: { thread_id: "old", action: "archived", occurred_at_ms: now - 3 * 3_600_000 } } },
    {
      recordedAtMs: now - 60_000,
      event: {
        event_type: "codex_goal_event",
        event_params: { thread_id: "new", turn_id: null, goal_id: "g1", event_kind: "usage_accounted", goal_status: "active", has_token_budget: false, cumulative_tokens_accounted: 20, cumulative_time_accounted_seconds: 3 },
      },
    },
  ]);
  await sink.close();
  const lines = analyticsEventsText({ home, json: true }).trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.event_type, l.event_params.thread_id]), [
    ["codex_thread_archive_event", "old"],
    ["codex_goal_event", "new"],
  ]);
  assert.equal(lines[1].occurred_at, new Date(now - 60_000).toISOString());
  assert.deepEqual(analyticsEventsText({ home, json: true, sinceMs: parseSince("1h", now) }).trimEnd().split("\n").map((l) => JSON.parse(l).event_params.thread_id), ["new"]);
  const text = analyticsEventsText({ home });
  const rows = text.trimEnd().split("\n");
  assert.match(rows[0], /^time \(UTC\)\s+event\s+thread\s+detail$/);
  assert.match(rows[2], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+thread_archive\s+old\s+archived$/);
  assert.match(rows[3], /goal\s+new\s+usage_accounted active goal=g1 tokens=20 seconds=3$/);
  assert.equal(analyticsEventsText({ home, sinceMs: now + 1000 }), "no events\n");
  assert.equal(analyticsEventsText({ home: newHome(), json: true }), "");
  assert.match(analyticsEventsText({ home: newHome() }), /^no analytics recorded yet/);
  assert.equal(parseSince("30m", 1_000_000_000), 1_000_000_000 - 1_800_000);
  assert.equal(parseSince("2026-11-21T00:00:00Z"), Date.parse("2026-11-21T00:00:00Z"));
  assert.throws(() => parseSince("yesterday"));
  // Through the real command line.
  const r = spawnSync(process.execPath, [path.join(repoRoot(), "dist", "src", "cli", "main.js"), "analytics", "events", "--home", home, "--since", "2h", "--json"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).event_params.thread_id), ["new"]);
  const bad = spawnSync(process.execPath, [path.join(repoRoot(), "dist", "src", "cli", "main.js"), "analytics", "events", "--home", home, "--since", "soon"], { encoding: "utf8" });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /ISO date\/time/);
});
