// Conversions from what a rollout stores (core `TurnItem`s inside `item_completed` events, and the
// older per-tool event kinds) to app-server v2 `ThreadItem`s and `TurnError`s. Key order follows
// Codex's serializer so answers stay byte-comparable with Codex's.
import { fileURLToPath } from "node:url";
import type { Json, JsonObject } from "../rollout/line.js";
import type { ThreadItem, TurnError } from "../protocol/v2.js";
import { shellJoin } from "./shell.js";

type O = JsonObject;

const isObj = (v: unknown): v is O => typeof v === "object" && v !== null && !Array.isArray(v);
const asObj = (v: Json | undefined): O | null => (isObj(v) ? v : null);
const asArr = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const asStr = (v: Json | undefined): string | null => (typeof v === "string" ? v : null);
const asNum = (v: Json | undefined): number | null => (typeof v === "number" ? v : null);
/** A field that Codex may spell snake_case or camelCase depending on the struct and release. */
function pick(o: O, snake: string, camel: string): Json | undefined {
  const v = o[snake];
  return v === undefined ? o[camel] : v;
}
const orNull = (v: Json | undefined): Json => (v === undefined ? null : v);

/** `some_value` -> `someValue`. */
export function snakeToCamel(s: string): string {
  return s.indexOf("_") < 0 ? s : s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Recursively camelCases object keys (not string values). */
function camelKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (!isObj(v)) return v;
  const out: O = {};
  for (const k of Object.keys(v)) out[snakeToCamel(k)] = camelKeys(v[k]);
  return out;
}

/** Rust `Duration` as serde writes it (`{secs, nanos}`) to whole milliseconds. */
export function durationMs(v: Json | undefined): number | null {
  if (typeof v === "number") return Math.floor(v);
  const o = asObj(v);
  if (!o) return null;
  const secs = asNum(o.secs) ?? 0;
  const nanos = asNum(o.nanos) ?? 0;
  return secs * 1000 + Math.floor(nanos / 1_000_000);
}

/** A `file:` URI (Codex's PathUri) to a native path; other strings pass through. */
export function uriToPath(v: Json | undefined): string {
  const s = typeof v === "string" ? v : "";
  if (!s.startsWith("file:")) return s;
  try {
    return fileURLToPath(s);
  } catch {
    const rest = s.replace(/^file:(\/\/[^/]*)?/, "");
    try {
      return decodeURIComponent(rest);
    } catch {
      return rest;
    }
  }
}

function joinPath(base: string, p: string): string {
  if (p.startsWith("/") || base === "") return p;
  return base.endsWith("/") ? base + p : base + "/" + p;
}

function withTimes(item: O, startedAtMs: number | null, completedAtMs: number | null): ThreadItem {
  item.startedAtMs = startedAtMs;
  item.completedAtMs = completedAtMs;
  return item as ThreadItem;
}

// ---------------------------------------------------------------------------------------------
// shared pieces

function textElements(v: Json | undefined): Json[] {
  return asArr(v).map((e) => {
    const o = asObj(e) ?? {};
    const r = asObj(pick(o, "byte_range", "byteRange")) ?? {};
    return { byteRange: { start: orNull(r.start), end: orNull(r.end) }, placeholder: orNull(o.placeholder) };
  });
}

/** A core `UserInput` (snake_case, as in `item_completed` user messages) to a v2 `UserInput`. */
function userInput(v: Json): Json {
  const o = asObj(v);
  if (!o) return v;
  switch (o.type) {
    case "text":
      return { type: "text", text: orNull(o.text), text_elements: textElements(pick(o, "text_elements", "textElements")) };
    case "image": {
      const out: O = { type: "image" };
      const fileId = pick(o, "file_id", "fileId");
      if (fileId !== undefined && pick(o, "image_url", "url") === undefined) out.fileId = fileId;
      else out.url = orNull(pick(o, "image_url", "url"));
      out.detail = orNull(o.detail);
      return out;
    }
    case "local_image":
    case "localImage":
      return { type: "localImage", detail: orNull(o.detail), path: orNull(o.path) };
    case "audio":
    case "local_audio":
    case "localAudio":
      return camelKeys({ ...o, type: snakeToCamel(o.type as string) });
    default:
      return o;
  }
}

function memoryCitation(v: Json | undefined): Json {
  const o = asObj(v);
  if (!o) return null;
  return {
    entries: asArr(o.entries).map((e) => {
      const x = asObj(e) ?? {};
      return { path: orNull(x.path), lineStart: orNull(pick(x, "line_start", "lineStart")), lineEnd: orNull(pick(x, "line_end", "lineEnd")), note: orNull(x.note) };
    }),
    threadIds: orNull(pick(o, "rollout_ids", "rolloutIds") ?? pick(o, "thread_ids", "threadIds")),
  };
}

/** Is a legacy `memory_citation` something Codex can read (else it drops the whole event)? */
export function memoryCitationReadable(v: Json | undefined): boolean {
  if (v === undefined || v === null) return true;
  const o = asObj(v);
  if (!o || !Array.isArray(o.entries) || !Array.isArray(o.rolloutIds)) return false;
  return o.entries.every((e) => isObj(e) && typeof e.path === "string" && typeof e.lineStart === "number" && typeof e.lineEnd === "number" && typeof e.note === "string");
}

function webSearchAction(v: Json | undefined): Json {
  const o = asObj(v);
  if (!o) return null;
  switch (o.type) {
    case "search":
      return { type: "search", query: orNull(o.query), queries: orNull(o.queries) };
    case "open_page":
    case "openPage":
      return { type: "openPage", url: orNull(o.url) };
    case "find_in_page":
    case "findInPage":
      return { type: "findInPage", url: orNull(o.url), pattern: orNull(o.pattern) };
    default:
      return { type: "other" };
  }
}

function commandAction(v: Json, cwd: string): Json {
  const o = asObj(v) ?? {};
  const command = orNull(pick(o, "cmd", "command"));
  switch (o.type) {
    case "read":
      return { type: "read", command, name: orNull(o.name), path: typeof o.path === "string" ? joinPath(cwd, o.path) : orNull(o.path) };
    case "list_files":
    case "listFiles":
      return { type: "listFiles", command, path: orNull(o.path) };
    case "search":
      return { type: "search", command, query: orNull(o.query), path: orNull(o.path) };
    default:
      return { type: "unknown", command };
  }
}

/** Core `FileChange` map (path -> change) to v2 `FileUpdateChange[]`, sorted by path. */
export function patchChanges(v: Json | undefined): Json[] {
  const o = asObj(v);
  if (!o) return [];
  const paths = Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return paths.map((path): Json => {
    const c = asObj(o[path]) ?? {};
    if (c.type === "update") {
      const move = asStr(pick(c, "move_path", "movePath"));
      const diff = asStr(pick(c, "unified_diff", "unifiedDiff")) ?? "";
      return { path, kind: { type: "update", move_path: move }, diff: move ? `${diff}\n\nMoved to: ${move}` : diff };
    }
    return { path, kind: { type: c.type === "delete" ? "delete" : "add" }, diff: asStr(c.content) ?? "" };
  });
}

const camelStatus = (v: Json | undefined, dflt: string): string => (typeof v === "string" ? snakeToCamel(v) : dflt);

function mcpResult(v: Json | undefined): Json {
  const o = asObj(v);
  if (!o) return null;
  // MCP's CallToolResult is camelCase on disk too
  return { content: asArr(o.content), structuredContent: orNull(o.structuredContent), _meta: orNull(o._meta) };
}

function dynamicContentItems(v: Json | undefined): Json {
  if (!Array.isArray(v)) return null;
  return v.map((e) => {
    const o = asObj(e);
    if (!o) return e;
    const t = typeof o.type === "string" ? snakeToCamel(o.type) : o.type;
    if (t === "inputText") return { type: "inputText", text: orNull(o.text) };
    if (t === "inputImage") return { type: "inputImage", imageUrl: orNull(pick(o, "image_url", "imageUrl")) };
    if (t === "inputAudio") return { type: "inputAudio", audioUrl: orNull(pick(o, "audio_url", "audioUrl")) };
    return camelKeys(o);
  });
}

/** Core `AgentStatus` (`"running"`, `{"completed": msg}`, ...) to v2 `CollabAgentState`. */
function agentState(v: Json): Json {
  if (typeof v === "string") return { status: snakeToCamel(v), message: null };
  const o = asObj(v);
  if (o) {
    if (typeof o.status === "string") return { status: snakeToCamel(o.status), message: orNull(o.message) };
    const k = Object.keys(o)[0];
    if (k) return { status: snakeToCamel(k), message: typeof o[k] === "string" ? o[k] : null };
  }
  return { status: "notFound", message: null };
}

function imageGeneration(id: Json, o: O): O {
  const out: O = {
    type: "imageGeneration",
    id,
    status: asStr(o.status) ?? "",
    revisedPrompt: orNull(pick(o, "revised_prompt", "revisedPrompt")),
  };
  const fileId = pick(o, "file_id", "fileId");
  if (fileId !== undefined && o.result === undefined) out.fileId = fileId;
  else out.result = asStr(o.result) ?? "";
  out.transparentBackground = orNull(pick(o, "transparent_background", "transparentBackground"));
  out.failure = orNull(o.failure);
  const saved = pick(o, "saved_path", "savedPath");
  if (saved !== undefined && saved !== null) out.savedPath = saved;
  const inputs = pick(o, "input_images", "inputImages");
  if (inputs !== undefined && inputs !== null) out.inputImages = inputs;
  out.generationId = orNull(pick(o, "generation_id", "generationId"));
  return out;
}

// ---------------------------------------------------------------------------------------------
// core TurnItem (event_msg item_completed) -> ThreadItem

/** Converts a core `TurnItem` to a v2 `ThreadItem`; null for kinds Codex cannot read. */
export function coreItemToThreadItem(item: O, startedAtMs: number | null, completedAtMs: number | null): ThreadItem | null {
  const id = item.id;
  if (typeof id !== "string") return null;
  switch (item.type) {
    case "UserMessage":
      return withTimes({ type: "userMessage", id, clientId: orNull(pick(item, "client_id", "clientId")), content: asArr(item.content).map(userInput) }, startedAtMs, completedAtMs);
    case "HookPrompt":
      return withTimes(
        {
          type: "hookPrompt",
          id,
          fragments: asArr(item.fragments).map((f) => {
            const o = asObj(f) ?? {};
            return { text: orNull(o.text), hookRunId: orNull(pick(o, "hook_run_id", "hookRunId")) };
          }),
        },
        startedAtMs,
        completedAtMs,
      );
    case "AgentMessage": {
      let text = "";
      for (const c of asArr(item.content)) {
        const o = asObj(c);
        if (o && typeof o.text === "string") text += o.text;
      }
      return withTimes(
        {
          type: "agentMessage",
          moderation: orNull(item.moderation),
          id,
          text,
          phase: orNull(item.phase),
          memoryCitation: memoryCitation(pick(item, "memory_citation", "memoryCitation")),
          delivery: orNull(item.delivery),
          questions: orNull(item.questions),
        },
        startedAtMs,
        completedAtMs,
      );
    }
    case "Plan":
      return withTimes({ type: "plan", id, text: asStr(item.text) ?? "" }, startedAtMs, completedAtMs);
    case "Reasoning":
      return withTimes({ type: "reasoning", id, summary: asArr(pick(item, "summary_text", "summaryText")), content: asArr(pick(item, "raw_content", "rawContent")) }, startedAtMs, completedAtMs);
    case "CommandExecution": {
      const cwd = uriToPath(item.cwd);
      const argv = asArr(item.command).filter((w): w is string => typeof w === "string");
      const out = asStr(pick(item, "aggregated_output", "aggregatedOutput"));
      return withTimes(
        {
          type: "commandExecution",
          id,
          pluginId: orNull(pick(item, "plugin_id", "pluginId")),
          scriptPath: orNull(pick(item, "script_path", "scriptPath")),
          command: shellJoin(argv),
          cwd,
          processId: orNull(pick(item, "process_id", "processId")),
          source: camelStatus(item.source, "agent"),
          status: camelStatus(item.status, "inProgress"),
          commandActions: asArr(pick(item, "parsed_cmd", "parsedCmd")).map((a) => commandAction(a, cwd)),
          aggregatedOutput: out ? out : null,
          exitCode: orNull(pick(item, "exit_code", "exitCode")),
          durationMs: durationMs(item.duration),
        },
        startedAtMs,
        completedAtMs,
      );
    }
    case "FileChange":
      return withTimes({ type: "fileChange", id, changes: patchChanges(item.changes), status: camelStatus(item.status, "inProgress") }, startedAtMs, completedAtMs);
    case "McpToolCall": {
      const connectorId = pick(item, "connector_id", "connectorId");
      const resourceUri = pick(item, "mcp_app_resource_uri", "mcpAppResourceUri");
      const out: O = {
        type: "mcpToolCall",
        id,
        server: orNull(item.server),
        tool: orNull(item.tool),
        status: camelStatus(item.status, "inProgress"),
        arguments: orNull(item.arguments),
        appContext: typeof connectorId === "string" ? { connectorId, linkId: orNull(pick(item, "link_id", "linkId")), resourceUri: orNull(resourceUri) } : null,
      };
      if (typeof resourceUri === "string") out.mcpAppResourceUri = resourceUri;
      out.mcpAppUi = orNull(pick(item, "mcp_app_ui", "mcpAppUi"));
      out.pluginId = orNull(pick(item, "plugin_id", "pluginId"));
      out.readOnlyHint = orNull(pick(item, "read_only_hint", "readOnlyHint"));
      out.result = mcpResult(item.result);
      const err = asObj(item.error);
      out.error = err ? { message: orNull(err.message) } : null;
      out.durationMs = durationMs(item.duration);
      return withTimes(out, startedAtMs, completedAtMs);
    }
    case "DynamicToolCall":
      return withTimes(
        {
          type: "dynamicToolCall",
          id,
          namespace: orNull(item.namespace),
          tool: orNull(item.tool),
          arguments: orNull(item.arguments),
          status: camelStatus(item.status, "inProgress"),
          contentItems: dynamicContentItems(pick(item, "content_items", "contentItems")),
          success: orNull(item.success),
          durationMs: durationMs(item.duration),
        },
        startedAtMs,
        completedAtMs,
      );
    case "CollabAgentToolCall": {
      const states = asObj(pick(item, "agents_states", "agentsStates")) ?? {};
      const agentsStates: O = {};
      for (const k of Object.keys(states)) agentsStates[k] = agentState(states[k]);
      return withTimes(
        {
          type: "collabAgentToolCall",
          id,
          tool: camelStatus(item.tool, "spawnAgent"),
          status: camelStatus(item.status, "inProgress"),
          senderThreadId: orNull(pick(item, "sender_thread_id", "senderThreadId")),
          receiverThreadIds: asArr(pick(item, "receiver_thread_ids", "receiverThreadIds")),
          prompt: orNull(item.prompt),
          model: orNull(item.model),
          reasoningEffort: orNull(pick(item, "reasoning_effort", "reasoningEffort")),
          agentsStates,
        },
        startedAtMs,
        completedAtMs,
      );
    }
    case "SubAgentActivity":
      return withTimes(
        {
          type: "subAgentActivity",
          model: orNull(item.model),
          reasoningEffort: orNull(pick(item, "reasoning_effort", "reasoningEffort")),
          id,
          kind: orNull(item.kind),
          agentThreadId: orNull(pick(item, "agent_thread_id", "agentThreadId")),
          agentPath: orNull(pick(item, "agent_path", "agentPath")),
        },
        startedAtMs,
        completedAtMs,
      );
    case "WebSearch":
      return withTimes({ type: "webSearch", id, query: asStr(item.query) ?? "", action: webSearchAction(item.action), results: orNull(item.results) }, startedAtMs, completedAtMs);
    case "ImageView":
      return withTimes({ type: "imageView", id, path: uriToPath(item.path) }, startedAtMs, completedAtMs);
    case "Sleep": {
      // the core SleepItem is camelCase; Codex cannot read a snake_case one
      const d = item.durationMs;
      if (typeof d !== "number") return null;
      return withTimes({ type: "sleep", id, durationMs: d }, startedAtMs, completedAtMs);
    }
    case "ImageGeneration":
      return withTimes(imageGeneration(id, item), startedAtMs, completedAtMs);
    case "ContextCompaction":
      return withTimes({ type: "contextCompaction", id }, startedAtMs, completedAtMs);
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// legacy event kinds -> ThreadItem (items built from these carry null lifecycle times)

export function legacyUserMessage(id: string, p: O): ThreadItem {
  const content: Json[] = [];
  const message = asStr(p.message) ?? "";
  if (message.trim() !== "") content.push({ type: "text", text: message, text_elements: textElements(p.text_elements) });
  const imageDetails = asArr(p.image_details);
  asArr(p.images).forEach((url, i) => content.push({ type: "image", url, detail: orNull(imageDetails[i]) }));
  const localDetails = asArr(p.local_image_details);
  asArr(p.local_images).forEach((path, i) => content.push({ type: "localImage", detail: orNull(localDetails[i]), path }));
  return withTimes({ type: "userMessage", id, clientId: orNull(p.client_id), content }, null, null);
}

export function legacyAgentMessage(id: string, p: O): ThreadItem {
  const item: O = {
    type: "agentMessage",
    moderation: null,
    id,
    text: asStr(p.message) ?? "",
    phase: orNull(p.phase),
    memoryCitation: memoryCitation(p.memory_citation),
    delivery: null,
    questions: null,
  };
  return withTimes(item, null, null);
}

export function reasoningItem(id: string, summary: Json[], content: Json[]): ThreadItem {
  return withTimes({ type: "reasoning", id, summary, content }, null, null);
}

export function legacyWebSearchEnd(p: O): ThreadItem {
  return withTimes({ type: "webSearch", id: asStr(p.call_id) ?? "", query: asStr(p.query) ?? "", action: webSearchAction(p.action), results: null }, null, null);
}

export function legacyPatchApplyEnd(p: O): ThreadItem {
  return withTimes({ type: "fileChange", id: asStr(p.call_id) ?? "", changes: patchChanges(p.changes), status: camelStatus(p.status, p.success === false ? "failed" : "completed") }, null, null);
}

export function legacyMcpToolCallEnd(p: O): ThreadItem {
  const inv = asObj(p.invocation) ?? {};
  const res = asObj(p.result) ?? {};
  let ok: O | null = null;
  let err: string | null = null;
  if ("Ok" in res) ok = asObj(res.Ok);
  else if ("Err" in res) err = typeof res.Err === "string" ? res.Err : JSON.stringify(res.Err);
  const success = ok !== null && ok.isError !== true && ok.is_error !== true;
  return withTimes(
    {
      type: "mcpToolCall",
      id: asStr(p.call_id) ?? "",
      server: orNull(inv.server),
      tool: orNull(inv.tool),
      status: success ? "completed" : "failed",
      arguments: orNull(inv.arguments),
      appContext: null,
      mcpAppUi: null,
      pluginId: orNull(p.plugin_id),
      readOnlyHint: null,
      result: ok ? mcpResult(ok) : null,
      error: err !== null ? { message: err } : null,
      durationMs: durationMs(p.duration),
    },
    null,
    null,
  );
}

export function legacyImageGenerationEnd(p: O): ThreadItem {
  return withTimes(imageGeneration(asStr(p.call_id) ?? "", p), null, null);
}

export function simpleItem(type: string, id: string, extra: O = {}): ThreadItem {
  return withTimes({ type, id, ...extra }, null, null);
}

const REVIEW_FALLBACK = "Reviewer failed to output a response.";

export function enteredReviewText(p: O): string {
  return asStr(p.user_facing_hint) ?? "Review requested.";
}

export function exitedReviewText(p: O): string {
  const out = asObj(p.review_output);
  if (!out) return REVIEW_FALLBACK;
  const t = (asStr(out.overall_explanation) ?? "").trim();
  return t === "" ? REVIEW_FALLBACK : t;
}

// ---------------------------------------------------------------------------------------------
// hook prompts carried by user response items

const HOOK_RE = /^<hook_prompt\s+hook_run_id\s*=\s*(?:"([^"]*)"|'([^']*)')\s*>([\s\S]*)<\/hook_prompt>$/;

function xmlUnescape(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_m, e: string) => {
    switch (e) {
      case "amp":
        return "&";
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default:
        return e[1] === "x" ? String.fromCodePoint(parseInt(e.slice(2), 16)) : String.fromCodePoint(parseInt(e.slice(1), 10));
    }
  });
}

/** A user `message` response item whose every part is `<hook_prompt hook_run_id=…>…</hook_prompt>`. */
export function parseHookPrompt(p: O): { id: string | null; fragments: Json[] } | null {
  if (p.type !== "message" || p.role !== "user") return null;
  const content = asArr(p.content);
  if (content.length === 0) return null;
  const fragments: Json[] = [];
  for (const c of content) {
    const o = asObj(c);
    if (!o || o.type !== "input_text" || typeof o.text !== "string") return null;
    const m = HOOK_RE.exec(o.text.trim());
    if (!m) return null;
    const runId = xmlUnescape(m[1] ?? m[2] ?? "");
    if (runId.trim() === "") return null;
    if (m[3].indexOf("<") >= 0) return null;
    fragments.push({ text: xmlUnescape(m[3]), hookRunId: runId });
  }
  return { id: asStr(p.id), fragments };
}

// ---------------------------------------------------------------------------------------------
// errors

/** Core `CodexErrorInfo` (snake_case) to v2 (camelCase unit variants and bodies). */
export function codexErrorInfo(v: Json | undefined): Json {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return snakeToCamel(v);
  return camelKeys(v);
}

/** The error a failed `task_complete` carries, as a v2 `TurnError`. */
export function turnErrorFrom(e: O): TurnError {
  const mis = pick(e, "misalignment", "misalignment");
  return {
    message: asStr(e.message) ?? "",
    codexErrorInfo: codexErrorInfo(pick(e, "codex_error_info", "codexErrorInfo")),
    additionalDetails: null,
    misalignment: mis === undefined || mis === null ? null : camelKeys(mis),
  };
}
