// A streaming client for the OpenAI Responses API (`POST {base_url}/responses`, `stream: true`),
// configured like Codex's model providers: bearer token from `env_key`, extra `http_headers` and
// `env_http_headers`, `query_params`, `request_max_retries` (connection errors, 408/429/5xx, with
// exponential backoff or the server's Retry-After) and a stream idle timeout. Stream failures after
// the response started (a disconnect before `response.completed`) surface as retryable
// ModelErrors; the turn re-issues the request up to `stream_max_retries` times.
//
// Errors carry Codex's `CodexErrorInfo` in the snake_case shape rollouts store
// (`"other"`, `"unauthorized"`, `{"response_too_many_failed_attempts":{"http_status_code":503}}`…),
// and messages like Codex's: an unexpected status gives the response body as is.
import type { Json, JsonObject } from "../rollout/line.js";
import { VERSION } from "../version.js";
import type { ProviderConfig } from "./config.js";
import { SseDecoder } from "./sse.js";
import { fallbackModelInfo, modelInfoFromCatalogue, type ModelInfo } from "./model-info.js";
import { usageFromResponses, type TokenUsage } from "./token-usage.js";

/** The request body, without `stream` (always true). */
export interface ModelRequest {
  model: string;
  instructions?: string;
  input: Json[];
  tools: Json[];
  tool_choice?: string;
  parallel_tool_calls?: boolean;
  reasoning?: JsonObject | null;
  store?: boolean;
  include?: string[];
  prompt_cache_key?: string;
  [k: string]: Json | undefined;
}

export type ModelStreamEvent =
  | { type: "created"; responseId: string | null }
  | { type: "outputItemAdded"; item: JsonObject }
  | { type: "outputTextDelta"; itemId: string | null; delta: string }
  | { type: "reasoningSummaryPartAdded"; itemId: string | null; summaryIndex: number }
  | { type: "reasoningSummaryDelta"; itemId: string | null; delta: string; summaryIndex: number }
  | { type: "reasoningTextDelta"; itemId: string | null; delta: string; contentIndex: number }
  | { type: "outputItemDone"; item: JsonObject }
  | { type: "completed"; responseId: string | null; usage: TokenUsage | null };

export interface StreamOptions {
  signal?: AbortSignal;
  /** Sent as `session-id`/`thread-id` headers. */
  threadId?: string;
}

export interface ModelClient {
  /** What the model supports (from the provider's catalogue); clients without one get the defaults. */
  modelInfo?(model: string): Promise<ModelInfo>;
  stream(request: ModelRequest, opts?: StreamOptions): AsyncGenerator<ModelStreamEvent, void, undefined>;
  /** How many times the turn may re-issue a request whose stream broke. */
  readonly streamMaxRetries: number;
}

export type ModelErrorKind = "http" | "connection" | "stream" | "failed" | "config";

export class ModelError extends Error {
  constructor(
    message: string,
    /** Codex's CodexErrorInfo, snake_case as in rollouts (`task_complete.error.codex_error_info`). */
    readonly codexErrorInfo: Json,
    readonly kind: ModelErrorKind,
    readonly retryable = false,
    readonly httpStatus: number | null = null,
  ) {
    super(message);
    this.name = "ModelError";
  }
}

const withStatus = (variant: string, status: number | null): Json => ({ [variant]: { http_status_code: status } });

export interface ResponsesClientOptions {
  fetch?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  /** Backoff sleeps (tests shorten them). */
  backoffMs?: (attempt: number) => number;
}

/** Codex's backoff: 200 ms doubling per attempt, ±10% jitter. */
export function defaultBackoffMs(attempt: number): number {
  const base = 200 * 2 ** Math.max(0, attempt - 1);
  return Math.round(base * (0.9 + Math.random() * 0.2));
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Retry-After as seconds (or an HTTP date), in ms; null when absent or unreadable. */
function retryAfterMs(h: string | null): number | null {
  if (!h) return null;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : null;
}

function errorBody(text: string): { code: string | null; type: string | null; message: string | null } {
  try {
    const v = JSON.parse(text) as { error?: { code?: unknown; type?: unknown; message?: unknown } };
    const e = v && typeof v === "object" ? v.error : undefined;
    if (e && typeof e === "object") {
      const s = (x: unknown) => (typeof x === "string" ? x : null);
      return { code: s(e.code), type: s(e.type), message: s(e.message) };
    }
  } catch {
    // not JSON
  }
  return { code: null, type: null, message: null };
}

const RETRYABLE_STATUS = (s: number) => s === 408 || s === 429 || s >= 500;

/** The error for a final non-2xx answer (after retries, for retryable statuses). */
export function httpError(status: number, statusText: string, body: string, retried: boolean): ModelError {
  const e = errorBody(body);
  const unexpected = body.trim() !== "" ? body : `unexpected status ${status} ${statusText}`.trim();
  if (status === 401) return new ModelError(unexpected, "unauthorized", "http", false, status);
  if (e.code === "context_length_exceeded") return new ModelError(e.message ?? unexpected, "context_window_exceeded", "http", false, status);
  if (e.type === "usage_limit_reached" || e.code === "insufficient_quota" || e.type === "insufficient_quota")
    return new ModelError(e.message ?? unexpected, "usage_limit_exceeded", "http", false, status);
  if (e.code === "server_is_overloaded" || e.type === "server_is_overloaded") return new ModelError(e.message ?? unexpected, "server_overloaded", "http", false, status);
  if (RETRYABLE_STATUS(status) && retried)
    return new ModelError(`exceeded retry limit, last status: ${status} ${statusText}`.trim(), withStatus("response_too_many_failed_attempts", status), "http", false, status);
  if (status >= 500) return new ModelError(unexpected, "internal_server_error", "http", false, status);
  return new ModelError(unexpected, "other", "http", false, status);
}

/** The error a `response.failed` event carries. */
function failedError(resp: unknown): ModelError {
  const r = (resp && typeof resp === "object" ? resp : {}) as { error?: { code?: unknown; message?: unknown } };
  const code = typeof r.error?.code === "string" ? r.error.code : null;
  const message = typeof r.error?.message === "string" ? r.error.message : "response.failed event received";
  if (code === "context_length_exceeded") return new ModelError(message, "context_window_exceeded", "failed");
  if (code === "insufficient_quota") return new ModelError(message, "usage_limit_exceeded", "failed");
  if (code === "server_is_overloaded" || code === "slow_down") return new ModelError(message, "server_overloaded", "failed");
  if (code === "rate_limit_exceeded" || code === "server_error") return new ModelError(message, withStatus("response_stream_disconnected", null), "stream", true);
  return new ModelError(message, "other", "failed");
}

export class ResponsesClient implements ModelClient {
  private readonly fetchImpl: typeof fetch;
  private readonly env: NodeJS.ProcessEnv;
  private readonly backoff: (attempt: number) => number;

  constructor(
    readonly provider: ProviderConfig,
    opts: ResponsesClientOptions = {},
  ) {
    this.fetchImpl = opts.fetch ?? fetch;
    this.env = opts.env ?? process.env;
    this.backoff = opts.backoffMs ?? defaultBackoffMs;
  }

  get streamMaxRetries(): number {
    return this.provider.streamMaxRetries;
  }

  private catalogue: Promise<Json | undefined> | null = null;

  /** The provider's model catalogue (`GET /models`, fetched once); a provider without one gives the defaults. */
  async modelInfo(model: string): Promise<ModelInfo> {
    this.catalogue ??= (async () => {
      try {
        const u = new URL(`${this.provider.baseUrl}/models`);
        for (const [k, v] of Object.entries(this.provider.queryParams)) u.searchParams.set(k, v);
        const res = await this.fetchImpl(u.toString(), { headers: { ...this.headers(), accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
        return res.ok ? ((await res.json()) as Json) : undefined;
      } catch {
        return undefined;
      }
    })();
    const answer = await this.catalogue;
    return answer === undefined ? fallbackModelInfo(model) : modelInfoFromCatalogue(model, answer);
  }

  /** `${base_url}/responses` with the provider's query parameters. */
  url(): string {
    const u = new URL(`${this.provider.baseUrl}/responses`);
    for (const [k, v] of Object.entries(this.provider.queryParams)) u.searchParams.set(k, v);
    return u.toString();
  }

  headers(threadId?: string): Record<string, string> {
    const p = this.provider;
    const h: Record<string, string> = {
      "content-type": "application/json",
      accept: "text/event-stream",
      "user-agent": `spool/${VERSION}`,
    };
    if (threadId) {
      h["session-id"] = threadId;
      h["thread-id"] = threadId;
    }
    let token: string | null = null;
    if (p.envKey) {
      const v = this.env[p.envKey];
      if (!v || v.trim() === "") throw new ModelError(`Missing environment variable: \`${p.envKey}\`.`, "other", "config");
      token = v.trim();
    } else if (p.bearerToken) token = p.bearerToken;
    if (token) h.authorization = `Bearer ${token}`;
    for (const [k, v] of Object.entries(p.httpHeaders)) h[k.toLowerCase()] = v;
    for (const [k, name] of Object.entries(p.envHttpHeaders)) {
      const v = this.env[name];
      if (v && v.trim() !== "") h[k.toLowerCase()] = v;
    }
    return h;
  }

  async *stream(request: ModelRequest, opts: StreamOptions = {}): AsyncGenerator<ModelStreamEvent, void, undefined> {
    const signal = opts.signal;
    const res = await this.send(request, opts);
    yield* this.events(res, signal);
  }

  /** POSTs the request, retrying connection failures and retryable statuses. */
  private async send(request: ModelRequest, opts: StreamOptions): Promise<Response> {
    const signal = opts.signal;
    const url = this.url();
    const headers = this.headers(opts.threadId);
    const body = JSON.stringify({ ...request, stream: true });
    const max = this.provider.requestMaxRetries;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortError(signal);
      let res: Response;
      try {
        res = await this.fetchImpl(url, { method: "POST", headers, body, signal });
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        if (attempt < max) {
          await sleep(this.backoff(attempt + 1), signal);
          continue;
        }
        const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
        throw new ModelError(`error sending request for url (${url}): ${cause}`, withStatus("http_connection_failed", null), "connection", false);
      }
      if (res.ok) return res;
      const text = await res.text().catch(() => "");
      if (RETRYABLE_STATUS(res.status) && attempt < max && !isFinalQuotaError(text)) {
        await sleep(retryAfterMs(res.headers.get("retry-after")) ?? this.backoff(attempt + 1), signal);
        continue;
      }
      throw httpError(res.status, res.statusText, text, RETRYABLE_STATUS(res.status) && max > 0);
    }
  }

  /** Decodes the SSE body into stream events until `response.completed`. */
  private async *events(res: Response, signal?: AbortSignal): AsyncGenerator<ModelStreamEvent, void, undefined> {
    if (!res.body) throw new ModelError("stream disconnected before completion: empty response body", withStatus("response_stream_disconnected", null), "stream", true);
    const reader = res.body.getReader();
    const decoder = new SseDecoder();
    const idleMs = this.provider.streamIdleTimeoutMs;
    try {
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<"idle">((r) => (timer = setTimeout(() => r("idle"), idleMs)));
        let chunk: ReadableStreamReadResult<Uint8Array> | "idle";
        try {
          chunk = await Promise.race([reader.read(), idle]);
        } catch (e) {
          if (signal?.aborted) throw abortError(signal);
          throw new ModelError(`stream disconnected before completion: ${(e as Error).message}`, withStatus("response_stream_disconnected", null), "stream", true);
        } finally {
          clearTimeout(timer);
        }
        if (chunk === "idle") throw new ModelError("stream disconnected before completion: idle timeout waiting for SSE", withStatus("response_stream_disconnected", null), "stream", true);
        if (chunk.done) break;
        for (const ev of decoder.push(chunk.value)) {
          const out = this.decode(ev.event, ev.data);
          if (!out) continue;
          yield out;
          if (out.type === "completed") return;
        }
      }
      decoder.end();
      if (signal?.aborted) throw abortError(signal);
      throw new ModelError("stream disconnected before completion: stream closed before response.completed", withStatus("response_stream_disconnected", null), "stream", true);
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  private decode(name: string, data: string): ModelStreamEvent | null {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return null;
    }
    if (!v || typeof v !== "object") return null;
    const type = typeof v.type === "string" ? v.type : name;
    const s = (x: unknown) => (typeof x === "string" ? x : null);
    const i = (x: unknown) => (typeof x === "number" ? x : 0);
    const item = (x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? (x as JsonObject) : null);
    switch (type) {
      case "response.created":
        return { type: "created", responseId: s(item(v.response)?.id) };
      case "response.output_item.added": {
        const it = item(v.item);
        return it ? { type: "outputItemAdded", item: it } : null;
      }
      case "response.output_text.delta":
        return typeof v.delta === "string" ? { type: "outputTextDelta", itemId: s(v.item_id), delta: v.delta } : null;
      case "response.reasoning_summary_part.added":
        return { type: "reasoningSummaryPartAdded", itemId: s(v.item_id), summaryIndex: i(v.summary_index) };
      case "response.reasoning_summary_text.delta":
        return typeof v.delta === "string" ? { type: "reasoningSummaryDelta", itemId: s(v.item_id), delta: v.delta, summaryIndex: i(v.summary_index) } : null;
      case "response.reasoning_text.delta":
        return typeof v.delta === "string" ? { type: "reasoningTextDelta", itemId: s(v.item_id), delta: v.delta, contentIndex: i(v.content_index) } : null;
      case "response.output_item.done": {
        const it = item(v.item);
        return it ? { type: "outputItemDone", item: it } : null;
      }
      case "response.completed": {
        const r = item(v.response);
        return { type: "completed", responseId: s(r?.id), usage: usageFromResponses(r?.usage) };
      }
      case "response.failed":
        throw failedError(v.response);
      case "response.incomplete": {
        const reason = s(item(item(v.response)?.incomplete_details)?.reason) ?? "unknown";
        throw new ModelError(`Incomplete response returned, reason: ${reason}`, "other", "failed");
      }
      case "error": {
        const msg = s(v.message) ?? s(item(v.error)?.message) ?? data;
        throw new ModelError(msg, "other", "failed");
      }
      default:
        return null;
    }
  }
}

function isFinalQuotaError(body: string): boolean {
  const e = errorBody(body);
  return e.type === "usage_limit_reached" || e.code === "insufficient_quota" || e.type === "insufficient_quota";
}
