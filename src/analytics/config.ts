// Analytics settings: the `[analytics]` table of the home's config.toml, plus one environment
// variable.
//
//   [analytics]
//   enabled = false                  # THE switch: no facts, no local table, no network
//   local = true                     # keep events in <home>/spool/analytics.sqlite (default)
//   base_url = "https://…/backend-api"  # opt-in: POST events to {base_url}/codex/analytics-events/events,
//                                       # Codex's own path and body (a service that takes Codex's events takes these)
//   http_endpoint = "https://…"      # or the full URL to POST to (one of the two)
//   http_headers = { Authorization = "Bearer …" }
//   http_batch_size = 100
//   http_flush_interval_ms = 1000
//   http_timeout_ms = 5000
//   http_max_queue = 10000
//   http_max_attempts = 5
//
// `SPOOL_ANALYTICS=0` (or false/off/no) in the environment is the same switch as
// `enabled = false` and wins over the file. Nothing leaves the machine unless `http_endpoint` is
// set. Unknown keys are an error rather than ignored: a misspelt `enabled` must not leave
// analytics on.
import { z } from "zod";
import { ConfigError, type SpoolConfig } from "../config/config.js";

const positive = z.number().int().positive();

export const AnalyticsConfigSchema = z
  .object({
    enabled: z.boolean().optional(),
    local: z.boolean().optional(),
    http_endpoint: z
      .string()
      .regex(/^https?:\/\/\S+$/i, "must be an http:// or https:// URL")
      .optional(),
    base_url: z
      .string()
      .regex(/^https?:\/\/\S+$/i, "must be an http:// or https:// URL")
      .optional(),
    http_headers: z.record(z.string(), z.string()).optional(),
    http_batch_size: positive.optional(),
    http_flush_interval_ms: positive.optional(),
    http_timeout_ms: positive.optional(),
    http_max_queue: positive.optional(),
    http_max_attempts: positive.optional(),
    queue_capacity: positive.optional(),
  })
  .strict()
  .refine((c) => !(c.base_url && c.http_endpoint), { message: "set base_url or http_endpoint, not both" });

/** Where Codex posts its analytics events, under its ChatGPT base URL. */
export const CODEX_ANALYTICS_PATH = "/codex/analytics-events/events";

/** `{base}/codex/analytics-events/events` (a trailing slash of the base is dropped). */
export function analyticsEndpoint(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "") + CODEX_ANALYTICS_PATH;
}

export type AnalyticsConfig = z.infer<typeof AnalyticsConfigSchema>;

export interface AnalyticsSettings {
  enabled: boolean;
  /** Why analytics is off, when it is. */
  disabledBy: "config" | "env" | null;
  local: boolean;
  http: {
    endpoint: string;
    headers: Record<string, string>;
    batchSize?: number;
    flushIntervalMs?: number;
    timeoutMs?: number;
    maxQueue?: number;
    maxAttempts?: number;
  } | null;
  queueCapacity?: number;
}

export const ANALYTICS_ENV = "SPOOL_ANALYTICS";

/** Whether the environment turns analytics off. */
export function envDisablesAnalytics(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[ANALYTICS_ENV];
  return v !== undefined && /^(0|false|off|no|disabled?)$/i.test(v.trim());
}

/** Reads the `[analytics]` section of a loaded config (a ConfigError when it is malformed). */
export function analyticsSettings(config: SpoolConfig | Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): AnalyticsSettings {
  const raw = (config as Record<string, unknown>).analytics;
  const r = AnalyticsConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new ConfigError(`[analytics]: ${r.error.issues.map((i) => `${i.path.join(".") || "(table)"}: ${i.message}`).join("; ")}`);
  const c = r.data;
  const disabledBy = envDisablesAnalytics(env) ? "env" : c.enabled === false ? "config" : null;
  const endpoint = c.base_url ? analyticsEndpoint(c.base_url) : c.http_endpoint;
  return {
    enabled: disabledBy === null,
    disabledBy,
    local: c.local ?? true,
    http: endpoint
      ? {
          endpoint,
          headers: c.http_headers ?? {},
          batchSize: c.http_batch_size,
          flushIntervalMs: c.http_flush_interval_ms,
          timeoutMs: c.http_timeout_ms,
          maxQueue: c.http_max_queue,
          maxAttempts: c.http_max_attempts,
        }
      : null,
    queueCapacity: c.queue_capacity,
  };
}
