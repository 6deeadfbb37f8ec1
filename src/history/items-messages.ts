// Conversation items: user and agent messages, reasoning, plans, hook prompts and review-mode
// notes, from core `TurnItem`s (`item_completed`) and from the legacy event kinds. Key order
// follows Codex's serializer so answers stay byte-comparable with Codex's.
import type { Json } from "../rollout/line.js";
import type { ThreadItem } from "../protocol/v2.js";
import { asArr, asObj, asStr, camelKeys, isObj, orNull, pick, snakeToCamel, withTimes, type O } from "./codex-json.js";

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

// ---------------------------------------------------------------------------------------------
// core TurnItem -> ThreadItem body (the dispatcher in items.ts adds the lifecycle times)

export function coreUserMessage(item: O, id: string): O {
  return { type: "userMessage", id, clientId: orNull(pick(item, "client_id", "clientId")), content: asArr(item.content).map(userInput) };
}

export function coreHookPrompt(item: O, id: string): O {
  return {
    type: "hookPrompt",
    id,
    fragments: asArr(item.fragments).map((f) => {
      const o = asObj(f) ?? {};
      return { text: orNull(o.text), hookRunId: orNull(pick(o, "hook_run_id", "hookRunId")) };
    }),
  };
}

export function coreAgentMessage(item: O, id: string): O {
  let text = "";
  for (const c of asArr(item.content)) {
    const o = asObj(c);
    if (o && typeof o.text === "string") text += o.text;
  }
  return {
    type: "agentMessage",
    moderation: orNull(item.moderation),
    id,
    text,
    phase: orNull(item.phase),
    memoryCitation: memoryCitation(pick(item, "memory_citation", "memoryCitation")),
    delivery: orNull(item.delivery),
    questions: orNull(item.questions),
  };
}

export function corePlan(item: O, id: string): O {
  return { type: "plan", id, text: asStr(item.text) ?? "" };
}

export function coreReasoning(item: O, id: string): O {
  return { type: "reasoning", id, summary: asArr(pick(item, "summary_text", "summaryText")), content: asArr(pick(item, "raw_content", "rawContent")) };
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
