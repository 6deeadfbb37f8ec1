// The home's config.toml, with Codex's keys: model, model_provider, [model_providers.*],
// approval_policy, sandbox_mode, [sandbox_workspace_write]; Spool's feature switches: `[goals] enabled = false` turns goals
// off (default on), `[analytics]` (see src/analytics/config.ts). Unknown keys are kept out of the
// way, not rejected.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { z } from "zod";

const ProviderSchema = z
  .object({
    name: z.string().optional(),
    base_url: z.string().optional(),
    env_key: z.string().optional(),
    wire_api: z.string().optional(),
    request_max_retries: z.number().int().nonnegative().optional(),
    stream_max_retries: z.number().int().nonnegative().optional(),
    query_params: z.record(z.string(), z.string()).optional(),
    http_headers: z.record(z.string(), z.string()).optional(),
  })
  .passthrough();

const ConfigSchema = z
  .object({
    model: z.string().optional(),
    model_provider: z.string().optional(),
    model_providers: z.record(z.string(), ProviderSchema).optional(),
    approval_policy: z.enum(["untrusted", "on-failure", "on-request", "never"]).optional(),
    sandbox_mode: z.enum(["read-only", "workspace-write", "danger-full-access"]).optional(),
    sandbox_workspace_write: z
      .object({
        writable_roots: z.array(z.string()).optional(),
        network_access: z.boolean().optional(),
        exclude_tmpdir_env_var: z.boolean().optional(),
        exclude_slash_tmp: z.boolean().optional(),
      })
      .passthrough()
      .optional(),
    goals: z.object({ enabled: z.boolean().optional() }).passthrough().optional(),
  })
  .passthrough();

export type SpoolConfig = z.infer<typeof ConfigSchema> & { modelProvider: string };

export const DEFAULT_PROVIDER = "openai";

export class ConfigError extends Error {}

/** Reads `<home>/config.toml`; a missing file is the empty config, a bad one a ConfigError. */
export function loadConfig(home: string): SpoolConfig {
  const file = join(home, "config.toml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { modelProvider: DEFAULT_PROVIDER };
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(`${file}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return { ...r.data, modelProvider: r.data.model_provider ?? DEFAULT_PROVIDER };
}

/** loadConfig, or the empty config when config.toml is invalid (`warn` hears why). */
export function loadConfigOrDefaults(home: string, warn: (message: string) => void): SpoolConfig {
  try {
    return loadConfig(home);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    warn(`${e.message}; using defaults`);
    return { modelProvider: DEFAULT_PROVIDER };
  }
}

/** Whether the goals feature is on (`[goals] enabled`, default true). */
export const goalsEnabled = (config: SpoolConfig): boolean => config.goals?.enabled !== false;
