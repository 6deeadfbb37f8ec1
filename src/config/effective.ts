// The effective config `config/read` answers: Codex's defaults with the layers merged over them
// (lowest precedence first), each provider and profile entry completed with its unset fields.
// Keys Codex does not know are left out (configWarning names them); Spool's own `[goals] enabled`
// is kept (Codex ignores it, Spool reads it). Pure.
import type { ConfigLayer } from "./layers.js";
import { CONFIG_DEFAULTS, MCP_STDIO_SERVER_DEFAULTS, PROFILE_KEYS, PROVIDER_DEFAULTS, SANDBOX_WORKSPACE_WRITE_DEFAULTS } from "./codex-defaults.js";

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table => !!v && typeof v === "object" && !Array.isArray(v);

/** `over` merged into `base`, tables key by key. */
export function deepMerge(base: Table, over: Table): Table {
  const out: Table = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isTable(v) && isTable(out[k]) ? deepMerge(out[k] as Table, v) : v;
  return out;
}

/** The layers' tables merged, highest precedence winning (layers are given highest first). */
export function mergeLayers(layers: ConfigLayer[]): Table {
  return [...layers].reverse().reduce<Table>((acc, l) => deepMerge(acc, l.config), {});
}

const pick = (entry: Table, keys: readonly string[]): Table => Object.fromEntries(keys.map((k) => [k, entry[k] ?? null]));

function providerEntry(entry: Table): Table {
  const known = Object.keys(PROVIDER_DEFAULTS);
  const out: Table = { ...PROVIDER_DEFAULTS };
  for (const k of known) if (entry[k] !== undefined) out[k] = entry[k];
  return out;
}

const mapEntries = (t: unknown, f: (e: Table) => Table): Table =>
  Object.fromEntries(Object.entries(isTable(t) ? t : {}).map(([id, e]) => [id, f(isTable(e) ? e : {})]));

/** Sub-tables whose unset fields Codex fills from its defaults. */
const MERGED_TABLES = new Set(["history", "shell_environment_policy"]);

/** The `config` object of `config/read` for these layers. */
export function effectiveConfig(layers: ConfigLayer[]): Table {
  const merged = mergeLayers(layers);
  const out: Table = { ...CONFIG_DEFAULTS };
  for (const [k, v] of Object.entries(merged)) {
    if (!(k in CONFIG_DEFAULTS)) continue;
    if (k === "model_providers") out[k] = mapEntries(v, providerEntry);
    else if (k === "profiles") out[k] = mapEntries(v, (e) => pick(e, PROFILE_KEYS));
    // a [features] table also reports Codex's `network_proxy` feature (unset: null)
    else if (k === "features" && isTable(v)) out[k] = { network_proxy: null, ...(CONFIG_DEFAULTS.features as Table), ...v };
    else if (MERGED_TABLES.has(k) && isTable(v)) out[k] = { ...(CONFIG_DEFAULTS[k] as Table), ...v };
    else if (k === "sandbox_workspace_write" && isTable(v)) out[k] = { ...SANDBOX_WORKSPACE_WRITE_DEFAULTS, ...v };
    else if (k === "mcp_servers") out[k] = mapEntries(v, (e) => (typeof e.command === "string" ? { ...MCP_STDIO_SERVER_DEFAULTS, ...e } : e));
    else out[k] = v;
  }
  return out;
}

/** Top-level and provider keys no Codex layer understands ("bogus", "model_providers.p.bogus"). */
export function unknownKeys(table: Table): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(table)) {
    if (!(k in CONFIG_DEFAULTS)) out.push(k);
    else if (k === "model_providers" && isTable(v))
      for (const [id, e] of Object.entries(v)) for (const f of Object.keys(isTable(e) ? e : {})) if (!(f in PROVIDER_DEFAULTS)) out.push(`model_providers.${id}.${f}`);
  }
  return out;
}
