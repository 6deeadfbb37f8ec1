// Edits of config.toml as config/value/write and config/batchWrite make them: each edit sets the
// value at a dotted key path (`replace`), or merges a table into the table there (`upsert`); a
// null value removes the key. The text is re-rendered with @decimalturn/toml-patch, which keeps
// the user's comments, blank lines and key order and appends new keys where Codex's toml_edit
// does (after the last key of their table). Pure: text in, text out.
import { parse, patch } from "@decimalturn/toml-patch";

export type MergeStrategy = "replace" | "upsert";

export interface ConfigEdit {
  keyPath: string;
  value: unknown;
  mergeStrategy: MergeStrategy;
}

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);

function merged(into: unknown, value: unknown): unknown {
  if (!isTable(into) || !isTable(value)) return value;
  const out: Table = { ...into };
  for (const [k, v] of Object.entries(value)) out[k] = merged(out[k], v);
  return out;
}

/** Null values are removals; inside a table they are dropped (TOML has no null). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(withoutNulls);
  if (!isTable(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
}

function apply(doc: Table, edit: ConfigEdit): void {
  const keys = edit.keyPath.split(".");
  let table = doc;
  for (const k of keys.slice(0, -1)) {
    if (!isTable(table[k])) {
      if (edit.value === null) return; // removing below a missing table: nothing to do
      table[k] = {};
    }
    table = table[k] as Table;
  }
  const last = keys[keys.length - 1]!;
  if (edit.value === null) delete table[last];
  else table[last] = withoutNulls(edit.mergeStrategy === "upsert" ? merged(table[last], edit.value) : edit.value);
}

/** config.toml's text after the edits, in order (the text may be empty: a new file). */
export function applyConfigEdits(text: string, edits: ConfigEdit[]): string {
  const doc = parse(text) as Table;
  for (const e of edits) apply(doc, e);
  return patch(text, doc);
}

/** The key path is one or more non-empty dotted segments. */
export function validKeyPath(keyPath: string): boolean {
  return keyPath.length > 0 && keyPath.split(".").every((k) => k.length > 0);
}
