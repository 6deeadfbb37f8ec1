// What the turn engine needs from the home's config.toml, resolved the way Codex reads it: the
// model, the model provider (`model_provider`, `[model_providers.<id>]`, or a built-in one), the
// approval policy and sandbox mode, and a few model knobs.
//
// Built-in providers: "openai" (https://api.openai.com/v1, or $OPENAI_BASE_URL; key from
// $OPENAI_API_KEY) and "ollama"/"lmstudio" (local OpenAI-compatible servers, no key). A
// `[model_providers.<id>]` table with a built-in id replaces the built-in entry.
import { ConfigError, type SpoolConfig } from "../config/config.js";
import { workspaceWriteFromConfig, type SandboxMode, type WorkspaceWriteOptions } from "../sandbox/policy.js";

export type { SandboxMode, WorkspaceWriteOptions } from "../sandbox/policy.js";
export type ApprovalPolicy = "untrusted" | "on-failure" | "on-request" | "never";
export type WebSearchMode = "disabled" | "cached" | "live";
/** A turn's collaboration mode (turn/start `collaborationMode.mode`). */
export type CollaborationMode = "default" | "plan";

export interface ProviderConfig {
  id: string;
  name: string;
  /** Without a trailing slash; requests go to `${baseUrl}/responses`. */
  baseUrl: string;
  wireApi: "responses";
  /** Environment variable holding the bearer token (resolved at request time). */
  envKey: string | null;
  /** A literal bearer token (`experimental_bearer_token`); env_key wins when both are set. */
  bearerToken: string | null;
  httpHeaders: Record<string, string>;
  /** Header name -> environment variable; unset or empty variables are skipped. */
  envHttpHeaders: Record<string, string>;
  queryParams: Record<string, string>;
  requestMaxRetries: number;
  streamMaxRetries: number;
  streamIdleTimeoutMs: number;
}

export interface AgentConfig {
  model: string;
  provider: ProviderConfig;
  approvalPolicy: ApprovalPolicy;
  sandboxMode: SandboxMode;
  /** `[sandbox_workspace_write]`: extra writable roots, network, the temp dirs. */
  workspaceWrite: WorkspaceWriteOptions;
  /** `model_reasoning_effort` (minimal, low, medium, high, xhigh), or null for the model's default. */
  reasoningEffort: string | null;
  /** `model_reasoning_summary` (auto, concise, detailed, none). */
  reasoningSummary: string;
  /** `web_search`, or null when not configured (then it follows the sandbox, like Codex: live without one, else cached). */
  webSearch: WebSearchMode | null;
  /** `model_context_window`, else Codex's fallback for models it has no metadata for. */
  contextWindow: number;
  /** `model_auto_compact_token_limit` (null: 90% of the context window). */
  autoCompactTokenLimit: number | null;
}

export const DEFAULT_MODEL = "gpt-5.1-codex";
/** Codex's context window for a model without metadata (272k at 95% effective use). */
export const DEFAULT_CONTEXT_WINDOW = 258_400;
export const DEFAULT_REQUEST_MAX_RETRIES = 4;
export const DEFAULT_STREAM_MAX_RETRIES = 5;
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
/** Codex's hard cap on both retry settings. */
const MAX_RETRIES_CAP = 100;

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);
const strOf = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const numOf = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
  return out;
}

function builtinProvider(id: string, env: NodeJS.ProcessEnv): Raw | null {
  switch (id) {
    case "openai":
      return { name: "OpenAI", base_url: env.OPENAI_BASE_URL || "https://api.openai.com/v1", env_key: "OPENAI_API_KEY", wire_api: "responses" };
    case "ollama":
      return { name: "Ollama", base_url: `http://localhost:${env.CODEX_OSS_PORT || "11434"}/v1`, wire_api: "responses" };
    case "lmstudio":
      return { name: "LM Studio", base_url: `http://localhost:${env.CODEX_OSS_PORT || "1234"}/v1`, wire_api: "responses" };
    default:
      return null;
  }
}

/** The provider `id` as configured (a `[model_providers.<id>]` table, else a built-in). */
export function resolveProvider(config: SpoolConfig, id = config.modelProvider, env: NodeJS.ProcessEnv = process.env): ProviderConfig {
  const tables = isRecord(config.model_providers) ? (config.model_providers as Raw) : {};
  const table = isRecord(tables[id]) ? (tables[id] as Raw) : null;
  const raw = table ?? builtinProvider(id, env);
  if (!raw) throw new ConfigError(`model provider \`${id}\` not found: add a [model_providers.${id}] table to config.toml`);
  const wire = strOf(raw.wire_api) ?? "responses";
  if (wire !== "responses") throw new ConfigError(`model provider \`${id}\`: wire_api = "${wire}" is not supported (only "responses")`);
  const baseUrl = strOf(raw.base_url) ?? (id === "openai" ? "https://api.openai.com/v1" : null);
  if (!baseUrl) throw new ConfigError(`model provider \`${id}\` has no base_url`);
  const retries = (v: unknown, dflt: number) => Math.min(MAX_RETRIES_CAP, Math.max(0, Math.floor(numOf(v) ?? dflt)));
  return {
    id,
    name: strOf(raw.name) ?? id,
    baseUrl: baseUrl.replace(/\/+$/, ""),
    wireApi: "responses",
    envKey: strOf(raw.env_key),
    bearerToken: strOf(raw.experimental_bearer_token),
    httpHeaders: stringMap(raw.http_headers),
    envHttpHeaders: stringMap(raw.env_http_headers),
    queryParams: stringMap(raw.query_params),
    requestMaxRetries: retries(raw.request_max_retries, DEFAULT_REQUEST_MAX_RETRIES),
    streamMaxRetries: retries(raw.stream_max_retries, DEFAULT_STREAM_MAX_RETRIES),
    streamIdleTimeoutMs: Math.max(1, numOf(raw.stream_idle_timeout_ms) ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS),
  };
}

/** Everything the turn engine reads from config.toml. Throws ConfigError for a bad provider. */
export function resolveAgentConfig(config: SpoolConfig, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const c = config as SpoolConfig & Raw;
  const web = strOf(c.web_search);
  return {
    model: strOf(c.model) ?? DEFAULT_MODEL,
    provider: resolveProvider(config, config.modelProvider, env),
    approvalPolicy: (config.approval_policy as ApprovalPolicy | undefined) ?? "on-request",
    sandboxMode: (config.sandbox_mode as SandboxMode | undefined) ?? "workspace-write",
    workspaceWrite: workspaceWriteFromConfig(c.sandbox_workspace_write),
    reasoningEffort: strOf(c.model_reasoning_effort),
    reasoningSummary: strOf(c.model_reasoning_summary) ?? "auto",
    webSearch: web === "disabled" || web === "live" || web === "cached" ? web : null,
    contextWindow: numOf(c.model_context_window) ?? DEFAULT_CONTEXT_WINDOW,
    autoCompactTokenLimit: numOf(c.model_auto_compact_token_limit) ?? null,
  };
}
