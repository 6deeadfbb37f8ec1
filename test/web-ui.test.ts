// The web UI end to end in headless Chromium (Debian's chromium, driven by playwright-core) against
// `spool app-server --listen` on a copy of the Codex corpus home with the scripted model: the list,
// search, a thread with a command's output and a diff, a streamed turn started from the page, an
// approval answered from the page, the Analytics charts, and no thread data without the token.
// Every JSON-RPC frame the page exchanges is validated against Codex's schema. Screenshots go to
// .cache/web-ui/ (paths printed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import http from "node:http";
import WebSocket from "ws";
import { copyCorpusHome } from "./helpers/compare.js";
import { cacheDir, corpusFixtureDir } from "./helpers/paths.js";
import { mockConfigToml } from "./helpers/mock-home.js";
import { startMockResponses, type MockResponses } from "./helpers/mock-responses.js";
import { startSpoolWs, type SpoolWsServer } from "./helpers/ws-client.js";
import { validateNotification, validateRequestParams, validateResponse, validateServerRequest, validateServerRequestResponse } from "./helpers/schema.js";

const CHROMIUM = "/usr/bin/chromium";
const skip = fs.existsSync(CHROMIUM) ? false : "needs Debian's chromium (apt-get install -y chromium)";

let mock: MockResponses;
let server: SpoolWsServer;
let browser: Browser;
let page: Page;
let webUrl: string;
let origin: string;
let home: string;
const schemaErrors: string[] = [];

after(async () => {
  await browser?.close();
  await server?.stop();
  await mock?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  const file = path.join(cacheDir("web-ui"), `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

/** Validates every frame of the page's JSON-RPC connection against the generated schema. */
function watchFrames(p: Page): void {
  const sent = new Map<unknown, string>();
  const serverRequests = new Map<unknown, string>();
  p.on("websocket", (ws) => {
    ws.on("framesent", (f) => {
      const m = JSON.parse(String(f.payload));
      if (m.method && m.id !== undefined) {
        sent.set(m.id, m.method);
        schemaErrors.push(...validateRequestParams(m.method, m.params).map((e) => `${m.method} params: ${e}`));
      } else if (m.id !== undefined && serverRequests.has(m.id)) {
        const method = serverRequests.get(m.id)!;
        schemaErrors.push(...validateServerRequestResponse(method, m.result).map((e) => `${method} answer: ${e}`));
      }
    });
    ws.on("framereceived", (f) => {
      const m = JSON.parse(String(f.payload));
      if (m.method && m.id !== undefined) {
        serverRequests.set(m.id, m.method);
        schemaErrors.push(...validateServerRequest(m.method, m.params).map((e) => `${m.method}: ${e}`));
      } else if (m.method) schemaErrors.push(...validateNotification(m.method, m.params).map((e) => `${m.method}: ${e}`));
      else if (m.result !== undefined && sent.has(m.id)) schemaErrors.push(...validateResponse(sent.get(m.id)!, m.result).map((e) => `${sent.get(m.id)} result: ${e}`));
    });
  });
}

before(async () => {
  if (skip) return;
  mock = await startMockResponses();
  home = copyCorpusHome(corpusFixtureDir());
  fs.writeFileSync(path.join(home, "config.toml"), mockConfigToml(mock.url));
  server = await startSpoolWs(home, { SPOOL_LOG: "error" });
  for (let i = 0; i < 100 && !/web UI: /.test(server.stderr()); i++) await new Promise((r) => setTimeout(r, 50));
  const line = server.stderr().split("\n").find((l) => l.startsWith("web UI: "));
  assert.ok(line, `a "web UI: " line in ${server.stderr()}`);
  webUrl = line.slice("web UI: ".length).trim();
  origin = new URL(webUrl).origin;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  watchFrames(page);
});

test("the thread list shows the corpus threads; the search box filters them", { skip, timeout: 60_000 }, async () => {
  await page.goto(webUrl);
  assert.equal(new URL(page.url()).search, "", "the token left the address bar for a cookie");
  const rows = page.locator(".thread-row");
  await rows.first().waitFor();
  const titles = await rows.locator(".title").allTextContents();
  assert.deepEqual(titles, ["Basics thread", "goal: ship the thread store", "slow: 40", "esc: touch ../outside-a.txt", "Basics thread"]);
  await shot("thread-list");
  await page.fill("input[type=search]", "slow");
  await page.waitForFunction(() => document.querySelectorAll(".thread-row").length === 1);
  assert.deepEqual(await rows.locator(".title").allTextContents(), ["slow: 40"]);
  await shot("thread-list-search");
  await page.fill("input[type=search]", "");
  await page.waitForFunction(() => document.querySelectorAll(".thread-row").length === 5);
});

test("opening a thread shows its messages, a command's output and exit code, a diff, collapsed reasoning", { skip, timeout: 60_000 }, async () => {
  await page.locator(".thread-row").last().click();
  await page.locator(".item.agent").first().waitFor();
  assert.equal(await page.locator(".item.user").first().textContent(), "hello there");
  assert.equal((await page.locator(".item.agent").first().textContent())!.trim(), "Echo: hello there");
  const cmd = page.locator(".item.command").first();
  assert.match((await cmd.locator("code").textContent())!, /echo hi > out\.txt && cat out\.txt/);
  assert.equal(await cmd.locator(".output").textContent(), "hi\n");
  assert.equal(await cmd.locator(".exit").textContent(), "exit 0");
  assert.equal(await page.locator(".item.command .exit").nth(1).textContent(), "exit 1");
  assert.match((await page.locator(".item.filechange .path").textContent())!, /notes\.md/);
  assert.deepEqual(await page.locator(".item.filechange .diff .add").allTextContents(), ["+hello world"], "an added file's lines are marked as added");
  assert.equal(await page.locator("details.item.reasoning").getAttribute("open"), null, "reasoning starts collapsed");
  assert.equal(await page.locator(".item.websearch").textContent(), "Web search: codex threads");
  await shot("thread-view");
});

test("a turn started from the page streams its reply", { skip, timeout: 60_000 }, async () => {
  await page.goto(`${origin}/#/`);
  await page.click("text=New thread");
  await page.locator("textarea").waitFor();
  await page.fill("textarea", "slow: 6");
  await page.press("textarea", "Enter");
  // a partial reply first (deltas arrive 300 ms apart), then the whole one
  await page.waitForFunction(() => /^tick( tick)*\s*$/.test(document.querySelector(".item.agent")?.textContent ?? "") && document.querySelector(".turn-status.inProgress") !== null);
  await shot("thread-streaming");
  await page.waitForFunction(() => (document.querySelector(".item.agent")?.textContent ?? "").trim() === "tick tick tick tick tick tick" && !document.querySelector(".turn-status"));
  await page.fill("textarea", "hello web");
  await page.click("button[type=submit]");
  await page.waitForFunction(() => [...document.querySelectorAll(".item.agent")].some((e) => e.textContent!.trim() === "Echo: hello web"));
});

test("an escalated command shows Approve/Decline and runs after Approve", { skip, timeout: 60_000 }, async () => {
  await page.fill("textarea", "esc: echo approved-run");
  await page.press("textarea", "Enter");
  const dialog = page.locator(".approval");
  await dialog.waitFor();
  assert.match((await dialog.textContent())!, /echo approved-run/);
  assert.equal(await dialog.locator("button").count(), 2);
  assert.deepEqual(await dialog.locator("button").allTextContents(), ["Approve", "Decline"]);
  await shot("approval");
  await page.getByRole("button", { name: "Approve", exact: true }).click();
  await page.waitForFunction(() => [...document.querySelectorAll(".item.command .output")].some((e) => e.textContent!.includes("approved-run")), null, { timeout: 20_000 }).catch(async (e) => {
    await shot("approval-failed");
    throw e;
  });
  await page.waitForFunction(() => [...document.querySelectorAll(".item.command .output")].some((e) => e.textContent === "approved-run\n"));
  assert.equal(await page.locator(".approval").count(), 0);
  await page.waitForFunction(() => !document.querySelector(".turn-status"));
  await shot("approval-after");
});

test("the Analytics page draws its charts from the local analytics", { skip, timeout: 60_000 }, async () => {
  await page.getByRole("link", { name: "Analytics", exact: true }).click();
  await page.locator(".chart").first().waitFor();
  const captions = await page.locator(".chart figcaption").allTextContents();
  assert.deepEqual(captions, ["Tokens per day", "Tokens per model", "Turns per day", "Average tool duration (ms)", "Goal tokens accounted"]);
  // the turns run above were recorded: tokens, model, turns and the command's duration have data
  assert.equal(await page.locator(".chart canvas").count() >= 4, true, "at least four charts drew a canvas");
  assert.deepEqual(await page.locator(".chart .u-legend .u-series:not(:first-child) .u-label").allTextContents().then((l) => l.slice(0, 2)), ["input", "output"]);
  await shot("analytics");
});

test("the page's frames all validate against Codex's schema", { skip }, () => {
  assert.deepEqual(schemaErrors, []);
});

test("without the token: no thread data over HTTP or WebSocket; wrong Host or foreign Origin refused", { skip, timeout: 60_000 }, async () => {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await p.goto(`${origin}/`);
  await p.locator(".status").waitFor();
  assert.match((await p.locator(".status").textContent())!, /cannot connect/);
  assert.equal(await p.locator(".thread-row").count(), 0);
  const status = await p.evaluate(() => fetch("/api/analytics").then((r) => r.status));
  assert.equal(status, 401);
  await p.screenshot({ path: path.join(cacheDir("web-ui"), "no-token.png") });
  console.log(`screenshot: ${path.join(cacheDir("web-ui"), "no-token.png")}`);
  await ctx.close();

  const token = new URL(webUrl).searchParams.get("token")!;
  const upgrade = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(server.url, { headers });
      ws.on("open", () => { ws.close(); resolve(101); });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode!));
      ws.on("error", () => {});
    });
  assert.equal(await upgrade({ origin }), 401, "a browser Origin without the token");
  assert.equal(await upgrade({ origin: "http://evil.example", cookie: `spool_token=${token}` }), 403, "a foreign Origin even with the token");
  assert.equal(await upgrade({ origin, cookie: `spool_token=${token}` }), 101, "our own page with the token");
  assert.equal(await upgrade({}), 101, "a non-browser client (no Origin) as before");
  const port = new URL(origin).port;
  // (fetch may not set Host: a plain request does, as a rebinding page's browser would)
  const rebinding = await new Promise<number>((resolve, reject) =>
    http.get(`${origin}/api/analytics`, { headers: { host: `evil.example:${port}`, cookie: `spool_token=${token}` } }, (res) => { res.resume(); resolve(res.statusCode!); }).on("error", reject),
  );
  assert.equal(rebinding, 421, "DNS rebinding: a foreign Host");
  assert.equal((await fetch(`${origin}/api/analytics`, { headers: { cookie: `spool_token=${token}` } })).status, 200);
});
