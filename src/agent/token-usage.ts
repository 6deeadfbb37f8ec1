// Token accounting in Codex's shapes: the Responses API `usage` object, the rollout's
// `TokenUsage` (snake_case, in `token_count` events) and the v2 `TokenUsageBreakdown`.
import type { Json, JsonObject } from "../rollout/line.js";

/** As in a rollout `token_count` event (`total_token_usage`, `last_token_usage`). */
export interface TokenUsage {
  input_tokens: number;
  cached_input_tokens: number;
  cache_write_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
}

export const zeroUsage = (): TokenUsage => ({
  input_tokens: 0,
  cached_input_tokens: 0,
  cache_write_input_tokens: 0,
  output_tokens: 0,
  reasoning_output_tokens: 0,
  total_tokens: 0,
});

const n = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const o = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The Responses API `response.usage` (input_tokens_details.cached_tokens, output_tokens_details.reasoning_tokens). */
export function usageFromResponses(u: unknown): TokenUsage | null {
  if (typeof u !== "object" || u === null) return null;
  const x = o(u);
  const input = n(x.input_tokens);
  const output = n(x.output_tokens);
  return {
    input_tokens: input,
    cached_input_tokens: n(o(x.input_tokens_details).cached_tokens),
    cache_write_input_tokens: n(o(x.input_tokens_details).cache_write_tokens),
    output_tokens: output,
    reasoning_output_tokens: n(o(x.output_tokens_details).reasoning_tokens),
    total_tokens: x.total_tokens === undefined ? input + output : n(x.total_tokens),
  };
}

/** A stored `TokenUsage` (older rollouts lack cache_write_input_tokens). */
export function usageFromRollout(v: Json | undefined): TokenUsage | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const x = v as JsonObject;
  return {
    input_tokens: n(x.input_tokens),
    cached_input_tokens: n(x.cached_input_tokens),
    cache_write_input_tokens: n(x.cache_write_input_tokens),
    output_tokens: n(x.output_tokens),
    reasoning_output_tokens: n(x.reasoning_output_tokens),
    total_tokens: n(x.total_tokens),
  };
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    cached_input_tokens: a.cached_input_tokens + b.cached_input_tokens,
    cache_write_input_tokens: a.cache_write_input_tokens + b.cache_write_input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    reasoning_output_tokens: a.reasoning_output_tokens + b.reasoning_output_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

/** a - b, field by field (the usage between two cumulative totals). */
export function subtractUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    input_tokens: a.input_tokens - b.input_tokens,
    cached_input_tokens: a.cached_input_tokens - b.cached_input_tokens,
    cache_write_input_tokens: a.cache_write_input_tokens - b.cache_write_input_tokens,
    output_tokens: a.output_tokens - b.output_tokens,
    reasoning_output_tokens: a.reasoning_output_tokens - b.reasoning_output_tokens,
    total_tokens: a.total_tokens - b.total_tokens,
  };
}

/** v2 `TokenUsageBreakdown` (camelCase, Codex's key order). */
export function usageBreakdown(u: TokenUsage): JsonObject {
  return {
    totalTokens: u.total_tokens,
    inputTokens: u.input_tokens,
    cachedInputTokens: u.cached_input_tokens,
    cacheWriteInputTokens: u.cache_write_input_tokens,
    outputTokens: u.output_tokens,
    reasoningOutputTokens: u.reasoning_output_tokens,
  };
}

export const usageJson = (u: TokenUsage): JsonObject => ({ ...u });
