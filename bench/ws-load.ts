// Load test of the live WebSocket server, on loopback: `node dist/bench/ws-load.js`.
//
// A `spool app-server --listen ws://127.0.0.1:0` over a fresh home whose model provider is the
// project's scripted Responses server (in this process). WS_LOAD_CONNECTIONS (200) connections;
// WS_LOAD_THREADS (50) of them start a thread each, the others resume one (round robin), so every
// thread has CONNECTIONS/THREADS subscribers. Then every thread runs WS_LOAD_TURNS (3) turns, all
// threads at once: a long streamed reply (about WS_LOAD_TEXT_CHARS/12 deltas), a command whose
// output streams, and another reply.
//
// Checked: every subscriber of a thread received exactly the same notifications about it, in the
// same order (nothing lost, nothing reordered, nothing duplicated); each turn started and
// completed once, every agent message's deltas add up to its completed text, every command's
// output deltas to its output; `emittedAtMs` never goes backwards; no connection was dropped.
// Reported: wall time, notifications delivered, throughput, delivery latency (client receive
// time minus the server's `emittedAtMs`) p50/p99/max. Exits 1 when a check fails or the run
// exceeds WS_LOAD_TIMEOUT_MS (180 s).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startMockResponses } from "../test/helpers/mock-responses.js";
import { startSpoolWs, WsRpcClient } from "../test/helpers/ws-client.js";
import type { IncomingMessage } from "../test/helpers/rpc-client.js";

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
};
const CONNECTIONS = num("WS_LOAD_CONNECTIONS", 200);
const THREADS = Math.min(num("WS_LOAD_THREADS", 50), CONNECTIONS);
const TURNS = num("WS_LOAD_TURNS", 3);
const TEXT_CHARS = num("WS_LOAD_TEXT_CHARS", 1200);
const TIMEOUT_MS = num("WS_LOAD_TIMEOUT_MS", 180_000);

const log = (s: string) => process.stdout.write(s + "\n");

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function turnText(thread: number, turn: number): string {
  if (turn % 3 === 1) return `cmd: seq 1 ${2000 + thread}`;
  const base = `thread ${thread} turn ${turn}: `;
  return base + "lorem ipsum dolor sit amet ".repeat(Math.ceil(TEXT_CHARS / 27)).slice(0, TEXT_CHARS - base.length);
}

async function main(): Promise<number> {
  const deadline = Date.now() + TIMEOUT_MS;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-ws-load-"));
  const home = path.join(root, "home");
  const ws = path.join(root, "ws");
  fs.mkdirSync(home);
  fs.mkdirSync(ws);
  const mock = await startMockResponses();
  fs.writeFileSync(
    path.join(home, "config.toml"),
    `model = "mock-model"\nmodel_provider = "mock"\napproval_policy = "never"\nsandbox_mode = "workspace-write"\n\n[model_providers.mock]\nname = "Mock"\nbase_url = "${mock.url}"\nwire_api = "responses"\nrequest_max_retries = 0\nstream_max_retries = 0\n`,
  );
  const server = await startSpoolWs(home, { SPOOL_LOG: "warn" });
  const latencies: number[] = [];
  const clients: WsRpcClient[] = [];
  let failures: string[] = [];
  try {
    log(`ws-load: ${CONNECTIONS} connections, ${THREADS} threads (${(CONNECTIONS / THREADS).toFixed(1)} subscribers each), ${TURNS} turns per thread, server ${server.url}`);
    const onMessage = (m: IncomingMessage) => {
      const at = Date.now();
      if (typeof m.method === "string" && typeof m.emittedAtMs === "number") latencies.push(at - m.emittedAtMs);
    };
    for (let i = 0; i < CONNECTIONS; i++) {
      const c = await WsRpcClient.open(server.url, { record: false, onMessage, approve: "accept" });
      await c.initialize(`load-${i}`);
      clients.push(c);
    }
    const owners = clients.slice(0, THREADS);
    const threadIds = await Promise.all(owners.map(async (c) => (await c.request("thread/start", { cwd: ws })).thread.id as string));
    const subscribers: WsRpcClient[][] = threadIds.map((_, i) => [owners[i]]);
    await Promise.all(
      clients.slice(THREADS).map(async (c, k) => {
        const i = k % THREADS;
        await c.request("thread/resume", { threadId: threadIds[i] });
        subscribers[i].push(c);
      }),
    );
    const t0 = performance.now();
    latencies.length = 0; // the turns only
    await Promise.all(
      threadIds.map(async (tid, i) => {
        for (let turn = 0; turn < TURNS; turn++) {
          if (Date.now() > deadline) throw new Error("time limit reached");
          const t = await owners[i].request("turn/start", { threadId: tid, input: [{ type: "text", text: turnText(i, turn) }] });
          await Promise.all(subscribers[i].map((c) => c.waitForNotification("turn/completed", (p) => p.turn.id === t.turn.id, Math.max(1, deadline - Date.now()))));
        }
      }),
    );
    const wallMs = performance.now() - t0;

    // checks
    let delivered = 0;
    for (let i = 0; i < threadIds.length; i++) {
      const tid = threadIds[i];
      // the thread's events and its status broadcasts, as each subscriber received them
      const seqs = subscribers[i].map((c) => c.notifications.filter((n) => n.params?.threadId === tid));
      const ref = seqs[0].map((n) => JSON.stringify(n));
      // everything after the last subscriber joined (all joined before the first turn)
      const firstTurn = ref.findIndex((s) => s.includes('"method":"turn/started"'));
      const refTail = ref.slice(firstTurn);
      for (let k = 0; k < seqs.length; k++) {
        const mine = seqs[k].map((n) => JSON.stringify(n));
        const tail = mine.slice(mine.findIndex((s) => s.includes('"method":"turn/started"')));
        delivered += tail.length;
        if (tail.length !== refTail.length || tail.some((s, j) => s !== refTail[j])) {
          const j = tail.findIndex((s, x) => s !== refTail[x]);
          failures.push(`thread ${i}: subscriber ${k} saw ${tail.length} notifications, subscriber 0 saw ${refTail.length}; first difference at ${j}`);
        }
        if (!subscribers[i][k].alive) failures.push(`thread ${i}: subscriber ${k} was disconnected`);
      }
      const notes = seqs[0].slice(ref.findIndex((s) => s.includes('"method":"turn/started"')));
      const started = notes.filter((n) => n.method === "turn/started").length;
      const completed = notes.filter((n) => n.method === "turn/completed" && n.params.turn.status === "completed").length;
      if (started !== TURNS || completed !== TURNS) failures.push(`thread ${i}: ${started} turn/started, ${completed} completed turn/completed (expected ${TURNS})`);
      const deltas = new Map<string, string>();
      let last = 0;
      for (const n of notes) {
        const at = (n as { emittedAtMs?: number }).emittedAtMs ?? 0;
        if (at < last) failures.push(`thread ${i}: emittedAtMs went backwards`);
        last = at;
        if (n.method === "item/agentMessage/delta" || n.method === "item/commandExecution/outputDelta") deltas.set(n.params.itemId, (deltas.get(n.params.itemId) ?? "") + n.params.delta);
        if (n.method === "item/completed" && n.params.item.type === "agentMessage" && (deltas.get(n.params.item.id) ?? "") !== n.params.item.text) failures.push(`thread ${i}: deltas of ${n.params.item.id} do not add up to its text`);
        if (n.method === "item/completed" && n.params.item.type === "commandExecution" && (deltas.get(n.params.item.id) ?? "") !== (n.params.item.aggregatedOutput ?? "")) failures.push(`thread ${i}: output deltas of ${n.params.item.id} do not add up to its output`);
      }
    }
    failures = [...new Set(failures)];
    const sorted = latencies.slice().sort((a, b) => a - b);
    const result = {
      connections: CONNECTIONS,
      threads: THREADS,
      turnsPerThread: TURNS,
      wallMs: Math.round(wallMs),
      notificationsDelivered: delivered,
      perSecond: Math.round(delivered / (wallMs / 1000)),
      latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, samples: sorted.length },
      failures: failures.length,
    };
    log(JSON.stringify(result, null, 1));
    log(
      `ws-load: ${delivered} notifications to ${CONNECTIONS} connections in ${(wallMs / 1000).toFixed(1)} s (${result.perSecond}/s); delivery latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms; ` +
        (failures.length ? `${failures.length} FAILURES` : "no lost, duplicated or reordered notifications"),
    );
    for (const f of failures.slice(0, 20)) log(`  FAIL ${f}`);
    if (process.env.WS_LOAD_OUT) fs.writeFileSync(process.env.WS_LOAD_OUT, JSON.stringify(result, null, 1) + "\n");
    return failures.length ? 1 : 0;
  } finally {
    for (const c of clients) c.terminate();
    await server.stop();
    await mock.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`ws-load: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
