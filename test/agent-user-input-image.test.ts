// request_user_input and view_image through `spool app-server`, with a scripted model. What Codex
// 0.169.0 does with the same calls (probed with the real binary) is the expectation:
//  - request_user_input outside Plan mode answers "request_user_input is unavailable in Default
//    mode"; in Plan mode (turn/start `collaborationMode`) the client gets
//    `item/tool/requestUserInput` (every question with isOther, isBlocking, the call id as item id),
//    the thread waits on user input, and the client's answers are the tool output the model reads;
//    questions without options are refused;
//  - view_image sends the image as an `input_image` content item (data URL, detail high), shows an
//    imageView item with the absolute path, and a missing file answers Codex's message.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useMockResponses } from "./helpers/mock-home.js";
import { startSpool } from "./helpers/spool.js";
import { validateNotification, validateServerRequest, validateServerRequestResponse } from "./helpers/schema.js";
import type { RpcClient } from "./helpers/rpc-client.js";

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const QUESTION = { id: "color", header: "Color", question: "Which color?", options: [{ label: "Red (Recommended)", description: "Warm." }, { label: "Blue", description: "Cool." }] };

/** The scripted model: one function call for the known prompts, then the mock's usual reply quoting the output. */
const CALLS: Record<string, { name: string; args: object }> = {
  ask: { name: "request_user_input", args: { questions: [QUESTION] } },
  "ask without options": { name: "request_user_input", args: { questions: [{ id: "x", header: "X", question: "Pick?", options: [] }] } },
  look: { name: "view_image", args: { path: "dot.png" } },
  "look at nothing": { name: "view_image", args: { path: "nope.png" } },
};

const fx = useMockResponses({
  script: (ctx) => {
    const call = CALLS[ctx.text];
    if (!call || ctx.last.type === "function_call_output") return false;
    ctx.beginStream();
    ctx.sse("response.created", { response: { id: "r" } });
    ctx.sse("response.output_item.done", { item: { type: "function_call", name: call.name, call_id: ctx.nextId("call"), arguments: JSON.stringify(call.args) } });
    ctx.completed("r");
    return true;
  },
});

const clients: RpcClient[] = [];
after(async () => {
  for (const c of clients) await c.close();
});

async function open(): Promise<{ c: RpcClient; thread: string; ws: string }> {
  const { home, ws } = fx.makeHome({ prefix: "spool-rui-" });
  fs.writeFileSync(path.join(ws, "dot.png"), PNG);
  const c = startSpool(home, { env: { SPOOL_LOG: "error" }, approve: "manual" });
  clients.push(c);
  await c.initialize("rui-test");
  const thread = (await c.request("thread/start", { cwd: ws })).thread.id as string;
  return { c, thread, ws };
}

/** Runs a turn; returns the tool output the model got back and the turn's notifications. */
async function turn(c: RpcClient, thread: string, text: string, extra: object = {}, duringTurn?: () => Promise<void>) {
  c.clearNotifications();
  const started = await c.request("turn/start", { threadId: thread, input: [{ type: "text", text }], ...extra });
  if (duringTurn) await duringTurn();
  await c.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === started.turn.id, 60_000);
  const req = fx.mock.requests.filter((r) => r.body.prompt_cache_key === thread).at(-1)!;
  const out = req.body.input.at(-1);
  assert.equal(out.type, "function_call_output");
  for (const n of c.notifications) assert.deepEqual(validateNotification(n.method, n.params), [], `${n.method} validates`);
  return { output: out.output, notes: [...c.notifications] };
}

test("request_user_input: unavailable in Default mode; in Plan mode the user's answers reach the model", { timeout: 120_000 }, async () => {
  const { c, thread } = await open();
  assert.equal((await turn(c, thread, "ask")).output, "request_user_input is unavailable in Default mode");
  const plan = { collaborationMode: { mode: "plan", settings: { model: "mock-model", reasoning_effort: null, developer_instructions: null } } };
  const { output, notes } = await turn(c, thread, "ask", plan, async () => {
    const req = await c.waitForMessage((m: any) => m.method === "item/tool/requestUserInput" && m.id !== undefined);
    const params = (req as any).params;
    assert.deepEqual(validateServerRequest("item/tool/requestUserInput", params), []);
    assert.deepEqual(params.questions, [{ ...QUESTION, isOther: true, isSecret: false }]);
    assert.equal(params.isBlocking, true);
    assert.equal(params.autoResolutionMs, null);
    assert.match(params.itemId, /^call_\d+$/, "the call id names the item");
    const waiting = await c.waitFor((n) => n.method === "thread/status/changed" && n.params.status?.activeFlags?.includes("waitingOnUserInput"));
    assert.deepEqual(waiting.params.status, { type: "active", activeFlags: ["waitingOnUserInput"] });
    const answer = { answers: { color: { answers: ["Blue"] } } };
    assert.deepEqual(validateServerRequestResponse("item/tool/requestUserInput", answer), []);
    c.answer((req as any).id, answer);
  });
  assert.equal(output, '{"answers":{"color":{"answers":["Blue"]}}}');
  assert.ok(notes.some((n) => n.method === "serverRequest/resolved"), "the request is resolved");
  assert.equal((await turn(c, thread, "ask without options", plan)).output, "request_user_input requires non-empty options for every question");
});

test("view_image: the image goes to the model as input_image; an imageView item; a missing file answers Codex's message", { timeout: 120_000 }, async () => {
  const { c, thread, ws } = await open();
  const { output, notes } = await turn(c, thread, "look");
  assert.deepEqual(output, [{ type: "input_image", image_url: `data:image/png;base64,${PNG.toString("base64")}`, detail: "high" }]);
  const views = notes.filter((n) => (n.method === "item/started" || n.method === "item/completed") && n.params.item.type === "imageView");
  assert.deepEqual(
    views.map((n) => [n.method, n.params.item.id, n.params.item.path]),
    [
      ["item/started", views[0].params.item.id, path.join(ws, "dot.png")],
      ["item/completed", views[0].params.item.id, path.join(ws, "dot.png")],
    ],
  );
  const missing = await turn(c, thread, "look at nothing");
  assert.equal(missing.output, `unable to locate image at \`${path.join(ws, "nope.png")}\`: No such file or directory (os error 2)`);
});
