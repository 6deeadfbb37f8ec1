// Pure reducer from rollout lines to the metadata Codex lists threads by (preview, model, cwd,
// source, git, …). Shared by the index scanner and, later, LiveThread's metadata sync.
import { arr, num, obj, str, type Json, type JsonObject, type RolloutLine } from "../rollout/line.js";

export interface ThreadMetadata {
  id: string;
  sessionId: string;
  forkedFromId: string | null;
  parentThreadId: string | null;
  createdAtMs: number;
  cwd: string;
  cliVersion: string;
  originator: string | null;
  /** SessionSource exactly as Codex wrote it in session_meta (snake_case JSON). */
  source: Json;
  threadSource: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  gitSha: string | null;
  gitBranch: string | null;
  gitOriginUrl: string | null;
  modelProvider: string | null;
  historyMode: "legacy" | "paginated";
  model: string | null;
  reasoningEffort: string | null;
  preview: string;
  /** Latest `thread_name_updated` seen in the rollout (session_index.jsonl wins over it). */
  rolloutName: string | null;
  tokensUsed: number;
  hasUserEvent: boolean;
}

/** Codex prefixes some user messages with context; the user's words follow this marker. */
const USER_MESSAGE_BEGIN = "## My request for Codex:";

export function emptyMetadata(): ThreadMetadata {
  return {
    id: "",
    sessionId: "",
    forkedFromId: null,
    parentThreadId: null,
    createdAtMs: 0,
    cwd: "",
    cliVersion: "",
    originator: null,
    source: "vscode",
    threadSource: null,
    agentNickname: null,
    agentRole: null,
    gitSha: null,
    gitBranch: null,
    gitOriginUrl: null,
    modelProvider: null,
    historyMode: "legacy",
    model: null,
    reasoningEffort: null,
    preview: "",
    rolloutName: null,
    tokensUsed: 0,
    hasUserEvent: false,
  };
}

/** Parses RFC 3339 or Codex's legacy file-name form `YYYY-MM-DDThh-mm-ss`. */
export function parseTimestampMs(s: string): number | null {
  let t = Date.parse(s);
  if (!Number.isNaN(t)) return t;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(.*)$/.exec(s);
  if (m) t = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}${m[5] || "Z"}`);
  return Number.isNaN(t) ? null : t;
}

function userText(raw: string): string {
  const i = raw.indexOf(USER_MESSAGE_BEGIN);
  return (i >= 0 ? raw.slice(i + USER_MESSAGE_BEGIN.length) : raw).trim();
}

function applySessionMeta(m: ThreadMetadata, p: JsonObject, lineTimestamp: string): void {
  const id = str(p.id);
  if (!id) return;
  // a fork or a metadata rewrite may carry other threads' session_meta lines: first one wins
  if (m.id && id !== m.id) return;
  const first = !m.id;
  m.id = id;
  if (first) {
    m.sessionId = str(p.session_id) ?? id;
    m.createdAtMs = parseTimestampMs(str(p.timestamp) ?? lineTimestamp) ?? parseTimestampMs(lineTimestamp) ?? 0;
    m.forkedFromId = str(p.forked_from_id);
    m.historyMode = str(p.history_mode) === "paginated" ? "paginated" : "legacy";
  }
  m.parentThreadId = str(p.parent_thread_id) ?? m.parentThreadId;
  if (str(p.cwd)) m.cwd = str(p.cwd)!;
  if (str(p.cli_version)) m.cliVersion = str(p.cli_version)!;
  if (str(p.originator)) m.originator = str(p.originator);
  if (p.source !== undefined && p.source !== null) m.source = p.source;
  m.threadSource = str(p.thread_source) ?? m.threadSource;
  m.agentNickname = str(p.agent_nickname) ?? m.agentNickname;
  m.agentRole = str(p.agent_role) ?? str(p.agent_type) ?? m.agentRole;
  if (str(p.model_provider)) m.modelProvider = str(p.model_provider);
  const git = obj(p.git);
  if (git) {
    m.gitSha = str(git.commit_hash);
    m.gitBranch = str(git.branch);
    m.gitOriginUrl = str(git.repository_url);
  }
}

/**
 * The preview a user event gives (`user_message`, or `item_completed` of a UserMessage): the text
 * after the context marker, trimmed, else "[Image]" for an image-only message, else "".
 * `null` when the event is not a user message.
 */
export function userEventPreview(p: JsonObject): string | null {
  let text: string;
  let images: boolean;
  if (p.type === "user_message") {
    text = str(p.message) ?? "";
    images = arr(p.images).length + arr(p.local_images).length > 0;
  } else if (p.type === "item_completed") {
    const item = obj(p.item);
    if (item?.type !== "UserMessage") return null;
    const parts = arr(item.content).map(obj);
    text = parts.filter((c) => c?.type === "text").map((c) => str(c!.text) ?? "").join("\n");
    images = parts.some((c) => c?.type === "image" || c?.type === "local_image");
  } else {
    return null;
  }
  return userText(text) || (images ? "[Image]" : "");
}

function applyEvent(m: ThreadMetadata, p: JsonObject): void {
  switch (p.type) {
    case "user_message":
    case "item_completed": {
      const preview = userEventPreview(p);
      if (preview === null) return;
      m.hasUserEvent = true;
      if (!m.preview) m.preview = preview;
      return;
    }
    case "token_count": {
      const total = obj(obj(p.info)?.total_token_usage);
      const n = num(total?.total_tokens);
      if (n !== null) m.tokensUsed = n;
      return;
    }
    case "thread_name_updated":
      m.rolloutName = str(p.thread_name);
      return;
    case "thread_settings_applied": {
      const s = obj(p.thread_settings);
      if (s && str(s.model)) m.model = str(s.model);
      if (s && "reasoning_effort" in s) m.reasoningEffort = str(s.reasoning_effort);
      return;
    }
    case "thread_goal_updated":
      if (!m.preview) m.preview = str(obj(p.goal)?.objective)?.trim() ?? "";
      return;
  }
}

/** Folds one line into the metadata (mutates and returns it). */
export function reduceMetadata(m: ThreadMetadata, line: RolloutLine): ThreadMetadata {
  const p = line.payload;
  switch (line.type) {
    case "session_meta":
      applySessionMeta(m, p, line.timestamp);
      break;
    case "turn_context":
      if (!m.cwd && str(p.cwd)) m.cwd = str(p.cwd)!;
      if (str(p.model)) m.model = str(p.model);
      m.reasoningEffort = str(p.effort) ?? m.reasoningEffort;
      break;
    case "event_msg":
      applyEvent(m, p);
      break;
  }
  return m;
}

/** How much of a line's start the pre-filters look at: Codex writes both type tags within it. */
export const METADATA_HEAD_BYTES = 256;

/** Cheap pre-filter on the raw line: can this line change the metadata at all? */
export function mayAffectMetadata(text: string): boolean {
  const head = text.slice(0, METADATA_HEAD_BYTES);
  if (head.includes('"type":"session_meta"') || head.includes('"type":"turn_context"')) return true;
  if (!head.includes('"type":"event_msg"')) return false;
  return /"type":"(user_message|item_completed|token_count|thread_name_updated|thread_settings_applied|thread_goal_updated)"/.test(head);
}

/**
 * The same pre-filter knowing the metadata folded so far: once a user event has set the preview,
 * user events (most of a rollout's event lines) and goal objectives can no longer change it, so
 * the scanner skips them without parsing. False positives only cost a parse; the reducer decides.
 */
export function mayChangeMetadata(head: string, m: ThreadMetadata): boolean {
  if (!mayAffectMetadata(head)) return false;
  if (!m.hasUserEvent || !m.preview) return true;
  return !/"type":"(user_message|item_completed|thread_goal_updated)"/.test(head);
}
