// Comparing two sets of analytics events per event type, the way the analytics comparison with
// the real Codex needs: the same event types (and counts), the same field names (nested objects
// included), the same JSON types, no null where Codex always sends a value (among events of the
// same kind: a turn's fields depend on how it ended), and the same values for enum-like fields.
// Ids, times, durations and counts inside events are not compared.

export interface AnalyticsEvent {
  event_type: string;
  event_params: Record<string, unknown>;
}

/** Fields whose values are spellings from a closed set (compared as sets per event type). */
export const ENUM_FIELDS: readonly string[] = [
  "initialization_mode",
  "turn_trigger",
  "thread_source",
  "subagent_source",
  "status",
  "terminal_status",
  "failure_kind",
  "final_approval_outcome",
  "tool_name",
  "tool_event_type",
  "command_execution_source",
  "sandbox_backend",
  "codex_error_kind",
  "turn_error",
  "subject_kind",
  "subject_name",
  "reviewer",
  "trigger",
  "resolution",
  "event_kind",
  "goal_status",
  "action",
  "sandbox_policy",
  "approval_policy",
  "approvals_reviewer",
  "service_tier",
  "reasoning_summary",
  "collaboration_mode",
  "multi_agent_version",
  "critical_path_status",
  "web_search_action",
  "submission_type",
  "app_server_client.rpc_transport",
  "runtime.runtime_os",
  "runtime.runtime_arch",
];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Field paths of params: nested objects dotted (`runtime.runtime_os`), arrays are leaves. */
export function fieldPaths(params: Record<string, unknown>, prefix = "", out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(params)) {
    out.set(prefix + k, v);
    if (isObj(v)) fieldPaths(v, `${prefix}${k}.`, out);
  }
  return out;
}

const jsonType = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/** Events of one kind within a type: a turn by how it ended, a tool call by its outcome. */
function kindOf(e: AnalyticsEvent): string {
  const p = e.event_params;
  if (e.event_type === "codex_turn_event") return `status=${String(p.status)}`;
  if (typeof p.terminal_status === "string") return `terminal_status=${p.terminal_status}`;
  if (typeof p.event_kind === "string") return `event_kind=${p.event_kind}`;
  return "";
}

const byType = (events: AnalyticsEvent[]) => {
  const m = new Map<string, AnalyticsEvent[]>();
  for (const e of events) m.set(e.event_type, [...(m.get(e.event_type) ?? []), e]);
  return m;
};

const sorted = (s: Iterable<string>) => [...s].sort().join(", ");

export interface CompareOptions {
  /** Event types whose counts may differ (Codex's own runs vary there). */
  countsMayDiffer?: ReadonlySet<string>;
  /**
   * Fields whose value (and, where Codex leaves them out when null, presence) varies between
   * runs of the same server: not compared.
   */
  runVarying?: ReadonlySet<string>;
  /** Compare enum spellings as sets (default true; off when the two sets come from different scenarios). */
  enums?: boolean;
}

/** Every difference between Codex's events and Spool's, as readable lines (empty: they match). */
export function compareAnalytics(codex: AnalyticsEvent[], spool: AnalyticsEvent[], o: CompareOptions = {}): string[] {
  const problems: string[] = [];
  const C = byType(codex);
  const S = byType(spool);
  for (const t of C.keys()) if (!S.has(t)) problems.push(`${t}: sent by Codex (${C.get(t)!.length}), never by Spool`);
  for (const t of S.keys()) if (!C.has(t)) problems.push(`${t}: sent by Spool (${S.get(t)!.length}), never by Codex`);
  for (const [t, ce] of C) {
    const se = S.get(t);
    if (!se) continue;
    if (ce.length !== se.length && !o.countsMayDiffer?.has(t)) problems.push(`${t}: Codex sent ${ce.length}, Spool ${se.length}`);
    const cf = ce.map((e) => fieldPaths(e.event_params));
    const sf = se.map((e) => fieldPaths(e.event_params));
    const cKeys = new Set(cf.flatMap((m) => [...m.keys()]));
    const sKeys = new Set(sf.flatMap((m) => [...m.keys()]));
    const varying = (k: string) => o.runVarying?.has(k) ?? false;
    const missing = [...cKeys].filter((k) => !sKeys.has(k) && !varying(k));
    const extra = [...sKeys].filter((k) => !cKeys.has(k) && !varying(k));
    if (missing.length) problems.push(`${t}: fields Spool lacks: ${sorted(missing)}`);
    if (extra.length) problems.push(`${t}: fields only Spool sends: ${sorted(extra)}`);
    // JSON types: whatever Spool sends (not null) Codex sends with the same type
    for (const k of sKeys) {
      if (!cKeys.has(k)) continue;
      const ct = new Set(cf.map((m) => (m.has(k) ? jsonType(m.get(k)) : "null")).filter((x) => x !== "null"));
      const st = new Set(sf.map((m) => (m.has(k) ? jsonType(m.get(k)) : "null")).filter((x) => x !== "null"));
      const odd = [...st].filter((x) => !ct.has(x) && ct.size > 0);
      if (odd.length) problems.push(`${t}.${k}: Spool sends ${sorted(odd)}, Codex ${sorted(ct)}`);
    }
    // nullability, per kind of event
    const kinds = new Set(ce.map(kindOf));
    for (const kind of kinds) {
      const cm = cf.filter((_, i) => kindOf(ce[i]) === kind);
      const sm = sf.filter((_, i) => kindOf(se[i]) === kind);
      for (const k of cKeys) {
        const codexAlways = cm.every((m) => m.has(k) && m.get(k) !== null);
        const spoolNull = sm.some((m) => m.has(k) && m.get(k) === null);
        if (codexAlways && spoolNull) problems.push(`${t}${kind ? ` (${kind})` : ""}: ${k} is null from Spool, Codex always sends a value`);
      }
    }
    for (const k of ENUM_FIELDS) {
      if (varying(k) || o.enums === false) continue;
      const cv = new Set(cf.filter((m) => m.has(k)).map((m) => JSON.stringify(m.get(k))));
      const sv = new Set(sf.filter((m) => m.has(k)).map((m) => JSON.stringify(m.get(k))));
      if (cv.size === 0 && sv.size === 0) continue;
      if (sorted(cv) !== sorted(sv)) problems.push(`${t}.${k}: Codex sends {${sorted(cv)}}, Spool {${sorted(sv)}}`);
    }
  }
  return problems;
}

/** Counts per event type. */
export function countByType(events: AnalyticsEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e.event_type] = (out[e.event_type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
