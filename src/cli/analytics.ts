// `spool analytics events|report`: read the events stored in `<home>/spool/analytics.sqlite`.
import { Command, InvalidArgumentError } from "commander";
import { resolveHome } from "../config/home.js";
import type { TrackEvent } from "../analytics/events.js";
import { buildReport, eventKind, formatReport, table } from "../analytics/report.js";
import { analyticsDbPath, openAnalyticsDbReadonly, readEvents, type StoredEvent } from "../analytics/sinks/local.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: an ISO date/time, or a duration back from `now` (`90s`, `30m`, `12h`, `7d`, `2w`). */
export function parseSince(v: string, now: number = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(v.trim());
  if (m) return now - Number(m[1]) * UNITS[m[2]];
  const t = Date.parse(v);
  if (Number.isFinite(t)) return t;
  throw new InvalidArgumentError("expected an ISO date/time (2026-11-21, 2026-11-21T10:00:00Z) or a duration (30m, 12h, 7d)");
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

export interface EventsOptions {
  home: string;
  sinceMs?: number;
  json?: boolean;
  type?: string;
  thread?: string;
  limit?: number;
}

/** A one-line summary of an event's most telling fields. */
export function eventDetail(e: TrackEvent): string {
  const p = e.event_params;
  const v = (k: string) => (p[k] === null || p[k] === undefined ? "-" : String(p[k]));
  switch (e.event_type) {
    case "codex_thread_initialized": {
      const client = p.app_server_client as { client_name?: string | null } | undefined;
      return `${v("initialization_mode")} source=${v("thread_source")} model=${v("model")} client=${client?.client_name ?? "-"}`;
    }
    case "codex_turn_event":
      return `turn=${v("turn_id")} ${v("status")} ${v("duration_ms")}ms tokens=${v("total_tokens")} tools=${v("total_tool_call_count")}`;
    case "codex_goal_event":
      return `${v("event_kind")} ${v("goal_status")} goal=${v("goal_id")}${p.event_kind === "usage_accounted" ? ` tokens=${v("cumulative_tokens_accounted")} seconds=${v("cumulative_time_accounted_seconds")}` : ""}`;
    case "codex_thread_archive_event":
      return v("action");
    case "codex_review_event":
      return `${v("subject_kind")} ${v("status")} ${v("resolution")} item=${v("item_id")}`;
    case "codex_turn_steer_event":
      return `${v("result")} ${p.result === "rejected" ? v("rejection_reason") : `turn=${v("accepted_turn_id")}`}`;
    default:
      if (typeof p.tool_name === "string") {
        const exit = p.exit_code !== undefined ? ` exit=${v("exit_code")}` : "";
        return `${p.tool_name} ${v("terminal_status")} ${v("duration_ms")}ms item=${v("item_id")}${exit}`;
      }
      return "";
  }
}

function load(home: string, f: { sinceMs?: number; type?: string; thread?: string; limit?: number }): StoredEvent[] | null {
  const db = openAnalyticsDbReadonly(home);
  if (!db) return null;
  try {
    return readEvents(db, { sinceMs: f.sinceMs, eventType: f.type, threadId: f.thread, limit: f.limit });
  } finally {
    db.close();
  }
}

/** `spool analytics events`: one JSON object per line with `json`, a table otherwise. */
export function analyticsEventsText(o: EventsOptions): string {
  const events = load(o.home, { sinceMs: o.sinceMs, type: o.type, thread: o.thread, limit: o.limit });
  if (o.json) return (events ?? []).map((e) => JSON.stringify({ seq: e.seq, occurred_at: new Date(e.occurredAtMs).toISOString(), recorded_at_ms: e.recordedAtMs, ...e.event })).join("\n") + (events?.length ? "\n" : "");
  if (events === null) return `no analytics recorded yet (${analyticsDbPath(o.home)} does not exist)\n`;
  if (events.length === 0) return "no events\n";
  return table(
    ["time (UTC)", "event", "thread", "detail"],
    events.map((e) => [new Date(e.occurredAtMs).toISOString().replace(/\.\d{3}Z$/, "Z"), eventKind(e.eventType), e.threadId ?? "-", eventDetail(e.event)]),
  );
}

/** `spool analytics report`: tokens, turns and tool durations per day and per thread. */
export function analyticsReportText(o: { home: string; sinceMs?: number; json?: boolean }): string {
  const events = load(o.home, { sinceMs: o.sinceMs }) ?? [];
  const report = buildReport(events);
  return o.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report);
}

/** Adds `spool analytics …` to the CLI. */
export function registerAnalytics(program: Command): void {
  const a = program
    .command("analytics")
    .description("Analytics events recorded locally in <home>/spool/analytics.sqlite (turn off with [analytics] enabled = false or SPOOL_ANALYTICS=0)");
  a.command("events")
    .description("Print the recorded events (a table, or one JSON object per line with --json)")
    .option("--home <dir>", "home directory (default: $SPOOL_HOME or ~/.spool)")
    .option("--since <when>", "only events since an ISO date/time or a duration back from now (30m, 12h, 7d)", (v) => parseSince(v))
    .option("--type <event_type>", "only this event type (e.g. codex_turn_event)")
    .option("--thread <id>", "only this thread's events")
    .option("--limit <n>", "only the newest n events", positiveInt)
    .option("--json", "one JSON object per line")
    .action((opts: { home?: string; since?: number; type?: string; thread?: string; limit?: number; json?: boolean }) => {
      process.stdout.write(analyticsEventsText({ home: resolveHome(opts.home), sinceMs: opts.since, json: opts.json, type: opts.type, thread: opts.thread, limit: opts.limit }));
    });
  a.command("report")
    .description("Summarise tokens, turns and tool durations per day and per thread")
    .option("--home <dir>", "home directory (default: $SPOOL_HOME or ~/.spool)")
    .option("--since <when>", "only events since an ISO date/time or a duration back from now", (v) => parseSince(v))
    .option("--json", "the report as JSON")
    .action((opts: { home?: string; since?: number; json?: boolean }) => {
      process.stdout.write(analyticsReportText({ home: resolveHome(opts.home), sinceMs: opts.since, json: opts.json }));
    });
}
