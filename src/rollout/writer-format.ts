// Writing Codex's rollout format: one `{"timestamp","ordinal"?,"type","payload"}` object per line
// (keys in that order, like Codex), and the first line's `session_meta` payload for a new thread.
//
// Spool writes history_mode "legacy" (no ordinals): Codex 0.169.0 reads a "paginated" rollout
// through its own thread_history SQLite projection, which Spool never writes, so a paginated file
// written by Spool reads back with no turns in Codex. A legacy file is replayed from the JSONL alone.
//
// Codex 0.169.0's legacy replay shows no command executions (it drops `exec_command_end` and the
// `item_completed` lines of most item kinds), although Spool's turns record them. So the
// session_meta of a legacy thread Spool writes carries one more field, `spool_items` (Codex
// ignores fields it does not know): Spool's reader shows that thread's `item_completed`
// CommandExecution items too (src/history/codex-lines.ts). Rollouts without it read as Codex reads them.
import type { Json, JsonObject, KnownLineType } from "./line.js";
import type { CreateThreadParams, RolloutItem } from "../store/types.js";

/** RFC 3339 with milliseconds and `Z`, as Codex writes line timestamps. */
export function rolloutTimestamp(at: Date | number): string {
  return (typeof at === "number" ? new Date(at) : at).toISOString();
}

/** One serialized line, newline included. `ordinal` only for paginated history. */
export function formatRolloutLine(type: KnownLineType, payload: JsonObject, at: Date | number, ordinal?: number): string {
  const ord = ordinal === undefined ? "" : `"ordinal":${ordinal},`;
  return `{"timestamp":"${rolloutTimestamp(at)}",${ord}"type":${JSON.stringify(type)},"payload":${JSON.stringify(payload)}}\n`;
}

export function formatRolloutItem(item: RolloutItem, at: Date | number, ordinal?: number): string {
  return formatRolloutLine(item.type, item.payload, at, ordinal);
}

/** The session_meta field that marks a legacy thread written by Spool, and its current value. */
export const SPOOL_ITEMS_FIELD = "spool_items";
export const SPOOL_ITEMS_VERSION = 1;

/** Agent nickname and role carried by a `{subagent: {thread_spawn: {...}}}` source. */
function spawnAgent(source: Json): { nickname: string | null; role: string | null } {
  const o = (v: Json | undefined) => (v && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : null);
  const s = (v: Json | undefined) => (typeof v === "string" ? v : null);
  const spawn = o(o(o(source)?.subagent)?.thread_spawn);
  return { nickname: s(spawn?.agent_nickname), role: s(spawn?.agent_role) ?? s(spawn?.agent_type) };
}

/**
 * The `session_meta` payload Spool writes as a thread's first line: Codex 0.169.0's field order
 * (session_id, id, forked_from_id, parent, timestamp, cwd, originator, cli_version, source,
 * thread_source, agent fields, model_provider, base_instructions, history_mode), absent values
 * omitted like Codex's `skip_serializing_if`; then, for legacy history, Spool's mark
 * (`spool_items`, see above).
 */
export function sessionMetaPayload(p: CreateThreadParams, createdAt: Date): JsonObject {
  const out: JsonObject = {};
  out.session_id = p.sessionId ?? p.threadId;
  out.id = p.threadId;
  if (p.forkedFromId) out.forked_from_id = p.forkedFromId;
  if (p.parentThreadId) out.parent_thread_id = p.parentThreadId;
  out.timestamp = rolloutTimestamp(createdAt);
  out.cwd = p.cwd;
  out.originator = p.originator;
  out.cli_version = p.cliVersion;
  out.source = p.source;
  if (p.threadSource) out.thread_source = p.threadSource;
  const agent = spawnAgent(p.source);
  if (agent.nickname) out.agent_nickname = agent.nickname;
  if (agent.role) out.agent_role = agent.role;
  out.model_provider = p.modelProvider;
  if (typeof p.baseInstructions === "string") out.base_instructions = { text: p.baseInstructions };
  out.history_mode = p.historyMode ?? "legacy";
  if (out.history_mode === "legacy") out[SPOOL_ITEMS_FIELD] = SPOOL_ITEMS_VERSION;
  return out;
}

export { spawnAgent as sessionSourceAgent };
