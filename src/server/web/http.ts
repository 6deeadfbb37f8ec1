// The HTTP side of the WebSocket listener: health, the web UI's files, its token handshake and the
// read-only analytics endpoint. Every decision about access is in access.ts.
import type { IncomingMessage, ServerResponse } from "node:http";
import { browserDecision, tokenCookie, type AccessConfig } from "./access.js";
import { serveStatic } from "./static.js";
import { analyticsJson } from "./analytics-endpoint.js";

export interface WebUiOptions {
  home: string;
  /** Folder with the built UI (index.html, assets/). */
  root: string;
}

export function requestFacts(req: IncomingMessage) {
  const url = new URL(req.url ?? "/", "http://x");
  return {
    url,
    facts: { host: req.headers.host, origin: req.headers.origin, cookie: req.headers.cookie, queryToken: url.searchParams.get("token") },
  };
}

export function handleHttp(req: IncomingMessage, res: ServerResponse, access: () => AccessConfig, web: WebUiOptions | undefined): void {
  const { url, facts } = requestFacts(req);
  if (url.pathname === "/readyz" || url.pathname === "/healthz") {
    res.writeHead(200).end("ok");
    return;
  }
  if (!web || req.method !== "GET") {
    res.writeHead(404).end("not found");
    return;
  }
  const d = browserDecision(facts, access());
  if (url.pathname.startsWith("/api/")) {
    if (!d.allow) return void res.writeHead(d.status, { "content-type": "text/plain" }).end(d.reason);
    if (url.pathname !== "/api/analytics") return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(analyticsJson(web.home));
    return;
  }
  // the page itself holds no thread data; still, a wrong Host is refused (DNS rebinding)
  if (!d.allow && d.status === 421) return void res.writeHead(421).end(d.reason);
  if (url.pathname === "/" && facts.queryToken !== null && d.allow) {
    // trade the URL's token for a cookie, and drop it from the address bar and history
    res.writeHead(303, { location: "/", "set-cookie": tokenCookie(facts.queryToken) }).end();
    return;
  }
  if (!serveStatic(web.root, url.pathname, res)) res.writeHead(404).end("not found");
}
