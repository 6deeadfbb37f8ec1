// The config layers Codex stacks for `config/read`: the user's `<home>/config.toml` over the
// system file `/etc/codex/config.toml` (highest precedence first, as Codex lists them). Each
// layer's version is "sha256:" + the hex SHA-256 of its table as compact JSON with sorted keys,
// which is how Codex fingerprints a layer (checked against the binary's answers).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";

export type LayerName = { type: "user"; file: string; profile: null } | { type: "system"; file: string };

export interface ConfigLayer {
  name: LayerName;
  version: string;
  config: Record<string, unknown>;
}

export const SYSTEM_CONFIG_FILE = "/etc/codex/config.toml";

/** The TOML text of a file, or null when it does not exist (or cannot be read). */
export function readTomlText(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** Parses TOML into plain JSON values (dates become strings). Throws smol-toml's TomlError. */
export function parseToml(text: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(parse(text))) as Record<string, unknown>;
}

/** Compact JSON with object keys sorted at every level. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export const layerVersion = (config: Record<string, unknown>): string => `sha256:${createHash("sha256").update(canonicalJson(config)).digest("hex")}`;

function layer(name: LayerName, config: Record<string, unknown>): ConfigLayer {
  return { name, version: layerVersion(config), config };
}

/**
 * The layers of a home, highest precedence first. A file that does not parse counts as empty
 * here (its problem is reported by configWarning, src/config/diagnostics.ts).
 */
export function readLayers(home: string, systemFile = SYSTEM_CONFIG_FILE): ConfigLayer[] {
  const userFile = join(home, "config.toml");
  const load = (file: string): Record<string, unknown> => {
    const text = readTomlText(file);
    if (text === null) return {};
    try {
      return parseToml(text);
    } catch {
      return {};
    }
  };
  return [layer({ type: "user", file: userFile, profile: null }, load(userFile)), layer({ type: "system", file: systemFile }, load(systemFile))];
}

/** Every leaf key path of a table ("a.b.c"); arrays are leaves, an empty table has none. */
export function leafPaths(table: Record<string, unknown>, prefix = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(table)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) out.push(...leafPaths(v as Record<string, unknown>, path));
    else out.push(path);
  }
  return out;
}

/** Which layer each leaf setting comes from: the highest layer that sets it. */
export function originsOf(layers: ConfigLayer[]): Record<string, { name: LayerName; version: string }> {
  const origins: Record<string, { name: LayerName; version: string }> = {};
  for (const l of [...layers].reverse()) for (const path of leafPaths(l.config)) origins[path] = { name: l.name, version: l.version };
  return origins;
}
