// Items that act on the workspace: command executions and file changes (patches), from core
// `TurnItem`s and the legacy `patch_apply_end` event. Key order follows Codex's serializer.
import type { Json } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { asArr, asObj, asStr, camelStatus, durationMs, orNull, pick, uriToPath, withTimes, type O } from "./codex-json.js";
import { shellJoin } from "./shell.js";

function joinPath(base: string, p: string): string {
  if (p.startsWith("/") || base === "") return p;
  return base.endsWith("/") ? base + p : base + "/" + p;
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

// ---------------------------------------------------------------------------------------------
// core TurnItem -> ThreadItem body (the dispatcher in items.ts adds the lifecycle times)

export function coreCommandExecution(item: O, id: string): O {
  const cwd = uriToPath(item.cwd);
  const argv = asArr(item.command).filter((w): w is string => typeof w === "string");
  const out = asStr(pick(item, "aggregated_output", "aggregatedOutput"));
  return {
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
  };
}

export function coreFileChange(item: O, id: string): O {
  return { type: "fileChange", id, changes: patchChanges(item.changes), status: camelStatus(item.status, "inProgress") };
}

// ---------------------------------------------------------------------------------------------
// legacy event kinds -> ThreadItem (null lifecycle times)

export function legacyPatchApplyEnd(p: O): ThreadItem {
  return withTimes({ type: "fileChange", id: asStr(p.call_id) ?? "", changes: patchChanges(p.changes), status: camelStatus(p.status, p.success === false ? "failed" : "completed") }, null, null);
}
