// Tool items: the v2 ThreadItems that are tool calls (command execution, file change, MCP call,
// dynamic tool call, collab agent call, web search, image generation), summarised to the scalars
// their analytics events report. Summarising happens when the item is tracked, so a queued fact
// holds counts and flags, never the command's output, the diff or the search results.

import { diffLines, textLines } from "./diff-lines.js";

export const TOOL_ITEM_TYPES = [
  "commandExecution",
  "fileChange",
  "mcpToolCall",
  "dynamicToolCall",
  "collabAgentToolCall",
  "webSearch",
  "imageGeneration",
] as const;

export type ToolItemType = (typeof TOOL_ITEM_TYPES)[number];

const TOOL_TYPES: ReadonlySet<string> = new Set(TOOL_ITEM_TYPES);
export const isToolItemType = (t: string): t is ToolItemType => TOOL_TYPES.has(t);

/** Item status as the item reports it (`inProgress`, `completed`, `failed`, `declined`, …). */
export type ItemStatus = string;

export type ToolItem =
  | {
      type: "commandExecution";
      id: string;
      status: ItemStatus;
      source: string;
      exitCode: number | null;
      durationMs: number | null;
      pluginId: string | null;
      scriptPath: string | null;
      actions: { total: number; read: number; listFiles: number; search: number; unknown: number };
    }
  | {
      type: "fileChange";
      id: string;
      status: ItemStatus;
      files: { total: number; add: number; update: number; delete: number; move: number };
      /** Lines the change adds and removes (an added file's lines, a unified diff's +/- lines). */
      lines: { added: number; deleted: number };
    }
  | {
      type: "mcpToolCall";
      id: string;
      status: ItemStatus;
      server: string;
      tool: string;
      errorPresent: boolean;
      durationMs: number | null;
      pluginId: string | null;
      connectorId: string | null;
    }
  | {
      type: "dynamicToolCall";
      id: string;
      status: ItemStatus;
      tool: string;
      success: boolean | null;
      durationMs: number | null;
      content: { total: number; text: number; image: number; audio: number } | null;
    }
  | {
      type: "collabAgentToolCall";
      id: string;
      status: ItemStatus;
      tool: string;
      senderThreadId: string | null;
      receiverThreadIds: string[];
      model: string | null;
      reasoningEffort: string | null;
      agentStates: { total: number; completed: number; failed: number };
    }
  | { type: "webSearch"; id: string; status: ItemStatus; action: string | null; queryPresent: boolean; queryCount: number | null }
  | {
      type: "imageGeneration";
      id: string;
      status: ItemStatus;
      revisedPromptPresent: boolean;
      savedPathPresent: boolean;
      transparentBackground: boolean | null;
      requestId: string | null;
    };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const nonBlank = (v: unknown): boolean => typeof v === "string" && v.trim() !== "";
const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** A plugin script path is reported only when it is relative and stays inside the plugin. */
function safePluginPath(p: string | null): string | null {
  if (p === null || p === "" || p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:/.test(p)) return null;
  return p.split(/[\\/]/).some((seg) => seg === "..") ? null : p;
}

/** The summary of a tool item, or null when `item` is not a tool item. */
export function summarizeToolItem(item: unknown): ToolItem | null {
  if (!isObj(item) || typeof item.type !== "string" || typeof item.id !== "string") return null;
  const id = item.id;
  const status = str(item.status) ?? "completed";
  switch (item.type) {
    case "commandExecution": {
      const actions = { total: 0, read: 0, listFiles: 0, search: 0, unknown: 0 };
      for (const a of Array.isArray(item.commandActions) ? item.commandActions : []) {
        actions.total++;
        const t = isObj(a) ? a.type : null;
        if (t === "read") actions.read++;
        else if (t === "listFiles") actions.listFiles++;
        else if (t === "search") actions.search++;
        else actions.unknown++;
      }
      const pluginId = str(item.pluginId);
      return {
        type: "commandExecution",
        id,
        status,
        source: str(item.source) ?? "agent",
        exitCode: num(item.exitCode),
        durationMs: num(item.durationMs),
        pluginId,
        scriptPath: pluginId ? safePluginPath(str(item.scriptPath)) : null,
        actions,
      };
    }
    case "fileChange": {
      const files = { total: 0, add: 0, update: 0, delete: 0, move: 0 };
      const lines = { added: 0, deleted: 0 };
      for (const c of Array.isArray(item.changes) ? item.changes : []) {
        files.total++;
        const kind = isObj(c) ? c.kind : null;
        const t = isObj(kind) ? kind.type : kind;
        const diff = isObj(c) && typeof c.diff === "string" ? c.diff : "";
        if (t === "add") {
          files.add++;
          lines.added += textLines(diff);
        } else if (t === "delete") {
          files.delete++;
          lines.deleted += textLines(diff);
        } else if (t === "update") {
          if (isObj(kind) && (nonBlank(kind.movePath) || nonBlank(kind.move_path))) files.move++;
          else files.update++;
          const d = diffLines(diff);
          lines.added += d.added;
          lines.deleted += d.deleted;
        }
      }
      return { type: "fileChange", id, status, files, lines };
    }
    case "mcpToolCall": {
      const app = isObj(item.appContext) ? item.appContext : null;
      return {
        type: "mcpToolCall",
        id,
        status,
        server: str(item.server) ?? "",
        tool: str(item.tool) ?? "",
        errorPresent: item.error !== null && item.error !== undefined,
        durationMs: num(item.durationMs),
        pluginId: str(item.pluginId),
        connectorId: app ? str(app.connectorId) : null,
      };
    }
    case "dynamicToolCall": {
      let content: { total: number; text: number; image: number; audio: number } | null = null;
      if (Array.isArray(item.contentItems)) {
        content = { total: 0, text: 0, image: 0, audio: 0 };
        for (const c of item.contentItems) {
          content.total++;
          const t = isObj(c) ? String(c.type ?? "") : "";
          if (/text/i.test(t)) content.text++;
          else if (/image/i.test(t)) content.image++;
          else if (/audio/i.test(t)) content.audio++;
        }
      }
      return {
        type: "dynamicToolCall",
        id,
        status,
        tool: str(item.tool) ?? "",
        success: typeof item.success === "boolean" ? item.success : null,
        durationMs: num(item.durationMs),
        content,
      };
    }
    case "collabAgentToolCall": {
      const agentStates = { total: 0, completed: 0, failed: 0 };
      if (isObj(item.agentsStates)) {
        for (const s of Object.values(item.agentsStates)) {
          agentStates.total++;
          const st = isObj(s) ? s.status : null;
          if (st === "completed") agentStates.completed++;
          else if (st === "errored" || st === "shutdown" || st === "notFound") agentStates.failed++;
        }
      }
      return {
        type: "collabAgentToolCall",
        id,
        status,
        tool: str(item.tool) ?? "",
        senderThreadId: str(item.senderThreadId),
        receiverThreadIds: Array.isArray(item.receiverThreadIds) ? item.receiverThreadIds.filter((x): x is string => typeof x === "string") : [],
        model: str(item.model),
        reasoningEffort: str(item.reasoningEffort),
        agentStates,
      };
    }
    case "webSearch": {
      const action = isObj(item.action) ? item.action : null;
      const actionType = action ? str(action.type) : null;
      const queryPresent = nonBlank(item.query) || (action !== null && (nonBlank(action.query) || (Array.isArray(action.queries) && action.queries.some(nonBlank))));
      let queryCount: number | null;
      if (actionType === "search") queryCount = Array.isArray(action!.queries) && action!.queries.length > 0 ? action!.queries.length : 1;
      else if (actionType !== null) queryCount = null;
      else queryCount = nonBlank(item.query) ? 1 : null;
      return { type: "webSearch", id, status, action: actionType === null ? null : ["search", "openPage", "findInPage"].includes(actionType) ? snake(actionType) : "other", queryPresent, queryCount };
    }
    case "imageGeneration": {
      const bg = str(item.background);
      return {
        type: "imageGeneration",
        id,
        status,
        revisedPromptPresent: nonBlank(item.revisedPrompt),
        savedPathPresent: nonBlank(item.savedPath),
        transparentBackground: bg === null ? (typeof item.transparentBackground === "boolean" ? item.transparentBackground : null) : bg === "transparent",
        requestId: str(item.imagegenRequestId) ?? str(item.requestId),
      };
    }
  }
  return null;
}

// ---------------------------------------------------------------- event mapping

export type TerminalStatus = "completed" | "failed" | "rejected" | "interrupted";
export type FailureKind = "tool_error" | "approval_denied" | "approval_aborted" | "sandbox_denied" | "policy_forbidden";

/** The terminal status of a completed tool item, or null while it is still in progress. */
export function terminalStatus(item: ToolItem): { status: TerminalStatus; failure: FailureKind | null } | null {
  const s = item.status;
  if (s === "inProgress" || s === "in_progress" || s === "pendingInit" || s === "running") return null;
  if (item.type === "webSearch") return { status: "completed", failure: null };
  if (item.type === "imageGeneration") return s === "failed" || s === "error" ? { status: "failed", failure: "tool_error" } : { status: "completed", failure: null };
  if (s === "completed") return { status: "completed", failure: null };
  if (s === "failed") return { status: "failed", failure: "tool_error" };
  if (s === "declined") return { status: "rejected", failure: "approval_denied" };
  if (s === "interrupted") return { status: "interrupted", failure: null };
  return { status: "completed", failure: null };
}

/** v2 collab tool names -> the names Codex's analytics reports. */
function collabToolName(tool: string): string {
  if (tool === "wait") return "wait_agent";
  return snake(tool);
}

export const TOOL_EVENT_TYPES: Record<ToolItemType, string> = {
  commandExecution: "codex_command_execution_event",
  fileChange: "codex_file_change_event",
  mcpToolCall: "codex_mcp_tool_call_event",
  dynamicToolCall: "codex_dynamic_tool_call_event",
  collabAgentToolCall: "codex_collab_agent_tool_call_event",
  webSearch: "codex_web_search_event",
  imageGeneration: "codex_image_generation_event",
};

/** The tool name an event reports for the item. */
export function toolName(item: ToolItem): string {
  switch (item.type) {
    case "commandExecution":
      return item.source === "userShell" ? "user_shell" : item.source === "unifiedExecStartup" || item.source === "unifiedExecInteraction" ? "unified_exec" : "shell";
    case "fileChange":
      return "apply_patch";
    case "mcpToolCall":
      return item.tool;
    case "dynamicToolCall":
      return item.tool;
    case "collabAgentToolCall":
      return collabToolName(item.tool);
    case "webSearch":
      return "web_search";
    case "imageGeneration":
      return "image_generation";
  }
}

/**
 * The tool's own execution time: what command, MCP and dynamic tool items report themselves;
 * the observed duration for collab calls; null for file changes, web searches and image
 * generation (no tool-reported time).
 */
export function executionDurationMs(item: ToolItem, observedMs: number | null): number | null {
  switch (item.type) {
    case "commandExecution":
    case "mcpToolCall":
    case "dynamicToolCall":
      return item.durationMs;
    case "collabAgentToolCall":
      return observedMs;
    default:
      return null;
  }
}

/** The per-kind fields of a tool event. */
export function toolExtras(item: ToolItem): Record<string, unknown> {
  switch (item.type) {
    case "commandExecution":
      return {
        plugin_id: item.pluginId,
        script_path: item.scriptPath,
        // the v2 spelling (`agent`, `unifiedExecStartup`, `userShell`…), as Codex sends it
        command_execution_source: item.source,
        exit_code: item.exitCode,
        command_total_action_count: item.actions.total,
        command_read_action_count: item.actions.read,
        command_list_files_action_count: item.actions.listFiles,
        command_search_action_count: item.actions.search,
        command_unknown_action_count: item.actions.unknown,
      };
    case "fileChange":
      return {
        file_change_count: item.files.total,
        file_add_count: item.files.add,
        file_update_count: item.files.update,
        file_delete_count: item.files.delete,
        file_move_count: item.files.move,
      };
    case "mcpToolCall":
      return {
        mcp_server_name: item.server,
        mcp_tool_name: item.tool,
        mcp_error_present: item.errorPresent,
        plugin_id: item.pluginId,
        connector_id: item.connectorId,
      };
    case "dynamicToolCall":
      return {
        dynamic_tool_name: item.tool,
        success: item.success,
        output_content_item_count: item.content?.total ?? null,
        output_text_item_count: item.content?.text ?? null,
        output_image_item_count: item.content?.image ?? null,
        output_audio_item_count: item.content?.audio ?? null,
      };
    case "collabAgentToolCall":
      return {
        sender_thread_id: item.senderThreadId,
        receiver_thread_count: item.receiverThreadIds.length,
        receiver_thread_ids: item.receiverThreadIds,
        requested_model: item.model,
        requested_reasoning_effort: item.reasoningEffort,
        agent_state_count: item.agentStates.total,
        completed_agent_count: item.agentStates.completed,
        failed_agent_count: item.agentStates.failed,
      };
    case "webSearch":
      return { web_search_action: item.action, query_present: item.queryPresent, query_count: item.queryCount };
    case "imageGeneration":
      return {
        revised_prompt_present: item.revisedPromptPresent,
        saved_path_present: item.savedPathPresent,
        transparent_background: item.transparentBackground,
        imagegen_request_id: item.requestId,
      };
  }
}

/** The per-turn counter a tool item bumps. */
export function turnCounter(item: ToolItem): "shell_command_count" | "file_change_count" | "mcp_tool_call_count" | "dynamic_tool_call_count" | "subagent_tool_call_count" | "web_search_count" | "image_generation_count" {
  switch (item.type) {
    case "commandExecution":
      return "shell_command_count";
    case "fileChange":
      return "file_change_count";
    case "mcpToolCall":
      return "mcp_tool_call_count";
    case "dynamicToolCall":
      return "dynamic_tool_call_count";
    case "collabAgentToolCall":
      return "subagent_tool_call_count";
    case "webSearch":
      return "web_search_count";
    case "imageGeneration":
      return "image_generation_count";
  }
}
