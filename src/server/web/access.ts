// Who may use the web UI: pure decisions over request headers, no I/O.
//
// Browsers are the risk: any page the user visits can open ws://127.0.0.1 or fetch from it. So a
// request carrying a browser Origin must be same-origin and carry the per-start token (in the
// `?token=` of the printed URL, then an HttpOnly SameSite=Strict cookie). Non-browser clients (no
// Origin, e.g. the Codex TUI) keep the old rule. Host is checked against DNS rebinding: a hostile
// name resolving to 127.0.0.1 still sends its own name in Host.

export const TOKEN_COOKIE = "spool_token";

export interface AccessConfig {
  /** Per-start token (SPOOL_WS_TOKEN when set). */
  token: string;
  /** The port actually listened on. */
  port: number;
  /** The configured listen host (allowed in Host besides the loopback names). */
  host: string;
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/** `Host` must name a loopback address (or the configured host) with the right port. */
export function hostAllowed(hostHeader: string | undefined, cfg: AccessConfig): boolean {
  if (!hostHeader) return false;
  const configured = cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host;
  const names = new Set([...LOOPBACK_NAMES, configured]);
  return [...names].some((n) => hostHeader.toLowerCase() === `${n}:${cfg.port}`);
}

/** The browser Origin must be this very server (scheme http, same host:port as Host). */
export function sameOrigin(origin: string, hostHeader: string | undefined): boolean {
  return hostHeader !== undefined && origin.toLowerCase() === `http://${hostHeader.toLowerCase()}`;
}

export function cookieToken(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

/** Constant-time enough for a 32-byte random token compared once per request. */
function tokenEquals(a: string | undefined, b: string): boolean {
  if (a === undefined || a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export interface RequestFacts {
  host: string | undefined;
  origin: string | undefined;
  cookie: string | undefined;
  /** `?token=` of the URL, if any. */
  queryToken: string | null;
}

export type Decision = { allow: true } | { allow: false; status: 401 | 403 | 421; reason: string };

/** A browser request for thread data (API or WebSocket upgrade with an Origin). */
export function browserDecision(f: RequestFacts, cfg: AccessConfig): Decision {
  if (!hostAllowed(f.host, cfg)) return { allow: false, status: 421, reason: "unexpected Host" };
  if (f.origin !== undefined && !sameOrigin(f.origin, f.host)) return { allow: false, status: 403, reason: "cross-origin request" };
  const token = f.queryToken ?? cookieToken(f.cookie);
  if (!tokenEquals(token ?? undefined, cfg.token)) return { allow: false, status: 401, reason: "missing or wrong token" };
  return { allow: true };
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}
