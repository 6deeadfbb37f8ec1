// The v2 shapes the live methods answer with: a Thread from a StoredThread (the store's view,
// metadata overlay included), the settings block of thread/start, resume and fork responses, the
// turn a turn/start returns, and the token usage a resume re-sends.
import { buildThread } from "../metadata/thread.js";
import type { ThreadMetadata } from "../metadata/derive.js";
import type { Thread, ThreadStatus, Turn } from "../protocol/v2.js";
import type { JsonObject } from "../rollout/line.js";
import type { RolloutItem, StoredThread } from "../store/types.js";
import type { ApprovalPolicy, SandboxMode, WorkspaceWriteOptions } from "../agent/config.js";
import { usageBreakdown, usageFromRollout } from "../agent/token-usage.js";

/**
 * The v2 Thread of a stored thread; `live` adds what Codex shows for a loaded one (environment,
 * direct input); an `ephemeral` one has no path and, as in Codex, no preview and the history
 * mode of a thread never written to a rollout (paginated).
 */
export function threadFromStored(s: StoredThread, opts: { status?: ThreadStatus; live?: { cwd: string; model: string; reasoningEffort: string | null }; ephemeral?: boolean } = {}): Thread {
  const meta: ThreadMetadata = {
    id: s.threadId,
    sessionId: s.sessionId,
    forkedFromId: s.forkedFromId,
    parentThreadId: s.parentThreadId,
    createdAtMs: s.createdAtMs,
    cwd: s.cwd,
    cliVersion: s.cliVersion,
    originator: s.originator,
    source: s.source,
    threadSource: s.threadSource,
    agentNickname: s.agentNickname,
    agentRole: s.agentRole,
    gitSha: s.gitInfo?.sha ?? null,
    gitBranch: s.gitInfo?.branch ?? null,
    gitOriginUrl: s.gitInfo?.originUrl ?? null,
    modelProvider: s.modelProvider,
    historyMode: s.historyMode,
    model: s.model,
    reasoningEffort: s.reasoningEffort,
    preview: s.preview,
    rolloutName: s.name,
    tokensUsed: s.tokensUsed,
    hasUserEvent: s.preview !== "",
  };
  const t = buildThread({ meta, path: s.rolloutPath, name: s.name, updatedAtMs: s.updatedAtMs, recencyAtMs: s.recencyAtMs, defaultProvider: s.modelProvider }, { status: opts.status });
  if (s.gitInfo) t.gitInfo = { sha: s.gitInfo.sha, branch: s.gitInfo.branch, originUrl: s.gitInfo.originUrl };
  if (opts.live) withLiveFields(t, opts.live);
  if (opts.ephemeral) Object.assign(t, { ephemeral: true, path: null, preview: "", historyMode: "paginated" });
  return t;
}

/** What Codex shows of a loaded thread beyond its stored metadata: its environment, direct input, the model it runs. */
export function withLiveFields(t: Thread, live: { cwd: string; model: string; reasoningEffort: string | null }): Thread {
  t.environments = [{ environmentId: "local", cwd: live.cwd, runtimeWorkspaceRoots: [live.cwd] }];
  t.canAcceptDirectInput = true;
  t.model ??= live.model;
  if (t.reasoningEffort === null) t.reasoningEffort = live.reasoningEffort;
  return t;
}

/** v2 SandboxPolicy (camelCase) of a sandbox mode (with `[sandbox_workspace_write]` when given). */
export function sandboxPolicyV2(mode: SandboxMode, ww?: WorkspaceWriteOptions): JsonObject {
  switch (mode) {
    case "danger-full-access":
      return { type: "dangerFullAccess" };
    case "read-only":
      return { type: "readOnly", networkAccess: false };
    default:
      return {
        type: "workspaceWrite",
        writableRoots: ww?.writableRoots ?? [],
        networkAccess: ww?.networkAccess ?? false,
        excludeTmpdirEnvVar: ww?.excludeTmpdirEnvVar ?? false,
        excludeSlashTmp: ww?.excludeSlashTmp ?? false,
      };
  }
}

/** The sandbox mode a v2 SandboxPolicy asks for (turn/start's `sandboxPolicy`). */
export function sandboxModeOf(policy: unknown): SandboxMode | undefined {
  const type = policy && typeof policy === "object" ? (policy as { type?: unknown }).type : undefined;
  if (type === "dangerFullAccess" || type === "externalSandbox") return "danger-full-access";
  if (type === "readOnly") return "read-only";
  if (type === "workspaceWrite") return "workspace-write";
  return undefined;
}

/** The `[sandbox_workspace_write]` options a v2 workspaceWrite SandboxPolicy carries. */
export function workspaceWriteOf(policy: unknown): WorkspaceWriteOptions | undefined {
  const p = policy && typeof policy === "object" ? (policy as Record<string, unknown>) : null;
  if (p?.type !== "workspaceWrite") return undefined;
  const roots = Array.isArray(p.writableRoots) ? p.writableRoots.filter((r): r is string => typeof r === "string") : [];
  return { writableRoots: roots, networkAccess: p.networkAccess === true, excludeTmpdirEnvVar: p.excludeTmpdirEnvVar === true, excludeSlashTmp: p.excludeSlashTmp === true };
}

/** AskForApproval on the wire: Codex 0.169.0 has no "on-failure" any more (it behaves as on-request). */
export function approvalPolicyV2(p: ApprovalPolicy): string {
  return p === "on-failure" ? "on-request" : p;
}

/** The policy a request's AskForApproval selects (granular objects run as on-request). */
export function approvalPolicyOf(v: unknown): ApprovalPolicy | undefined {
  if (v === "untrusted" || v === "on-request" || v === "never" || v === "on-failure") return v;
  if (v && typeof v === "object") return "on-request";
  return undefined;
}

export interface EffectiveSettings {
  model: string;
  modelProvider: string;
  cwd: string;
  approvalPolicy: ApprovalPolicy;
  sandboxMode: SandboxMode;
  /** `[sandbox_workspace_write]` from config.toml, shown in the answer's `sandbox`. */
  workspaceWrite?: WorkspaceWriteOptions;
  reasoningEffort: string | null;
}

/** The fields thread/start, thread/resume and thread/fork answer beside `thread`. */
export function settingsBlock(s: EffectiveSettings): JsonObject {
  return {
    model: s.model,
    modelProvider: s.modelProvider,
    serviceTier: null,
    disabledPluginIds: [],
    cwd: s.cwd,
    runtimeWorkspaceRoots: [s.cwd],
    instructionSources: [],
    approvalPolicy: approvalPolicyV2(s.approvalPolicy),
    approvalsReviewer: "user",
    sandbox: sandboxPolicyV2(s.sandboxMode, s.workspaceWrite),
    activePermissionProfile: null,
    reasoningEffort: s.reasoningEffort,
  };
}

/** thread/start and thread/fork: { thread, …settings, multiAgentMode }. */
export function startResponse(thread: Thread, s: EffectiveSettings): JsonObject {
  return { thread: thread as unknown as JsonObject, ...settingsBlock(s), multiAgentMode: "explicitRequestOnly" };
}

/** thread/resume: the start fields plus the collaboration mode and (unused) paging cursors. */
export function resumeResponse(thread: Thread, s: EffectiveSettings): JsonObject {
  return {
    thread: thread as unknown as JsonObject,
    ...settingsBlock(s),
    collaborationMode: { mode: "default", settings: { model: s.model, reasoning_effort: s.reasoningEffort, developer_instructions: null } },
    multiAgentMode: "explicitRequestOnly",
    initialTurnsPage: null,
    turnsBackwardsCursor: null,
    itemsBackwardsCursor: null,
  };
}

/** The turn turn/start answers with: in progress, nothing loaded, not started yet. */
export function pendingTurn(id: string): Turn {
  return { id, rootTurnId: id, items: [], itemsView: "notLoaded", status: "inProgress", error: null, startedAt: null, completedAt: null, durationMs: null };
}

/** Settings the thread last ran a turn with: the latest `turn_context` (model, effort, cwd). */
export function lastTurnContext(history: readonly RolloutItem[]): { model: string | null; effort: string | null; cwd: string | null } {
  for (let i = history.length - 1; i >= 0; i--) {
    const it = history[i];
    if (it.type !== "turn_context") continue;
    const p = it.payload;
    return { model: typeof p.model === "string" ? p.model : null, effort: typeof p.effort === "string" ? p.effort : null, cwd: typeof p.cwd === "string" ? p.cwd : null };
  }
  return { model: null, effort: null, cwd: null };
}

/** The base instructions recorded in the thread's session_meta. */
export function baseInstructionsOf(history: readonly RolloutItem[]): string | null {
  const meta = history.find((it) => it.type === "session_meta");
  const bi = meta?.payload.base_instructions;
  if (typeof bi === "string") return bi;
  if (bi && typeof bi === "object" && !Array.isArray(bi) && typeof bi.text === "string") return bi.text;
  return null;
}

/**
 * `thread/tokenUsage/updated` params for the usage persisted in the history (the last
 * `token_count` with info, and the turn it was counted in), or null when none was.
 */
export function persistedTokenUsage(threadId: string, history: readonly RolloutItem[], fallbackWindow: number): JsonObject | null {
  let turnId: string | null = null;
  let found: { turnId: string | null; info: JsonObject } | null = null;
  for (const it of history) {
    if (it.type !== "event_msg") continue;
    const p = it.payload;
    if ((p.type === "task_started" || p.type === "turn_started") && typeof p.turn_id === "string") turnId = p.turn_id;
    else if (p.type === "token_count" && p.info && typeof p.info === "object" && !Array.isArray(p.info)) found = { turnId, info: p.info as JsonObject };
  }
  if (!found) return null;
  const total = usageFromRollout(found.info.total_token_usage);
  const last = usageFromRollout(found.info.last_token_usage) ?? total;
  if (!total || !last) return null;
  const window = typeof found.info.model_context_window === "number" ? found.info.model_context_window : fallbackWindow;
  return { threadId, turnId: found.turnId ?? "", tokenUsage: { total: usageBreakdown(total), last: usageBreakdown(last), modelContextWindow: window } };
}
