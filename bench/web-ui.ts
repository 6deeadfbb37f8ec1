// The web UI's thread list on a 20,000-thread home: time from opening the printed URL in headless
// Chromium to the first page of rows on screen (the index is built before the server listens, so
// this is the page: load, WebSocket handshake, thread/list, render). Prints medians; no threshold.
//   node dist/bench/web-ui.js [threads=20000] [runs=5]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { synthHome } from "./synth-home.js";
import { corpusFixtureDir } from "../test/helpers/paths.js";
import { startSpoolWs } from "../test/helpers/ws-client.js";

const threads = Number(process.argv[2] ?? 20_000);
const runs = Number(process.argv[3] ?? 5);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spool-web-bench-"));
try {
  const home = path.join(tmp, "home");
  synthHome(path.join(corpusFixtureDir(), "codex-home"), home, threads);
  const server = await startSpoolWs(home, { SPOOL_LOG: "error" });
  for (let i = 0; i < 200 && !/web UI: /.test(server.stderr()); i++) await new Promise((r) => setTimeout(r, 50));
  const webUrl = /web UI: (\S+)/.exec(server.stderr())![1];
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const times: number[] = [];
  let domRows = 0;
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const t0 = performance.now();
    await page.goto(webUrl);
    await page.locator(".thread-row").first().waitFor();
    times.push(performance.now() - t0);
    domRows = await page.locator(".thread-row").count();
    await page.close();
  }
  await browser.close();
  await server.stop();
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`web UI thread list, ${threads} threads: first page on screen median ${sorted[Math.floor(runs / 2)].toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(", ")} ms; ${domRows} rows in the DOM)`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
