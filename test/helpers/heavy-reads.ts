// Drives the heavy-read load of issue 11 finding 4 over raw WebSockets: `connections` sockets
// each send `perConnection` thread/read includeTurns of one thread at once; once the first full
// answer has arrived, a further socket asks thread/loaded/list. Full answers are only measured
// (length, kind) and never parsed, so the client stays light whatever the thread's size.
import WebSocket from "ws";

export interface HeavyReadsResult {
  /** Full-read answers received (results or errors), in total. */
  heavyAnswers: number;
  /** Full-read answers that were errors (first few messages kept). */
  heavyErrors: string[];
  /** Bytes of the smallest full-read result (they all carry the same thread). */
  minResultBytes: number;
  /** Full-read answers that had arrived when the cheap request's answer came. */
  heavyAnsweredBeforeCheap: number;
  /** The cheap request's parsed answer. */
  cheapAnswer: any;
  /** Milliseconds from sending the cheap request to its answer. */
  cheapLatencyMs: number;
  /** Milliseconds from the first full read sent to the last answered. */
  totalMs: number;
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 1 << 30 });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** Opens a socket and completes the initialize handshake. */
async function initialized(url: string, name: string): Promise<WebSocket> {
  const ws = await openSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once("message", (d) => (String(d).includes('"result"') ? resolve() : reject(new Error(`initialize failed: ${String(d)}`))));
    ws.send(JSON.stringify({ id: 0, method: "initialize", params: { clientInfo: { name, version: "1" }, capabilities: { experimentalApi: true } } }));
  });
  ws.send(JSON.stringify({ method: "initialized" }));
  return ws;
}

export async function runHeavyReads(url: string, threadId: string, connections: number, perConnection: number): Promise<HeavyReadsResult> {
  const heavy = await Promise.all(Array.from({ length: connections }, (_, i) => initialized(url, `heavy-${i}`)));
  const cheap = await initialized(url, "cheap");
  const total = connections * perConnection;
  const res: HeavyReadsResult = { heavyAnswers: 0, heavyErrors: [], minResultBytes: Infinity, heavyAnsweredBeforeCheap: -1, cheapAnswer: null, cheapLatencyMs: NaN, totalMs: NaN };
  const t0 = Date.now();
  let cheapSent = false;
  let cheapDone: () => void;
  const cheapAnswered = new Promise<void>((r) => (cheapDone = r));
  let allDone: () => void;
  const allAnswered = new Promise<void>((r) => (allDone = r));
  let cheapAt = 0;
  cheap.on("message", (d) => {
    res.cheapLatencyMs = Date.now() - cheapAt;
    res.heavyAnsweredBeforeCheap = res.heavyAnswers;
    res.cheapAnswer = JSON.parse(String(d));
    cheapDone();
  });
  for (const ws of heavy) {
    ws.on("message", (d: Buffer) => {
      res.heavyAnswers++;
      // the head says result or error without parsing tens of MB
      const head = d.subarray(0, 64).toString();
      if (/^\{"id":\d+,"result":/.test(head)) res.minResultBytes = Math.min(res.minResultBytes, d.length);
      else if (res.heavyErrors.length < 5) res.heavyErrors.push(d.subarray(0, 300).toString());
      if (!cheapSent) {
        cheapSent = true;
        cheapAt = Date.now();
        cheap.send(JSON.stringify({ id: 1, method: "thread/loaded/list", params: {} }));
      }
      if (res.heavyAnswers === total) {
        res.totalMs = Date.now() - t0;
        allDone();
      }
    });
    ws.once("close", () => allDone());
    for (let k = 1; k <= perConnection; k++) ws.send(JSON.stringify({ id: k, method: "thread/read", params: { threadId, includeTurns: true } }));
  }
  await Promise.all([cheapAnswered, allAnswered]);
  for (const ws of [...heavy, cheap]) ws.terminate();
  return res;
}
