// Capturing analytics events the way Codex's backend receives them, offline: a loopback HTTP
// server that answers `{}` to everything (Codex also asks it for plugins, MCP and settings) and
// keeps the bodies POSTed to `/codex/analytics-events/events`; and a Codex home in ChatGPT mode
// (an auth.json whose unsigned JWT carries the account claims Codex reads; Codex does not check
// signatures) whose `chatgpt_base_url` points at that server, so the real binary sends it every
// analytics event it emits. Spool's HTTP sink is pointed at the same kind of server through
// `[analytics] base_url`.
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { codexBin } from "./codex.js";

export interface CapturedEvent {
  event_type: string;
  event_params: Record<string, any>;
}

export interface AnalyticsCapture {
  /** `http://127.0.0.1:<port>/backend-api`: a ChatGPT base URL. */
  baseUrl: string;
  /** Every event received, in arrival order. */
  events: CapturedEvent[];
  /** The bodies as received (one per POST). */
  bodies: unknown[];
  /** Paths of POSTs that were not analytics. */
  otherRequests: string[];
  close(): Promise<void>;
}

export const ANALYTICS_PATH = "/backend-api/codex/analytics-events/events";

export async function startAnalyticsCapture(): Promise<AnalyticsCapture> {
  const events: CapturedEvent[] = [];
  const bodies: unknown[] = [];
  const otherRequests: string[] = [];
  const server = http.createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    if (req.method === "POST" && req.url === ANALYTICS_PATH) {
      const body = JSON.parse(raw) as { events: CapturedEvent[] };
      bodies.push(body);
      events.push(...body.events);
    } else otherRequests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/backend-api`,
    events,
    bodies,
    otherRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");

/** An unsigned JWT with the ChatGPT account claims Codex reads (it never checks the signature). */
export function fakeChatgptJwt(): string {
  const claims = {
    email: "analytics-test@example.com",
    exp: 4_102_444_800,
    "https://api.openai.com/auth": { chatgpt_account_id: "acct-test", chatgpt_plan_type: "plus", chatgpt_user_id: "user-test" },
  };
  return `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims)}.unsigned`;
}

/** `<home>/auth.json` in ChatGPT mode (Codex's AuthDotJson: auth_mode, OPENAI_API_KEY, tokens, last_refresh). */
export function writeChatgptAuth(home: string): void {
  const jwt = fakeChatgptJwt();
  const auth = {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    tokens: { id_token: jwt, access_token: jwt, refresh_token: "refresh-test", account_id: "acct-test" },
    last_refresh: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(home, "auth.json"), JSON.stringify(auth, null, 1), { mode: 0o600 });
}

/**
 * A PATH for the Codex binary under which its Linux sandbox helper resolves: Codex runs bwrap
 * with `codex-linux-sandbox`, the name the npm launcher puts on PATH; the raw binary needs it
 * beside it (a symlink to itself) or every sandboxed command fails. `dirs` gets the temp dir.
 */
export function codexSandboxPath(dirs: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codex-sandbox-bin-"));
  dirs.push(dir);
  fs.symlinkSync(codexBin(), path.join(dir, "codex-linux-sandbox"));
  return `${dir}${path.delimiter}${process.env.PATH ?? ""}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `ready(events)` holds (or `timeoutMs` passed), then until nothing arrives for `quietMs`. */
export async function settle(capture: AnalyticsCapture, ready: (events: CapturedEvent[]) => boolean, timeoutMs = 60_000, quietMs = 1500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready(capture.events) && Date.now() < deadline) await sleep(100);
  let seen = -1;
  while (seen !== capture.events.length && Date.now() < deadline) {
    seen = capture.events.length;
    await sleep(quietMs);
  }
}
