// The rollout items a turn writes, in Codex 0.169.0's shapes, for both ways Codex reads history:
//  - the paginated-era lines: `task_started`, `turn_context`, `response_item`s (what the model
//    saw and said), `item_completed` with a core TurnItem (UserMessage, AgentMessage, Reasoning,
//    CommandExecution, FileChange, WebSearch), `token_count`, `task_complete`, `turn_aborted`;
//  - the legacy events Codex's classic replay builds items from (Spool writes threads in
//    "legacy" history mode): `user_message`, `agent_message`, `agent_reasoning`
//    (+ `_raw_content`), `web_search_end`, `patch_apply_end`, and `exec_command_end` (which
//    Codex 0.169.0's replay ignores; kept for the extended history older releases read).
// Each builder returns the items of one moment in the order Codex writes them. The v2 item the
// client is notified about is derived from the same core item with src/history's converters,
// so what a listener sees live is what a reader of the paginated lines gets back.
import { pathToFileURL } from "node:url";
import type { Json, JsonObject } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import type { RolloutItem } from "../store/types.js";
import { coreItemToThreadItem } from "../history/items.js";
import type { ApprovalPolicy, SandboxMode } from "./config.js";
import type { TokenUsage } from "./token-usage.js";
import { localDateAndZone } from "../context/clock.js";

export const ev = (payload: JsonObject): RolloutItem => ({ type: "event_msg", payload });
export const ri = (payload: JsonObject): RolloutItem => ({ type: "response_item", payload });

/** The v2 item for a core TurnItem (the converters Spool reads rollouts with). */
export function threadItem(core: JsonObject, startedAtMs: number | null, completedAtMs: number | null): ThreadItem {
  const item = coreItemToThreadItem(core, startedAtMs, completedAtMs);
  if (!item) throw new Error(`no v2 item for core item ${String(core.type)}`);
  return item;
}

function itemCompleted(threadId: string, turnId: string, item: JsonObject, startedAtMs: number, completedAtMs: number): RolloutItem {
  return ev({ type: "item_completed", thread_id: threadId, turn_id: turnId, item, started_at_ms: startedAtMs, completed_at_ms: completedAtMs });
}

// ---------------------------------------------------------------------------------------------
// turn lifecycle

/** Who started a turn other than the user (Codex's `turn_attribution`: a goal continuation is trigger "goal"). */
export interface TurnAttribution {
  trigger: string;
  /** The turn this one follows (a goal continuation: the previous turn). */
  parentTurnId: string | null;
  /** The root of the turn chain (default: the parent's root, else the turn itself). */
  rootTurnId?: string | null;
}

/**
 * `task_started`. A turn with an attribution records it as Codex does (`turn_attribution` with the
 * trigger, the parent turn and the root of the chain; the turn's `root_turn_id` is the chain's).
 */
export function taskStarted(turnId: string, startedAt: number, contextWindow: number, opts: { rootTurnId?: string; attribution?: TurnAttribution | null; collaborationMode?: string } = {}): RolloutItem {
  const root = opts.rootTurnId ?? turnId;
  const p: JsonObject = { type: "task_started" };
  const a = opts.attribution;
  if (a) p.turn_attribution = { turn_id: turnId, turn_trigger: a.trigger, parent_turn_id: a.parentTurnId, initiating_agent_path: null, root_turn_id: root };
  return ev(Object.assign(p, { turn_id: turnId, root_turn_id: root, started_at: startedAt, model_context_window: contextWindow, collaboration_mode_kind: opts.collaborationMode ?? "default" }));
}

export function sandboxPolicy(mode: SandboxMode): JsonObject {
  if (mode === "workspace-write") return { type: "workspace-write", writable_roots: [], network_access: false, exclude_tmpdir_env_var: false, exclude_slash_tmp: false };
  return { type: mode };
}

export interface TurnContextFields {
  turnId: string;
  /** The root of the turn's chain (default: the turn). */
  rootTurnId?: string;
  cwd: string;
  approvalPolicy: ApprovalPolicy;
  sandboxMode: SandboxMode;
  model: string;
  effort: string | null;
  summary: string;
  now: Date;
}

export { localDateAndZone };

export function turnContext(f: TurnContextFields): RolloutItem {
  const { date, timezone } = localDateAndZone(f.now);
  const p: JsonObject = {
    turn_id: f.turnId,
    root_turn_id: f.rootTurnId ?? f.turnId,
    cwd: f.cwd,
    current_date: date,
    timezone,
    approval_policy: f.approvalPolicy,
    sandbox_policy: sandboxPolicy(f.sandboxMode),
    model: f.model,
  };
  if (f.effort) p.effort = f.effort;
  p.summary = f.summary;
  return { type: "turn_context", payload: p };
}

export function taskComplete(f: {
  turnId: string;
  rootTurnId?: string;
  lastAgentMessage: string | null;
  error: JsonObject | null;
  startedAt: number;
  completedAt: number;
  durationMs: number;
  timeToFirstTokenMs: number | null;
}): RolloutItem {
  const p: JsonObject = { type: "task_complete", root_turn_id: f.rootTurnId ?? f.turnId, turn_id: f.turnId, last_agent_message: f.lastAgentMessage };
  if (f.error) p.error = f.error;
  p.started_at = f.startedAt;
  p.completed_at = f.completedAt;
  p.duration_ms = f.durationMs;
  if (f.timeToFirstTokenMs !== null) p.time_to_first_token_ms = f.timeToFirstTokenMs;
  return ev(p);
}

export const TURN_ABORTED_TEXT =
  "<turn_aborted>\nThe user interrupted the previous turn on purpose. Commands that were running were stopped and may have partially executed.\n</turn_aborted>";

export function turnAborted(f: { turnId: string; rootTurnId?: string; startedAt: number; completedAt: number; durationMs: number }): RolloutItem[] {
  return [
    ri({ type: "message", role: "user", content: [{ type: "input_text", text: TURN_ABORTED_TEXT }] }),
    ev({ type: "turn_aborted", root_turn_id: f.rootTurnId ?? f.turnId, turn_id: f.turnId, reason: "interrupted", started_at: f.startedAt, completed_at: f.completedAt, duration_ms: f.durationMs }),
  ];
}

export function tokenCount(total: TokenUsage, last: TokenUsage, contextWindow: number): RolloutItem {
  return ev({
    type: "token_count",
    info: { total_token_usage: { ...total }, last_token_usage: { ...last }, last_usage_includes_reasoning: false, model_context_window: contextWindow },
    rate_limits: null,
  });
}

// ---------------------------------------------------------------------------------------------
// user input

/** v2 UserInput as turn/start and turn/steer take it. */
export type UserInput =
  | { type: "text"; text: string; text_elements?: Json[] }
  | { type: "image"; url: string }
  | { type: "localImage"; path: string };

export interface BuiltUserMessage {
  items: RolloutItem[];
  item: ThreadItem;
  /** For the model: the response item content. */
  text: string;
}

export function userMessage(threadId: string, turnId: string, itemId: string, input: UserInput[], atMs: number, imageUrl: (path: string) => string | null): BuiltUserMessage {
  const content: Json[] = [];
  const core: Json[] = [];
  const texts: string[] = [];
  const images: string[] = [];
  const localImages: string[] = [];
  for (const i of input) {
    if (i.type === "text") {
      content.push({ type: "input_text", text: i.text });
      core.push({ type: "text", text: i.text, text_elements: i.text_elements ?? [] });
      texts.push(i.text);
    } else if (i.type === "image") {
      content.push({ type: "input_image", image_url: i.url });
      core.push({ type: "image", image_url: i.url });
      images.push(i.url);
    } else {
      const url = imageUrl(i.path);
      if (url) content.push({ type: "input_image", image_url: url });
      else content.push({ type: "input_text", text: `<image path="${i.path}">could not be read</image>` });
      core.push({ type: "local_image", path: i.path });
      localImages.push(i.path);
    }
  }
  const text = texts.join("\n");
  const coreItem: JsonObject = { type: "UserMessage", id: itemId, content: core };
  return {
    items: [
      ri({ type: "message", role: "user", content }),
      // before its legacy event: the reader gives the legacy item this id (src/history/spool-ids.ts)
      itemCompleted(threadId, turnId, coreItem, atMs, atMs),
      ev({ type: "user_message", message: text, images, local_images: localImages, text_elements: [] }),
    ],
    item: threadItem(coreItem, atMs, atMs),
    text,
  };
}

// ---------------------------------------------------------------------------------------------
// model output

/** The text of an assistant `message` output item (its output_text parts). */
export function messageText(item: JsonObject): string {
  let text = "";
  for (const c of Array.isArray(item.content) ? item.content : []) {
    if (c && typeof c === "object" && !Array.isArray(c) && typeof c.text === "string" && (c.type === "output_text" || c.type === "text")) text += c.text;
  }
  return text;
}

export function agentMessage(threadId: string, turnId: string, id: string, item: JsonObject, startedAtMs: number, completedAtMs: number): { items: RolloutItem[]; item: ThreadItem; text: string } {
  const text = messageText(item);
  const core: JsonObject = { type: "AgentMessage", id, content: [{ type: "Text", text }] };
  if (typeof item.phase === "string") core.phase = item.phase;
  return {
    items: [itemCompleted(threadId, turnId, core, startedAtMs, completedAtMs), ev({ type: "agent_message", message: text, phase: typeof item.phase === "string" ? item.phase : null }), ri({ ...item, id })],
    item: threadItem(core, startedAtMs, completedAtMs),
    text,
  };
}

const partTexts = (v: Json | undefined): string[] =>
  (Array.isArray(v) ? v : []).flatMap((p) => (p && typeof p === "object" && !Array.isArray(p) && typeof p.text === "string" ? [p.text] : []));

export function reasoning(threadId: string, turnId: string, id: string, item: JsonObject, startedAtMs: number, completedAtMs: number): { items: RolloutItem[]; item: ThreadItem } {
  const summary = partTexts(item.summary);
  const raw = partTexts(item.content);
  const core: JsonObject = { type: "Reasoning", id, summary_text: summary, raw_content: raw };
  return {
    items: [
      itemCompleted(threadId, turnId, core, startedAtMs, completedAtMs),
      ...summary.map((text) => ev({ type: "agent_reasoning", text })),
      ...raw.map((text) => ev({ type: "agent_reasoning_raw_content", text })),
      ri({ ...item, id }),
    ],
    item: threadItem(core, startedAtMs, completedAtMs),
  };
}

/** The query a web_search_call shows (its search query, else the page it opened). */
function webSearchQuery(action: Json | undefined): string {
  if (!action || typeof action !== "object" || Array.isArray(action)) return "";
  if (typeof action.query === "string") return action.query;
  if (Array.isArray(action.queries)) return action.queries.filter((q) => typeof q === "string").join(", ");
  if (typeof action.url === "string") return action.url;
  return "";
}

export function webSearch(threadId: string, turnId: string, id: string, item: JsonObject, startedAtMs: number, completedAtMs: number): { items: RolloutItem[]; item: ThreadItem; started: ThreadItem } {
  const query = webSearchQuery(item.action);
  const core: JsonObject = { type: "WebSearch", id, query };
  if (item.action !== undefined) core.action = item.action;
  return {
    items: [itemCompleted(threadId, turnId, core, startedAtMs, completedAtMs), ev({ type: "web_search_end", call_id: id, query, action: item.action ?? null }), ri({ ...item, id })],
    item: threadItem(core, startedAtMs, completedAtMs),
    started: threadItem(core, startedAtMs, null),
  };
}

export function functionCallOutput(callId: string, output: string | Json[], custom = false): RolloutItem {
  return ri({ type: custom ? "custom_tool_call_output" : "function_call_output", call_id: callId, output });
}

// ---------------------------------------------------------------------------------------------
// tools

export interface CommandExecutionFields {
  threadId: string;
  turnId: string;
  callId: string;
  processId: string | null;
  argv: string[];
  cwd: string;
  source: "agent" | "unified_exec_startup";
  status: "in_progress" | "completed" | "failed" | "declined";
  output: string | null;
  exitCode: number | null;
  durationMs: number | null;
  startedAtMs: number;
  completedAtMs: number | null;
}

function duration(ms: number): JsonObject {
  const secs = Math.floor(ms / 1000);
  return { secs, nanos: Math.round((ms - secs * 1000) * 1e6) };
}

export function commandCore(f: CommandExecutionFields): JsonObject {
  const cmd = f.argv[f.argv.length - 1] ?? "";
  const core: JsonObject = {
    type: "CommandExecution",
    id: f.callId,
    process_id: f.processId,
    command: f.argv,
    cwd: pathToFileURL(f.cwd).href,
    parsed_cmd: [{ type: "unknown", cmd }],
    source: f.source,
    status: f.status,
  };
  if (f.output !== null) core.aggregated_output = f.output;
  core.exit_code = f.exitCode;
  core.duration = f.durationMs === null ? null : duration(f.durationMs);
  return core;
}

/** The rollout items of a finished command (not of a declined one: Codex records none). */
export function commandExecution(f: CommandExecutionFields, formattedOutput: string): RolloutItem[] {
  const core = commandCore(f);
  const cmd = f.argv[f.argv.length - 1] ?? "";
  return [
    itemCompleted(f.threadId, f.turnId, core, f.startedAtMs, f.completedAtMs ?? f.startedAtMs),
    ev({
      type: "exec_command_end",
      call_id: f.callId,
      process_id: f.processId,
      turn_id: f.turnId,
      command: f.argv,
      cwd: f.cwd,
      parsed_cmd: [{ type: "unknown", cmd }],
      source: f.source,
      stdout: f.output ?? "",
      stderr: "",
      aggregated_output: f.output ?? "",
      exit_code: f.exitCode ?? -1,
      duration: duration(f.durationMs ?? 0),
      formatted_output: formattedOutput,
      status: f.status,
    }),
  ];
}

export interface FileChangeFields {
  threadId: string;
  turnId: string;
  callId: string;
  changes: JsonObject;
  status: "in_progress" | "completed" | "failed" | "declined";
  stdout: string;
  stderr: string;
  startedAtMs: number;
  completedAtMs: number | null;
}

export function fileChangeCore(f: FileChangeFields): JsonObject {
  return { type: "FileChange", id: f.callId, changes: f.changes, status: f.status, stdout: f.stdout, stderr: f.stderr };
}

export function fileChange(f: FileChangeFields): RolloutItem[] {
  return [
    itemCompleted(f.threadId, f.turnId, fileChangeCore(f), f.startedAtMs, f.completedAtMs ?? f.startedAtMs),
    ev({ type: "patch_apply_end", call_id: f.callId, turn_id: f.turnId, stdout: f.stdout, stderr: f.stderr, success: f.status === "completed", changes: f.changes, status: f.status }),
  ];
}
