// GET /api/analytics: the local analytics report (read-only) for the web UI's Analytics page.
import { buildReport } from "../../analytics/report.js";
import { openAnalyticsDbReadonly, readEvents, type StoredEvent } from "../../analytics/sinks/local.js";

/** Total tokens and turns per model, from the turn events (the CLI report has no model column). */
function tokensPerModel(events: StoredEvent[]): Array<{ model: string; turns: number; total_tokens: number }> {
  const by = new Map<string, { model: string; turns: number; total_tokens: number }>();
  for (const e of events) {
    if (e.eventType !== "codex_turn_event") continue;
    const p = e.event.event_params as Record<string, unknown>;
    const model = typeof p.model === "string" ? p.model : "(unknown)";
    const row = by.get(model) ?? { model, turns: 0, total_tokens: 0 };
    row.turns++;
    row.total_tokens += typeof p.total_tokens === "number" ? p.total_tokens : 0;
    by.set(model, row);
  }
  return [...by.values()];
}

/** The report over every stored event, plus the goal budget snapshots; empty when nothing is recorded. */
export function analyticsJson(home: string): string {
  const db = openAnalyticsDbReadonly(home);
  if (!db) return JSON.stringify({ ...buildReport([]), goals: [], models: [] });
  try {
    const events = readEvents(db, {});
    const goals = events
      .filter((e) => e.eventType === "codex_goal_event")
      .map((e) => {
        const p = ((e.event as { event_params?: Record<string, unknown> }).event_params ?? {}) as Record<string, unknown>;
        return { at: e.occurredAtMs, thread_id: e.threadId, status: p.goal_status ?? null, tokens: p.cumulative_tokens_accounted ?? null, has_budget: p.has_token_budget ?? null };
      });
    return JSON.stringify({ ...buildReport(events), goals, models: tokensPerModel(events) });
  } finally {
    db.close();
  }
}
