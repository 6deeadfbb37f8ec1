// `<home>/auth.json`, where Codex keeps the login: for an API key
// `{"auth_mode": "apikey", "OPENAI_API_KEY": "<key>"}`, pretty-printed with two spaces, no final
// newline, mode 0600 (compared byte for byte with the file the binary writes). Logging out
// removes the file. Written to a temp file and renamed, so a reader never sees half a file.
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface StoredAuth {
  /** "apikey" or "chatgpt" (a ChatGPT login written by Codex; Spool does not refresh those). */
  authMode: string | null;
  apiKey: string | null;
}

export const authFile = (home: string): string => join(home, "auth.json");

/** The stored login, or null when there is none (no file, or one that does not parse). */
export function readAuth(home: string): StoredAuth | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(authFile(home), "utf8"));
  } catch {
    return null;
  }
  if (!raw || typeof raw !== "object") return null;
  const o = raw as Record<string, unknown>;
  const apiKey = typeof o.OPENAI_API_KEY === "string" && o.OPENAI_API_KEY !== "" ? o.OPENAI_API_KEY : null;
  const authMode = typeof o.auth_mode === "string" ? o.auth_mode : apiKey ? "apikey" : o.tokens ? "chatgpt" : null;
  return authMode || apiKey ? { authMode, apiKey } : null;
}

export function writeApiKeyAuth(home: string, apiKey: string): void {
  const file = authFile(home);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ auth_mode: "apikey", OPENAI_API_KEY: apiKey }, null, 2), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Removes the stored login; whether there was one. */
export function removeAuth(home: string): boolean {
  const had = readAuth(home) !== null;
  rmSync(authFile(home), { force: true });
  return had;
}
