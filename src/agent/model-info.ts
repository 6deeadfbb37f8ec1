// What a model supports, from its provider's catalogue (`GET {base_url}/models` answering
// Codex's `{"models": [...]}` shape) when the provider has one, else the defaults for a model
// without metadata: reasoning summaries and encrypted reasoning are requested (providers that
// don't know a field ignore it, and OpenAI's reasoning models need both to keep reasoning across
// turns).
import type { Json, JsonObject } from "../rollout/line.js";

export interface ModelInfo {
  slug: string;
  /** Send `reasoning: {effort, summary}`. */
  supportsReasoningSummaries: boolean;
  /** Ask for `reasoning.encrypted_content` (sent back with the next requests). */
  supportsEncryptedReasoning: boolean;
  /** The effort used when config sets none (null: let the API decide). */
  defaultReasoningEffort: string | null;
}

export const fallbackModelInfo = (slug: string): ModelInfo => ({ slug, supportsReasoningSummaries: true, supportsEncryptedReasoning: true, defaultReasoningEffort: null });

const isObj = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const bool = (v: Json | undefined, dflt: boolean) => (typeof v === "boolean" ? v : dflt);

/** The entry for `slug` in a catalogue answer (exact slug, else the longest slug prefix), or the fallback. */
export function modelInfoFromCatalogue(slug: string, answer: Json | undefined): ModelInfo {
  const list = isObj(answer) && Array.isArray(answer.models) ? answer.models.filter(isObj) : [];
  const slugOf = (m: JsonObject) => (typeof m.slug === "string" ? m.slug : "");
  const entry = list.find((m) => slugOf(m) === slug) ?? list.filter((m) => slugOf(m) !== "" && slug.startsWith(slugOf(m))).sort((a, b) => slugOf(b).length - slugOf(a).length)[0];
  const fb = fallbackModelInfo(slug);
  if (!entry) return fb;
  const summaries = bool(entry.supports_reasoning_summary_parameter, bool(entry.supports_reasoning_summaries, fb.supportsReasoningSummaries));
  return {
    slug,
    supportsReasoningSummaries: summaries,
    supportsEncryptedReasoning: bool(entry.supports_encrypted_reasoning, summaries),
    defaultReasoningEffort: typeof entry.default_reasoning_level === "string" ? entry.default_reasoning_level : null,
  };
}
