// The WebSocket transport over a real socket: handshake, a request, health, Origin refusal.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { spawn } from "node:child_process";
import WebSocket from "ws";
import { copyCorpusHome } from "./helpers/compare.js";
import { corpusFixtureDir } from "./helpers/paths.js";
import { spoolMain } from "./helpers/spool.js";

const home = copyCorpusHome(corpusFixtureDir(), { filesOnly: true });
const child = spawn(process.execPath, [spoolMain(), "app-server", "--home", home, "--listen", "ws://127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
after(() => {
  child.kill();
  fs.rmSync(home, { recursive: true, force: true });
});

const url: Promise<string> = new Promise((resolve, reject) => {
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
    const m = /listening on (ws:\/\/\S+)/.exec(err);
    if (m) resolve(m[1]);
  });
  child.once("exit", (code) => reject(new Error(`server exited ${code}: ${err}`)));
});

function open(u: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(u, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function rpc(ws: WebSocket, id: number, method: string, params: unknown): Promise<any> {
  return new Promise((resolve) => {
    const onMsg = (d: WebSocket.RawData) => {
      const m = JSON.parse(d.toString());
      if (m.id === id) {
        ws.off("message", onMsg);
        resolve(m);
      }
    };
    ws.on("message", onMsg);
    ws.send(JSON.stringify({ id, method, params }));
  });
}

test("a WebSocket client initializes and lists threads", async () => {
  const ws = await open(await url);
  const init = await rpc(ws, 1, "initialize", { clientInfo: { name: "ws-test", version: "1" } });
  assert.equal(init.result.codexHome, home);
  ws.send(JSON.stringify({ method: "initialized" }));
  const list = await rpc(ws, 2, "thread/list", {});
  assert.equal(list.result.data.length, 5);
  ws.close();
});

test("health endpoints answer and browser origins are refused", async () => {
  const base = (await url).replace("ws://", "http://");
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  await assert.rejects(open(await url, { Origin: "http://evil.example" }), /403/);
});
