// Cheap triage of raw rollout lines before JSON.parse: most lines of a big rollout (response
// items, token records, world state, turn contexts) cannot change turns. Codex writes every line
// as `{"timestamp":…,["ordinal":N,]"type":…,"payload":{"type":…` so the kinds sit in the first
// bytes; anything that does not look like that is parsed normally.
import { LEGACY_EVENTS, PAGINATED_EVENTS, PERSISTED_RESPONSE_ITEMS, SPOOL_LEGACY_ITEMS } from "./codex-lines.js";
import type { HistoryMode } from "./reducer.js";
import { PENDING_ID_CORE_KINDS } from "./spool-ids.js";

export const enum Triage {
  /** cannot affect history: drop */
  Skip = 0,
  /** cannot affect turns but Codex's legacy replay keeps it (it advances implicit-turn indexes) */
  Count = 1,
  /** parse and feed */
  Parse = 2,
}

const HEAD = /^\{"timestamp":"[^"]*",(?:"ordinal":\d+,)?"type":"([a-z_]+)","payload":\{(?:"type":"([A-Za-z_]+)")?/;
const ITEM_TYPE = /"item":\{"type":"([A-Za-z]+)"/;
const ROLE_NOT_USER = /"role":"(?:assistant|developer|system)"/;
const SANDBOX = '"sandbox_policy":';

/**
 * `head` is the start of the line (a few hundred chars, latin1 is fine); `find(s)` gives the
 * offset of `s` in the whole line or -1 (asked only when the head cannot tell), and `at(i, s)`
 * whether the line has `s` at offset `i`. `spoolItems`: the legacy replay also reads Spool's
 * extension lines (the thread is marked, see codex-lines.ts; the reducer's `showsSpoolItems()`).
 */
export function triage(head: string, mode: HistoryMode, find: (s: string) => number, at: (i: number, s: string) => boolean, spoolItems: boolean): Triage {
  const m = HEAD.exec(head);
  if (!m) return Triage.Parse;
  const type = m[1];
  const inner = m[2];
  if (mode === "paginated") {
    if (type === "event_msg") {
      if (inner === undefined) return Triage.Parse;
      return PAGINATED_EVENTS.has(inner) ? Triage.Parse : Triage.Skip;
    }
    return type === "session_meta" ? Triage.Parse : Triage.Skip;
  }
  switch (type) {
    case "session_meta":
    case "compacted":
      return Triage.Parse;
    case "event_msg": {
      if (inner === undefined) return Triage.Parse;
      if (inner === "token_count") return Triage.Count;
      if (inner === "item_completed") {
        const it = ITEM_TYPE.exec(head);
        if (!it) return Triage.Parse;
        if (it[1] === "Plan" || it[1] === "Sleep") return Triage.Parse;
        return spoolItems && (SPOOL_LEGACY_ITEMS.has(it[1]) || PENDING_ID_CORE_KINDS.has(it[1])) ? Triage.Parse : Triage.Skip;
      }
      return LEGACY_EVENTS.has(inner) ? Triage.Parse : Triage.Skip;
    }
    case "response_item":
      if (inner === undefined) return Triage.Parse;
      if (!PERSISTED_RESPONSE_ITEMS.has(inner)) return Triage.Skip;
      if (inner !== "message") return Triage.Count;
      // only user messages can be hook prompts
      if (ROLE_NOT_USER.test(head)) return Triage.Count;
      return find("<hook_prompt") >= 0 ? Triage.Parse : Triage.Count;
    case "turn_context": {
      if (head.indexOf('"cwd":"') < 0 && find('"cwd":"') < 0) return Triage.Parse;
      const sp = find(SANDBOX);
      if (sp < 0) return Triage.Count;
      return at(sp + SANDBOX.length, '{"type":"') ? Triage.Count : Triage.Parse;
    }
    case "world_state":
    case "inter_agent_communication":
    case "inter_agent_communication_metadata":
    case "rollout_reference":
      return Triage.Count;
    case "token_usage_record":
      return head.indexOf('"response_id":"') >= 0 || find('"response_id":"') >= 0 ? Triage.Count : Triage.Skip;
    default:
      return Triage.Skip;
  }
}
