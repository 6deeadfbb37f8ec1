// Spool's analytics: typed facts -> one reducer -> Codex-shaped events -> local SQLite (default)
// and an opt-in HTTP endpoint. See README.md in this directory for the facts, the events and
// what the server calls where.
import { loadConfig, type SpoolConfig } from "../config/config.js";
import { AnalyticsClient, type AnalyticsLog } from "./client.js";
import { analyticsSettings, type AnalyticsSettings } from "./config.js";
import { HttpSink } from "./sinks/http.js";
import { LocalSink, analyticsDbPath } from "./sinks/local.js";
import type { AnalyticsSink } from "./sinks/sink.js";

export { AnalyticsClient, type AnalyticsLog, type AnalyticsStats } from "./client.js";
export { AnalyticsReducer, type AnalyticsWarning, type ReduceOutput } from "./reducer.js";
export { GoalFactDeriver } from "./goals.js";
export { analyticsSettings, envDisablesAnalytics, ANALYTICS_ENV, type AnalyticsSettings } from "./config.js";
export { analyticsDbPath, readEvents, openAnalyticsDbReadonly, LocalSink } from "./sinks/local.js";
export { HttpSink } from "./sinks/http.js";
export * from "./facts.js";
export * from "./protocol.js";
export * from "./events.js";

export interface CreateAnalyticsOptions {
  home: string;
  /** The loaded config.toml (default: read from the home). */
  config?: SpoolConfig | Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  log?: AnalyticsLog;
  clock?: () => number;
}

/**
 * The server's analytics client for a home: disabled (a no-op, nothing created on disk) when the
 * switch is off; otherwise local storage unless `local = false`, plus the HTTP sink when
 * `http_endpoint` is set. A local database that cannot be opened disables local storage only.
 */
export function createAnalytics(opts: CreateAnalyticsOptions): { client: AnalyticsClient; settings: AnalyticsSettings } {
  const settings = analyticsSettings(opts.config ?? loadConfig(opts.home), opts.env);
  if (!settings.enabled) return { client: AnalyticsClient.disabled(), settings };
  const log = opts.log;
  const sinks: AnalyticsSink[] = [];
  if (settings.local) {
    try {
      sinks.push(LocalSink.open(opts.home, (e) => log?.warn({ err: e }, "analytics: local write failed")));
    } catch (e) {
      log?.warn({ err: e, path: analyticsDbPath(opts.home) }, "analytics: local storage unavailable");
    }
  }
  if (settings.http) {
    sinks.push(
      new HttpSink({
        endpoint: settings.http.endpoint,
        headers: settings.http.headers,
        batchSize: settings.http.batchSize,
        flushIntervalMs: settings.http.flushIntervalMs,
        timeoutMs: settings.http.timeoutMs,
        maxQueue: settings.http.maxQueue,
        maxAttempts: settings.http.maxAttempts,
        onWarn: (msg, extra) => log?.warn(extra ?? {}, msg),
      }),
    );
  }
  return { client: new AnalyticsClient({ sinks, capacity: settings.queueCapacity, log, clock: opts.clock }), settings };
}
