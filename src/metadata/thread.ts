// Builds the v2 `Thread` Codex answers for a stored thread, from its derived metadata.
import type { Json } from "../rollout/line.js";
import type { Thread, ThreadStatus } from "../protocol/v2.js";
import type { ThreadMetadata } from "./derive.js";

export interface StoredThreadFacts {
  meta: ThreadMetadata;
  path: string | null;
  name: string | null;
  updatedAtMs: number;
  recencyAtMs: number | null;
  defaultProvider: string;
}

/** Codex writes SessionSource snake_case on disk and camelCase (with `appServer`) on the wire. */
export function sessionSourceToV2(src: Json): Json {
  if (typeof src === "string") return src === "mcp" || src === "app_server" || src === "appserver" ? "appServer" : src;
  if (src && typeof src === "object" && !Array.isArray(src)) {
    if ("subagent" in src) return { subAgent: src.subagent };
    return src;
  }
  return "unknown";
}

/** The list filter's ThreadSourceKind for a stored SessionSource. */
export function sourceKind(src: Json): string {
  const v2 = sessionSourceToV2(src);
  if (typeof v2 === "string") return ["cli", "vscode", "exec", "appServer"].includes(v2) ? v2 : "unknown";
  if (v2 && typeof v2 === "object" && !Array.isArray(v2) && "subAgent" in v2) {
    const s = v2.subAgent;
    if (s === "review") return "subAgentReview";
    if (s === "compact") return "subAgentCompact";
    if (s && typeof s === "object" && !Array.isArray(s)) {
      if ("thread_spawn" in s) return "subAgentThreadSpawn";
      if ("other" in s) return "subAgentOther";
    }
    return "subAgent";
  }
  return "unknown";
}

const secs = (ms: number) => Math.floor(ms / 1000);

export function buildThread(f: StoredThreadFacts, opts: { status?: ThreadStatus; forList?: boolean } = {}): Thread {
  const m = f.meta;
  const git = m.gitSha !== null || m.gitBranch !== null || m.gitOriginUrl !== null ? { sha: m.gitSha, branch: m.gitBranch, originUrl: m.gitOriginUrl } : null;
  return {
    id: m.id,
    environments: null,
    extra: null,
    sessionId: m.sessionId || m.id,
    // Codex 0.169 lists threads from a table without the fork column: lists say null, reads say the parent
    forkedFromId: opts.forList ? null : m.forkedFromId,
    attachedToThreadId: null,
    parentThreadId: m.parentThreadId,
    preview: m.preview,
    ephemeral: false,
    section: null,
    sectionEnteredAt: null,
    projectId: null,
    historyMode: m.historyMode,
    modelProvider: m.modelProvider ?? f.defaultProvider,
    model: m.model,
    reasoningEffort: m.reasoningEffort,
    createdAt: secs(m.createdAtMs),
    updatedAt: secs(f.updatedAtMs),
    recencyAt: f.recencyAtMs === null ? null : secs(f.recencyAtMs),
    status: opts.status ?? { type: "notLoaded" },
    path: f.path,
    cwd: m.cwd,
    cliVersion: m.cliVersion,
    originator: m.originator,
    source: sessionSourceToV2(m.source),
    canAcceptDirectInput: null,
    threadSource: m.threadSource,
    agentNickname: m.agentNickname,
    agentRole: m.agentRole,
    gitInfo: git,
    name: f.name,
    daybreakEnabled: null,
    turns: [],
  };
}
