// Tool-call items (MCP, dynamic tools, collab agents, sub-agent activity), web searches, images,
// and the small remaining kinds (sleep, context compaction), from core `TurnItem`s and the legacy
// `*_end` events. Key order follows Codex's serializer.
import type { Json } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { asArr, asObj, asStr, camelKeys, camelStatus, durationMs, orNull, pick, snakeToCamel, uriToPath, withTimes, type O } from "./codex-json.js";

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

/** Shared by the core `ImageGeneration` item and the legacy `image_generation_end` event. */
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
// core TurnItem -> ThreadItem body (the dispatcher in items.ts adds the lifecycle times)

export function coreMcpToolCall(item: O, id: string): O {
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
  return out;
}

export function coreDynamicToolCall(item: O, id: string): O {
  return {
    type: "dynamicToolCall",
    id,
    namespace: orNull(item.namespace),
    tool: orNull(item.tool),
    arguments: orNull(item.arguments),
    status: camelStatus(item.status, "inProgress"),
    contentItems: dynamicContentItems(pick(item, "content_items", "contentItems")),
    success: orNull(item.success),
    durationMs: durationMs(item.duration),
  };
}

export function coreCollabAgentToolCall(item: O, id: string): O {
  const states = asObj(pick(item, "agents_states", "agentsStates")) ?? {};
  const agentsStates: O = {};
  for (const k of Object.keys(states)) agentsStates[k] = agentState(states[k]);
  return {
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
  };
}

export function coreSubAgentActivity(item: O, id: string): O {
  return {
    type: "subAgentActivity",
    model: orNull(item.model),
    reasoningEffort: orNull(pick(item, "reasoning_effort", "reasoningEffort")),
    id,
    kind: orNull(item.kind),
    agentThreadId: orNull(pick(item, "agent_thread_id", "agentThreadId")),
    agentPath: orNull(pick(item, "agent_path", "agentPath")),
  };
}

export function coreWebSearch(item: O, id: string): O {
  return { type: "webSearch", id, query: asStr(item.query) ?? "", action: webSearchAction(item.action), results: orNull(item.results) };
}

export function coreImageView(item: O, id: string): O {
  return { type: "imageView", id, path: uriToPath(item.path) };
}

export function coreImageGeneration(item: O, id: string): O {
  return imageGeneration(id, item);
}

export function coreSleep(item: O, id: string): O | null {
  // the core SleepItem is camelCase; Codex cannot read a snake_case one
  const d = item.durationMs;
  if (typeof d !== "number") return null;
  return { type: "sleep", id, durationMs: d };
}

export function coreContextCompaction(_item: O, id: string): O {
  return { type: "contextCompaction", id };
}

// ---------------------------------------------------------------------------------------------
// legacy event kinds -> ThreadItem (null lifecycle times)

export function legacyWebSearchEnd(p: O): ThreadItem {
  return withTimes({ type: "webSearch", id: asStr(p.call_id) ?? "", query: asStr(p.query) ?? "", action: webSearchAction(p.action), results: null }, null, null);
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
