// Connecting PostgresThreadStore: the connection string (option, else $SPOOL_PG_URL, else the
// local default), the user libpq would pick when the string names none, and errors that say
// which server could not be reached (password redacted).
import os from "node:os";
import type pg from "pg";
import { ThreadStoreError } from "../types.js";
import { toStoreError } from "../local/store-errors.js";

export const DEFAULT_PG_URL = "postgres://127.0.0.1:5432/test";

/** The connection string to use: `explicit`, else $SPOOL_PG_URL, else DEFAULT_PG_URL. */
export function resolvePgUrl(explicit?: string): string {
  return explicit || process.env.SPOOL_PG_URL || DEFAULT_PG_URL;
}

/**
 * A URL that names no user gets the one libpq would use: $PGUSER, else $USER, else the OS
 * account (node-postgres only looks at the environment, which is empty under some supervisors).
 */
export function withDefaultUser(url: string): string {
  if (process.env.PGUSER || process.env.USER) return url;
  try {
    const u = new URL(url);
    if (u.username || !u.host) return url;
    u.username = encodeURIComponent(os.userInfo().username);
    return u.toString();
  } catch {
    return url;
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable connection string)";
  }
}

export function clientConfig(url: string, applicationName: string, connectTimeoutMs: number): pg.ClientConfig {
  return { connectionString: withDefaultUser(url), application_name: applicationName.slice(0, 63), connectionTimeoutMillis: connectTimeoutMs };
}

/** A message for any thrown value (Node's AggregateError of a failed connect has an empty one). */
export function errorMessage(e: unknown): string {
  if (e instanceof AggregateError && !e.message) return e.errors.map((x) => errorMessage(x)).join("; ");
  return (e as Error)?.message ?? String(e);
}

export function unreachable(url: string, e: unknown): ThreadStoreError {
  const err = new ThreadStoreError("internal", `PostgreSQL is not reachable at ${redactUrl(url)}: ${errorMessage(e)} (set SPOOL_PG_URL or the store's connectionString)`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

/** SQLSTATEs that mean the caller's values cannot be stored (NUL characters, bad encodings, too large). */
const INVALID_VALUE_CODES = new Set(["22P05", "22021", "54000"]);

/** Every failure leaves the store as a ThreadStoreError: bad values are invalid_request, the rest internal. */
export function pgStoreError(op: string, e: unknown): ThreadStoreError {
  if (e instanceof ThreadStoreError) return e;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && INVALID_VALUE_CODES.has(code)) {
    const err = ThreadStoreError.invalid(`${op}: PostgreSQL cannot store the value: ${errorMessage(e)}`);
    (err as { cause?: unknown }).cause = e;
    return err;
  }
  if (e instanceof AggregateError) return toStoreError(op, new Error(errorMessage(e)));
  return toStoreError(op, e);
}
