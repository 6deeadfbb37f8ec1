// The Responses API client against the scripted server: the request it sends (URL, query
// parameters, headers, bearer token, body), the stream events it decodes, retries with backoff,
// and the errors it raises (HTTP statuses, broken streams, response.failed, aborts, no server).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ModelError, ResponsesClient, type ModelStreamEvent } from "../src/agent/model-client.js";
import { resolveProvider, type ProviderConfig } from "../src/agent/config.js";
import type { SpoolConfig } from "../src/config/config.js";
import { startMockResponses, type MockResponses, type MockScriptContext } from "./helpers/mock-responses.js";

let mock: MockResponses;
/** per-test behaviour for the mock's script hook, keyed by the prompt */
const scripts = new Map<string, (ctx: MockScriptContext) => boolean | Promise<boolean>>();

before(async () => {
  mock = await startMockResponses({ script: (ctx) => scripts.get(ctx.text)?.(ctx) ?? false });
});
after(async () => {
  await mock.close();
});

function provider(extra: Record<string, unknown> = {}): ProviderConfig {
  const cfg = { modelProvider: "mock", model_providers: { mock: { name: "Mock", base_url: mock.url, wire_api: "responses", request_max_retries: 0, stream_max_retries: 0, ...extra } } };
  return resolveProvider(cfg as unknown as SpoolConfig);
}

const req = (text: string) => ({ model: "mock-model", input: [{ type: "message", role: "user", content: [{ type: "input_text", text }] }], tools: [] });

async function collect(client: ResponsesClient, text: string, signal?: AbortSignal): Promise<ModelStreamEvent[]> {
  const out: ModelStreamEvent[] = [];
  for await (const ev of client.stream(req(text), { signal, threadId: "thread-1" })) out.push(ev);
  return out;
}

test("streams a reply: created, item added, text deltas, item done, completed with usage", async () => {
  const events = await collect(new ResponsesClient(provider()), "hello there");
  assert.deepEqual(
    events.map((e) => e.type),
    ["created", "outputItemAdded", "outputTextDelta", "outputTextDelta", "outputItemDone", "completed"],
  );
  const deltas = events.flatMap((e) => (e.type === "outputTextDelta" ? [e.delta] : []));
  assert.equal(deltas.join(""), "Echo: hello there");
  const done = events.find((e) => e.type === "outputItemDone");
  assert.deepEqual(done && done.type === "outputItemDone" && done.item.content, [{ type: "output_text", text: "Echo: hello there" }]);
  const completed = events[events.length - 1];
  assert.deepEqual(completed.type === "completed" && completed.usage, {
    input_tokens: 110,
    cached_input_tokens: 50,
    cache_write_input_tokens: 0,
    output_tokens: 20,
    reasoning_output_tokens: 0,
    total_tokens: 130,
  });
});

test("sends POST {base_url}/responses with query params, headers, the bearer token from env_key, and stream: true", async () => {
  const client = new ResponsesClient(provider({ env_key: "SPOOL_TEST_KEY", http_headers: { "X-Extra": "yes" }, env_http_headers: { "X-From-Env": "SPOOL_TEST_HDR" }, query_params: { "api-version": "2025-01" } }), {
    env: { SPOOL_TEST_KEY: "sk-test", SPOOL_TEST_HDR: "from-env" },
  });
  const n = mock.requests.length;
  await collect(client, "hello headers");
  const r = mock.requests[n];
  assert.equal(r.method, "POST");
  assert.equal(r.url, "/v1/responses?api-version=2025-01");
  assert.equal(r.headers.authorization, "Bearer sk-test");
  assert.equal(r.headers["x-extra"], "yes");
  assert.equal(r.headers["x-from-env"], "from-env");
  assert.equal(r.headers.accept, "text/event-stream");
  assert.equal(r.headers["session-id"], "thread-1");
  assert.equal(r.body.stream, true);
  assert.equal(r.body.model, "mock-model");
  // no env_key, no token: no authorization header
  await collect(new ResponsesClient(provider()), "hello again");
  assert.equal(mock.requests[mock.requests.length - 1].headers.authorization, undefined);
  // a missing variable fails before sending
  await assert.rejects(collect(new ResponsesClient(provider({ env_key: "SPOOL_TEST_UNSET" }), { env: {} }), "x"), (e: unknown) => e instanceof ModelError && e.message === "Missing environment variable: `SPOOL_TEST_UNSET`.");
});

test("an HTTP 400 fails with the response body as the message, codexErrorInfo other", async () => {
  await assert.rejects(collect(new ResponsesClient(provider()), "fail: boom"), (e: unknown) => {
    assert.ok(e instanceof ModelError);
    assert.equal(e.message, '{"error":{"message":"mock refused: boom","type":"invalid_request_error"}}');
    assert.equal(e.codexErrorInfo, "other");
    assert.equal(e.httpStatus, 400);
    assert.equal(e.retryable, false);
    return true;
  });
});

test("retryable statuses are retried with backoff; when retries run out the error says so", async () => {
  let calls = 0;
  scripts.set("flaky", (ctx) => {
    if (calls++ >= 2) return false;
    ctx.res.writeHead(503, { "content-type": "application/json", "retry-after": "0" });
    ctx.res.end(JSON.stringify({ error: { message: "busy", type: "server_error" } }));
    return true;
  });
  const events = await collect(new ResponsesClient(provider({ request_max_retries: 2 }), { backoffMs: () => 5 }), "flaky");
  assert.equal(calls, 3);
  assert.equal(events[events.length - 1].type, "completed");
  calls = 0;
  await assert.rejects(collect(new ResponsesClient(provider({ request_max_retries: 1 }), { backoffMs: () => 5 }), "flaky"), (e: unknown) => {
    assert.ok(e instanceof ModelError);
    assert.equal(e.message, "exceeded retry limit, last status: 503 Service Unavailable");
    assert.deepEqual(e.codexErrorInfo, { response_too_many_failed_attempts: { http_status_code: 503 } });
    return true;
  });
  assert.equal(calls, 2);
  scripts.set("unauthorized", (ctx) => {
    ctx.res.writeHead(401, { "content-type": "application/json" });
    ctx.res.end(JSON.stringify({ error: { message: "bad key" } }));
    return true;
  });
  await assert.rejects(collect(new ResponsesClient(provider({ request_max_retries: 3 })), "unauthorized"), (e: unknown) => e instanceof ModelError && e.codexErrorInfo === "unauthorized");
});

test("a stream that ends before response.completed is a retryable disconnect; response.failed carries its message", async () => {
  scripts.set("broken", (ctx) => {
    ctx.beginStream();
    ctx.sse("response.created", { response: { id: "resp_x" } });
    ctx.sse("response.output_text.delta", { item_id: "msg_x", delta: "half" });
    ctx.res.end();
    return true;
  });
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const ev of new ResponsesClient(provider()).stream(req("broken"))) seen.push(ev.type);
    })(),
    (e: unknown) => {
      assert.ok(e instanceof ModelError);
      assert.equal(e.retryable, true);
      assert.equal(e.kind, "stream");
      assert.match(e.message, /^stream disconnected before completion/);
      assert.deepEqual(e.codexErrorInfo, { response_stream_disconnected: { http_status_code: null } });
      return true;
    },
  );
  assert.deepEqual(seen, ["created", "outputTextDelta"]);
  scripts.set("failed", (ctx) => {
    ctx.beginStream();
    ctx.sse("response.failed", { response: { id: "r", error: { code: "context_length_exceeded", message: "too long" } } });
    ctx.res.end();
    return true;
  });
  await assert.rejects(collect(new ResponsesClient(provider()), "failed"), (e: unknown) => e instanceof ModelError && e.message === "too long" && e.codexErrorInfo === "context_window_exceeded");
});

test("an abort stops a streaming response at once; no server is a connection failure", async () => {
  const ac = new AbortController();
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const ev of new ResponsesClient(provider()).stream(req("slow: 3000"), { signal: ac.signal })) {
        seen.push(ev.type);
        if (ev.type === "outputTextDelta") ac.abort();
      }
    })(),
    (e: unknown) => (e as Error).name === "AbortError",
  );
  // 3000 deltas 300 ms apart outlast the test timeout: only the abort can have ended it
  assert.ok(seen.includes("outputTextDelta"));
  const gone = resolveProvider({ modelProvider: "x", model_providers: { x: { base_url: "http://127.0.0.1:9/v1", request_max_retries: 0 } } } as unknown as SpoolConfig);
  await assert.rejects(collect(new ResponsesClient(gone), "hi"), (e: unknown) => {
    assert.ok(e instanceof ModelError);
    assert.deepEqual(e.codexErrorInfo, { http_connection_failed: { http_status_code: null } });
    assert.match(e.message, /^error sending request for url \(http:\/\/127\.0\.0\.1:9\/v1\/responses\)/);
    return true;
  });
});
