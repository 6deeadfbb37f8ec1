// Parameter checks worded like Codex's serde errors (-32600 "Invalid request: …"), for methods
// whose params are a few fields or a tagged union.
import { invalidRequest } from "../errors.js";

export type Params = Record<string, unknown>;

/** The params object (absent params are an empty object). */
export function paramsObject(raw: unknown): Params {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw invalidRequest("Invalid request: invalid type: expected a params object");
  return raw as Params;
}

export const missingField = (name: string) => invalidRequest(`Invalid request: missing field \`${name}\``);

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a sequence";
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  if (typeof v === "boolean") return `boolean \`${v}\``;
  if (typeof v === "number") return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  return "a map";
}

const wrongType = (v: unknown, expected: string) => invalidRequest(`Invalid request: invalid type: ${typeName(v)}, expected ${expected}`);

export function requiredString(p: Params, name: string): string {
  const v = p[name];
  if (v === undefined) throw missingField(name);
  if (typeof v !== "string") throw wrongType(v, "a string");
  return v;
}

export function optionalString(p: Params, name: string): string | null {
  const v = p[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw wrongType(v, "a string");
  return v;
}

export function optionalBool(p: Params, name: string): boolean | null {
  const v = p[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "boolean") throw wrongType(v, "a boolean");
  return v;
}

export function optionalCount(p: Params, name: string): number | null {
  const v = p[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw wrongType(v, "u32");
  return v;
}

export function stringList(p: Params, name: string, required: boolean): string[] | null {
  const v = p[name];
  if (v === undefined || v === null) {
    if (required && v === undefined) throw missingField(name);
    return null;
  }
  if (!Array.isArray(v)) throw wrongType(v, "a sequence");
  for (const s of v) if (typeof s !== "string") throw wrongType(s, "a string");
  return v as string[];
}

/** The `type` tag of a tagged union param, checked against its variants. */
export function variantTag(p: Params, allowed: readonly string[], field = "type"): string {
  const v = p[field];
  if (v === undefined) throw missingField(field);
  if (typeof v !== "string" || !allowed.includes(v))
    throw invalidRequest(`Invalid request: unknown variant \`${String(v)}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(", ")}`);
  return v;
}

/** One page of `items` from a numeric offset cursor (Codex's cursors for these lists). */
export function pageOf<T>(items: T[], cursor: string | null, limit: number | null): { data: T[]; nextCursor: string | null } {
  const start = cursor === null ? 0 : Number(cursor);
  if (cursor !== null && (!/^\d+$/.test(cursor) || start > items.length)) throw invalidRequest(`invalid cursor: ${cursor}`);
  const end = limit === null ? items.length : Math.min(items.length, start + Math.max(1, limit));
  return { data: items.slice(start, end), nextCursor: end < items.length ? String(end) : null };
}
