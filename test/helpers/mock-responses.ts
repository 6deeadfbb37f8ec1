// A scripted OpenAI Responses API on loopback, for tests: a TypeScript port of the shared
// `tools/mock-responses.mjs` that made the Codex corpus (same scripts, same SSE, same ids and
// usage arithmetic), started in-process on a free port.
//
// The last typed user message (texts starting with "<" are injected context and skipped) picks
// the script:
//   "cmd: <shell command>"   -> one exec_command call (shell_command / shell for older clients), then
//                               a reply quoting the tool output
//   "esc: <shell command>"   -> the same with sandbox_permissions "require_escalated"
//   "patch: <path> <text>"   -> one apply_patch (through exec_command) adding <path>, then a reply
//   "think: <text>"          -> a reasoning item, then a reply
//   "search: <query>"        -> a web_search_call item, then a reply
//   "goal: <objective>"      -> create_goal; "goaldone" -> update_goal complete
//   "fail: <text>"           -> HTTP 400 (the turn fails)
//   "slow: <n>"              -> n "tick " as deltas, 300 ms apart (for interrupts)
//   anything else            -> a streamed echo reply
// Spool additions (not in the shared mock):
//   "applypatch:\n<patch>"   -> one exec_command running `apply_patch <<'EOF'` with that patch
//   a `script` hook that can answer any request itself (status codes, broken streams…).
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface MockRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** What a `script` hook gets: the parsed request and helpers to answer it. */
export interface MockScriptContext {
  req: MockRequest;
  /** The request's last typed user text. */
  text: string;
  /** The last input item. */
  last: any;
  res: http.ServerResponse;
  /** Starts a 200 event stream. */
  beginStream(): void;
  sse(type: string, body: object): void;
  /** Ends the stream with response.completed (and usage). */
  completed(rid: string, usage?: { input: number; output: number; cached?: number; reasoning?: number }): void;
  /** A new id with the mock's shared counter (`${prefix}_${n}`). */
  nextId(prefix: string): string;
}

export interface MockResponsesOptions {
  port?: number;
  /** The ids `GET /v1/models` lists (default ["mock-model"]). */
  models?: string[];
  /** Answers a request itself when it returns true. */
  script?: (ctx: MockScriptContext) => boolean | Promise<boolean>;
}

export interface MockResponses {
  /** Base URL for a provider's base_url: `http://127.0.0.1:<port>/v1`. */
  url: string;
  port: number;
  /** Every request received (parsed JSON bodies), in order. */
  requests: MockRequest[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lastUserText(input: any[]): string {
  for (let i = input.length - 1; i >= 0; i--) {
    const it = input[i];
    if (it && it.type === "message" && it.role === "user") {
      const c = Array.isArray(it.content) ? it.content : [];
      const t = c.map((x: any) => x.text || "").join("");
      if (!t.startsWith("<")) return t;
    }
  }
  return "";
}

const toolNames = (tools: any[] | undefined): string[] => (tools || []).map((t: any) => t.name || t.type);

export async function startMockResponses(opts: MockResponsesOptions = {}): Promise<MockResponses> {
  let seq = 0;
  const requests: MockRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();

  const server = http.createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const url = req.url ?? "/";
    if (req.method === "GET" && url.includes("/models")) {
      res.writeHead(200, { "content-type": "application/json" });
      const ids = opts.models ?? ["mock-model"];
      res.end(JSON.stringify({ object: "list", data: ids.map((id) => ({ id, object: "model" })), models: [] }));
      return;
    }
    if (!url.includes("/responses")) {
      res.writeHead(404);
      res.end();
      return;
    }
    let body: any = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "bad json", type: "invalid_request_error" } }));
      return;
    }
    requests.push({ method: req.method ?? "POST", url, headers: req.headers, body });
    const input: any[] = body.input || [];
    const last = input[input.length - 1] || {};
    const text = lastUserText(input);

    const sse = (type: string, b: object) => {
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...b })}\n\n`);
    };
    const beginStream = () => res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const completed = (rid: string, usage: { input: number; output: number; cached?: number; reasoning?: number } = { input: 100, output: 20 }) => {
      sse("response.completed", {
        response: {
          id: rid,
          usage: {
            input_tokens: usage.input,
            input_tokens_details: { cached_tokens: usage.cached || 0 },
            output_tokens: usage.output,
            output_tokens_details: { reasoning_tokens: usage.reasoning || 0 },
            total_tokens: usage.input + usage.output,
          },
        },
      });
      res.end();
    };

    if (opts.script) {
      const handled = await opts.script({ req: { method: req.method ?? "POST", url, headers: req.headers, body }, text, last, res, beginStream, sse, completed, nextId: (p) => `${p}_${++seq}` });
      if (handled) return;
    }

    if (text.startsWith("fail:")) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "mock refused: " + text.slice(5).trim(), type: "invalid_request_error" } }));
      return;
    }
    beginStream();
    const rid = `resp_${++seq}`;
    sse("response.created", { response: { id: rid } });
    const afterTool = last.type === "function_call_output" || last.type === "custom_tool_call_output";
    const names = toolNames(body.tools);
    const usage: { input: number; output: number; cached: number; reasoning?: number } = { input: 100 + input.length * 10, output: 20, cached: 50 };
    const call = (name: string, args: object) => {
      sse("response.output_item.done", { item: { type: "function_call", name, call_id: `call_${++seq}`, arguments: JSON.stringify(args) } });
      completed(rid, usage);
    };
    const reply = async (out: string, delay = 0) => {
      const id = `msg_${++seq}`;
      sse("response.output_item.added", { item: { type: "message", role: "assistant", id, content: [] } });
      for (const p of out.match(/.{1,12}/gs) || [""]) {
        if (res.destroyed) return;
        sse("response.output_text.delta", { item_id: id, delta: p, output_index: 0, content_index: 0 });
        if (delay) await sleep(delay);
      }
      sse("response.output_item.done", { item: { type: "message", role: "assistant", id, content: [{ type: "output_text", text: out }] } });
    };

    if (!afterTool) {
      if (text.startsWith("cmd:") && !names.includes("exec_command")) {
        const c = text.slice(4).trim();
        if (names.includes("shell_command")) return call("shell_command", { command: c });
        return call("shell", { command: ["bash", "-c", c] });
      }
      if (text.startsWith("cmd:")) return call("exec_command", { cmd: text.slice(4).trim(), login: false });
      if (text.startsWith("esc:"))
        return call("exec_command", { cmd: text.slice(4).trim(), login: false, sandbox_permissions: "require_escalated", justification: "Needs to write outside the workspace" });
      if (text.startsWith("patch:")) {
        const [, p, ...rest] = text.split(/\s+/);
        const patch = `*** Begin Patch\n*** Add File: ${p}\n+${rest.join(" ")}\n*** End Patch`;
        return call("exec_command", { login: false, cmd: `apply_patch <<'EOF'\n${patch}\nEOF` });
      }
      if (text.startsWith("applypatch:")) return call("exec_command", { login: false, cmd: `apply_patch <<'EOF'\n${text.slice("applypatch:".length).trim()}\nEOF` });
      if (text.startsWith("goal:")) return call("create_goal", { objective: text.slice(5).trim(), token_budget: 50000 });
      if (text.startsWith("goaldone")) return call("update_goal", { status: "complete" });
      if (text.startsWith("search:")) {
        sse("response.output_item.done", { item: { type: "web_search_call", id: `ws_${++seq}`, status: "completed", action: { type: "search", query: text.slice(7).trim() } } });
      }
    }
    if (text.startsWith("think:") && !afterTool) {
      sse("response.output_item.done", {
        item: { type: "reasoning", id: `rs_${++seq}`, summary: [{ type: "summary_text", text: "**Thinking** about " + text.slice(6).trim() }], content: null, encrypted_content: null },
      });
      usage.reasoning = 12;
    }
    if (text.startsWith("slow:") && !afterTool) {
      const n = Number(text.slice(5).trim()) || 10;
      await reply("tick ".repeat(n), 300);
      return completed(rid, usage);
    }
    let out: string;
    if (afterTool) {
      const o = typeof last.output === "string" ? last.output : JSON.stringify(last.output);
      out = "Done. Tool said: " + o.slice(0, 120);
    } else {
      out = "Echo: " + text;
    }
    await reply(out);
    completed(rid, usage);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
