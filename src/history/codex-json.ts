// Readers for the loosely-typed JSON Codex writes into rollouts, shared by the item converters and
// the reducer. Rollout payloads are only `Json`: every field is read defensively, and the spelling
// (snake_case or camelCase) depends on the struct and the Codex release that wrote it.
import { fileURLToPath } from "node:url";
import type { Json, JsonObject } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";

export type O = JsonObject;

export const isObj = (v: unknown): v is O => typeof v === "object" && v !== null && !Array.isArray(v);
export const asObj = (v: Json | undefined): O | null => (isObj(v) ? v : null);
export const asArr = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
export const asStr = (v: Json | undefined): string | null => (typeof v === "string" ? v : null);
export const asNum = (v: Json | undefined): number | null => (typeof v === "number" ? v : null);
/** A field that Codex may spell snake_case or camelCase depending on the struct and release. */
export function pick(o: O, snake: string, camel: string): Json | undefined {
  const v = o[snake];
  return v === undefined ? o[camel] : v;
}
export const orNull = (v: Json | undefined): Json => (v === undefined ? null : v);

/** `some_value` -> `someValue`. */
export function snakeToCamel(s: string): string {
  return s.indexOf("_") < 0 ? s : s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Recursively camelCases object keys (not string values). */
export function camelKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (!isObj(v)) return v;
  const out: O = {};
  for (const k of Object.keys(v)) out[snakeToCamel(k)] = camelKeys(v[k]);
  return out;
}

/** A snake_case enum value (a status, a tool name) in v2's camelCase, or `dflt` when absent. */
export const camelStatus = (v: Json | undefined, dflt: string): string => (typeof v === "string" ? snakeToCamel(v) : dflt);

/** Rust `Duration` as serde writes it (`{secs, nanos}`) to whole milliseconds. */
export function durationMs(v: Json | undefined): number | null {
  if (typeof v === "number") return Math.floor(v);
  const o = asObj(v);
  if (!o) return null;
  const secs = asNum(o.secs) ?? 0;
  const nanos = asNum(o.nanos) ?? 0;
  return secs * 1000 + Math.floor(nanos / 1_000_000);
}

/** A `file:` URI (Codex's PathUri) to a native path; other strings pass through. */
export function uriToPath(v: Json | undefined): string {
  const s = typeof v === "string" ? v : "";
  if (!s.startsWith("file:")) return s;
  try {
    return fileURLToPath(s);
  } catch {
    const rest = s.replace(/^file:(\/\/[^/]*)?/, "");
    try {
      return decodeURIComponent(rest);
    } catch {
      return rest;
    }
  }
}

/** Appends the lifecycle times last, where Codex's serializer puts them. */
export function withTimes(item: O, startedAtMs: number | null, completedAtMs: number | null): ThreadItem {
  item.startedAtMs = startedAtMs;
  item.completedAtMs = completedAtMs;
  return item as ThreadItem;
}
