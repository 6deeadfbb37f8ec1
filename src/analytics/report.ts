// Summaries of stored events for `spool analytics report`: tokens and turns per day, tool
// durations per day and tool, and per thread. Pure: events in, rows out.
import { GOAL_EVENT, TURN_EVENT } from "./events.js";
import type { StoredEvent } from "./sinks/local.js";
import { TOOL_EVENT_TYPES } from "./tool-items.js";

const TOOL_EVENTS: ReadonlySet<string> = new Set(Object.values(TOOL_EVENT_TYPES));

export interface DayRow {
  day: string;
  turns: number;
  completed: number;
  failed: number;
  interrupted: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
  tool_calls: number;
  tool_ms: number;
}

export interface ToolRow {
  day: string;
  /** `command_execution`, `file_change`, … */
  kind: string;
  tool_name: string;
  calls: number;
  failed: number;
  total_ms: number;
  avg_ms: number;
  p50_ms: number;
  max_ms: number;
}

export interface ThreadRow {
  thread_id: string;
  first_day: string;
  last_day: string;
  turns: number;
  total_tokens: number;
  input_tokens: number;
  output_tokens: number;
  tool_calls: number;
  tool_ms: number;
  goal_status: string | null;
}

export interface Report {
  days: DayRow[];
  tools: ToolRow[];
  threads: ThreadRow[];
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
export const eventKind = (eventType: string) => eventType.replace(/^codex_/, "").replace(/_event$/, "");

export function buildReport(events: StoredEvent[]): Report {
  const days = new Map<string, DayRow>();
  const tools = new Map<string, { row: ToolRow; durations: number[] }>();
  const threads = new Map<string, ThreadRow>();
  const day = (d: string) => {
    let r = days.get(d);
    if (!r) {
      r = { day: d, turns: 0, completed: 0, failed: 0, interrupted: 0, input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0, tool_calls: 0, tool_ms: 0 };
      days.set(d, r);
    }
    return r;
  };
  const thread = (id: string, d: string) => {
    let r = threads.get(id);
    if (!r) {
      r = { thread_id: id, first_day: d, last_day: d, turns: 0, total_tokens: 0, input_tokens: 0, output_tokens: 0, tool_calls: 0, tool_ms: 0, goal_status: null };
      threads.set(id, r);
    }
    if (d < r.first_day) r.first_day = d;
    if (d > r.last_day) r.last_day = d;
    return r;
  };
  for (const e of events) {
    const p = e.event.event_params;
    const d = dayOf(e.occurredAtMs);
    const th = e.threadId ? thread(e.threadId, d) : null;
    if (e.eventType === TURN_EVENT) {
      const r = day(d);
      r.turns++;
      if (p.status === "completed") r.completed++;
      else if (p.status === "failed") r.failed++;
      else if (p.status === "interrupted") r.interrupted++;
      r.input_tokens += n(p.input_tokens);
      r.cached_input_tokens += n(p.cached_input_tokens);
      r.output_tokens += n(p.output_tokens);
      r.reasoning_output_tokens += n(p.reasoning_output_tokens);
      r.total_tokens += n(p.total_tokens);
      if (th) {
        th.turns++;
        th.total_tokens += n(p.total_tokens);
        th.input_tokens += n(p.input_tokens);
        th.output_tokens += n(p.output_tokens);
      }
    } else if (TOOL_EVENTS.has(e.eventType)) {
      const ms = n(p.duration_ms);
      const r = day(d);
      r.tool_calls++;
      r.tool_ms += ms;
      const kind = eventKind(e.eventType);
      const name = typeof p.tool_name === "string" ? p.tool_name : "";
      const key = `${d}\u0000${kind}\u0000${name}`;
      let t = tools.get(key);
      if (!t) {
        t = { row: { day: d, kind, tool_name: name, calls: 0, failed: 0, total_ms: 0, avg_ms: 0, p50_ms: 0, max_ms: 0 }, durations: [] };
        tools.set(key, t);
      }
      t.row.calls++;
      if (p.terminal_status !== "completed") t.row.failed++;
      t.row.total_ms += ms;
      t.durations.push(ms);
      if (th) {
        th.tool_calls++;
        th.tool_ms += ms;
      }
    } else if (e.eventType === GOAL_EVENT && th) {
      th.goal_status = p.event_kind === "cleared" ? null : typeof p.goal_status === "string" ? p.goal_status : th.goal_status;
    }
  }
  const toolRows = [...tools.values()].map(({ row, durations }) => {
    durations.sort((a, b) => a - b);
    row.avg_ms = Math.round(row.total_ms / row.calls);
    row.p50_ms = durations[Math.floor((durations.length - 1) / 2)];
    row.max_ms = durations[durations.length - 1];
    return row;
  });
  toolRows.sort((a, b) => (a.day !== b.day ? (a.day < b.day ? -1 : 1) : a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.tool_name < b.tool_name ? -1 : a.tool_name > b.tool_name ? 1 : 0));
  return {
    days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0)),
    tools: toolRows,
    threads: [...threads.values()].sort((a, b) => b.total_tokens - a.total_tokens || (a.thread_id < b.thread_id ? -1 : 1)),
  };
}

/** Left-aligned text columns, right-aligned numbers. */
export function table(headers: string[], rows: Array<Array<string | number | null>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? "-" : String(c))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || r[i] === null));
  const width = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(width[i]) : i === r.length - 1 ? c : c.padEnd(width[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), line(width.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n") + "\n";
}

export function formatReport(r: Report): string {
  let s = "Turns and tokens per day (UTC)\n";
  s += r.days.length
    ? table(
        ["day", "turns", "completed", "failed", "interrupted", "input", "cached", "output", "reasoning", "total tokens", "tool calls", "tool ms"],
        r.days.map((d) => [d.day, d.turns, d.completed, d.failed, d.interrupted, d.input_tokens, d.cached_input_tokens, d.output_tokens, d.reasoning_output_tokens, d.total_tokens, d.tool_calls, d.tool_ms]),
      )
    : "(no turns)\n";
  s += "\nTool durations per day (ms, item started -> completed)\n";
  s += r.tools.length
    ? table(
        ["day", "kind", "tool", "calls", "not ok", "total", "avg", "p50", "max"],
        r.tools.map((t) => [t.day, t.kind, t.tool_name, t.calls, t.failed, t.total_ms, t.avg_ms, t.p50_ms, t.max_ms]),
      )
    : "(no tool calls)\n";
  s += "\nPer thread\n";
  s += r.threads.length
    ? table(
        ["thread", "first day", "last day", "turns", "total tokens", "input", "output", "tool calls", "tool ms", "goal"],
        r.threads.map((t) => [t.thread_id, t.first_day, t.last_day, t.turns, t.total_tokens, t.input_tokens, t.output_tokens, t.tool_calls, t.tool_ms, t.goal_status]),
      )
    : "(no threads)\n";
  return s;
}
