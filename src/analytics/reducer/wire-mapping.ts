// v2 wire values mapped to the values analytics events report: session sources (subagent kind
// and parent, thread_source), a start/resume/fork answer's effective settings, and error kinds.
import type { ThreadSessionResult } from "../protocol.js";
import type { ThreadSettings } from "./state.js";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** The SubAgentSource name of a v2 SessionSource `{subAgent: …}`, and its spawn parent. */
export function subagentOf(source: unknown): { name: string; parentThreadId: string | null } | null {
  if (!isObj(source)) return null;
  const sub = source.subAgent ?? source.sub_agent ?? source.subagent;
  if (sub === undefined) return null;
  if (typeof sub === "string") return { name: snake(sub), parentThreadId: null };
  if (isObj(sub)) {
    const spawn = sub.thread_spawn ?? sub.threadSpawn;
    if (isObj(spawn)) {
      const p = spawn.parent_thread_id ?? spawn.parentThreadId;
      return { name: "thread_spawn", parentThreadId: typeof p === "string" ? p : null };
    }
    if (typeof sub.other === "string") return { name: sub.other, parentThreadId: null };
    const k = Object.keys(sub)[0];
    if (k) return { name: snake(k), parentThreadId: null };
  }
  return { name: "other", parentThreadId: null };
}

/**
 * The analytics thread_source: the thread's own ThreadSource when it has one (`user`,
 * `subagent`, `memory_consolidation` or a feature's label such as `automation`), else derived
 * from a subagent session source (`subagent`, or `memory_consolidation`), else null.
 */
export function threadSourceName(threadSource: string | null, source: unknown): string | null {
  if (threadSource) return threadSource;
  // Codex 0.169 reports no source for the threads a client starts (its `thread_source` is null)
  const sub = subagentOf(source);
  if (sub) return sub.name === "memory_consolidation" ? "memory_consolidation" : "subagent";
  return null;
}

function sandboxPolicyName(t: string | null | undefined): string | null {
  switch (t) {
    case "dangerFullAccess":
    case "danger-full-access":
      return "full_access";
    case "externalSandbox":
      return "external_sandbox";
    case "readOnly":
    case "read-only":
      return "read_only";
    case "workspaceWrite":
    case "workspace-write":
      return "workspace_write";
    default:
      return null;
  }
}

export function settingsFrom(r: ThreadSessionResult): ThreadSettings {
  const sb = r.sandbox;
  let network = false;
  if (sb) {
    if (sb.type === "dangerFullAccess") network = true;
    else if (typeof sb.networkAccess === "boolean") network = sb.networkAccess;
    else if (sb.networkAccess === "enabled") network = true;
  }
  const ap = r.approvalPolicy;
  return {
    model: r.model ?? r.thread.model,
    modelProvider: r.modelProvider ?? r.thread.modelProvider,
    serviceTier: r.serviceTier,
    approvalPolicy: typeof ap === "string" ? ap : isObj(ap) ? (Object.keys(ap)[0] ?? null) : null,
    approvalsReviewer: r.approvalsReviewer,
    sandboxPolicy: sandboxPolicyName(sb?.type),
    sandboxNetworkAccess: network,
    reasoningEffort: r.reasoningEffort,
    reasoningSummary: null,
  };
}

/** CodexErrorInfo -> (kind, http status). */
export function errorKind(info: unknown): { kind: string | null; http: number | null } {
  if (typeof info === "string") return { kind: snake(info), http: null };
  if (isObj(info)) {
    const k = Object.keys(info)[0];
    if (!k) return { kind: null, http: null };
    const body = info[k];
    const code = isObj(body) ? (body.httpStatusCode ?? body.http_status_code) : null;
    return { kind: snake(k), http: typeof code === "number" ? code : null };
  }
  return { kind: null, http: null };
}

/**
 * The error kind of a failed turn from the model error that failed it (the turn engine's report):
 * Codex tells a refused request (HTTP 400) apart as `invalid_request`, though the turn's own
 * CodexErrorInfo says `other`.
 */
export function failureKind(codexErrorInfo: unknown, httpStatus: number | null): { kind: string | null; http: number | null } {
  const base = errorKind(codexErrorInfo);
  if (base.kind === "other" && httpStatus === 400) return { kind: "invalid_request", http: base.http };
  return base;
}
