// The rollout persistence policy: everything real Codex homes hold (0.169.0 corpus, 0.50/0.80/0.110
// legacy homes) is kept; live-only events (deltas, begins, approval requests, warnings…) are dropped.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./helpers/paths.js";
import { isPersistedItem, persistedItems } from "../src/rollout/policy.js";
import type { RolloutItem } from "../src/store/types.js";

function rolloutFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => /(^|\/)rollout-.*\.jsonl$/.test(f))
    .map((f) => path.join(dir, f));
}

function homes(): string[] {
  const root = repoRoot();
  const legacy = path.join(root, "test/fixtures/legacy");
  return [
    path.join(root, "test/fixtures/corpus/codex-home"),
    ...fs
      .readdirSync(legacy)
      .map((r) => path.join(legacy, r, "codex-home"))
      .filter((d) => fs.existsSync(d)),
  ];
}

const kindOf = (item: { type: string; payload: Record<string, unknown> }): string => {
  let k = item.type;
  if (item.type === "event_msg" || item.type === "response_item") k += `/${String(item.payload.type)}`;
  if (item.payload.type === "item_completed") k += `/${String((item.payload.item as { type?: string } | undefined)?.type)}`;
  return k;
};

test("every line of every real Codex home (corpus and legacy fixtures) is kept", () => {
  const kinds = new Map<string, number>();
  const dropped: string[] = [];
  let lines = 0;
  for (const home of homes()) {
    for (const file of rolloutFiles(home)) {
      for (const text of fs.readFileSync(file, "utf8").split("\n")) {
        if (!text.trim()) continue;
        const line = JSON.parse(text) as { type: string; payload: Record<string, unknown> };
        lines++;
        const k = kindOf(line);
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
        if (!isPersistedItem(line)) dropped.push(`${path.basename(file)}: ${k}`);
      }
    }
  }
  assert.ok(lines > 500, `read ${lines} lines`);
  assert.deepEqual(dropped, []);
  // the kinds the brief names are really there (so this test is not vacuous)
  for (const k of [
    "session_meta",
    "turn_context",
    "world_state",
    "token_usage_record",
    "event_msg/task_started",
    "event_msg/task_complete",
    "event_msg/thread_settings_applied",
    "event_msg/item_completed/UserMessage",
    "event_msg/item_completed/AgentMessage",
    "event_msg/item_completed/CommandExecution",
    "event_msg/user_message",
    "event_msg/exec_command_end",
    "event_msg/error",
    "response_item/message",
    "response_item/function_call",
  ]) {
    assert.ok(kinds.has(k), `fixtures hold ${k}`);
  }
  assert.ok(kinds.size >= 25, `${kinds.size} kinds`);
});

const ev = (type: string, extra: Record<string, unknown> = {}): RolloutItem => ({ type: "event_msg", payload: { type, ...extra } as never });
const ri = (type: string): RolloutItem => ({ type: "response_item", payload: { type } });

test("live-only events are dropped", () => {
  for (const kind of [
    "agent_message_delta",
    "agent_message_content_delta",
    "agent_reasoning_delta",
    "agent_reasoning_raw_content_delta",
    "agent_reasoning_section_break",
    "reasoning_content_delta",
    "plan_delta",
    "exec_command_begin",
    "exec_command_output_delta",
    "patch_apply_begin",
    "mcp_tool_call_begin",
    "web_search_begin",
    "image_generation_begin",
    "collab_agent_spawn_begin",
    "exec_approval_request",
    "apply_patch_approval_request",
    "request_user_input",
    "request_permissions",
    "elicitation_request",
    "dynamic_tool_call_request",
    "session_configured",
    "warning",
    "stream_error",
    "item_started",
    "turn_diff",
    "plan_update",
    "mcp_startup_update",
    "mcp_startup_complete",
    "shutdown_complete",
    "raw_response_item",
    "background_event",
    "hook_started",
    "terminal_interaction",
    "some_future_event",
  ]) {
    assert.equal(isPersistedItem(ev(kind)), false, kind);
  }
  for (const kind of ["compaction_trigger", "other", "ghost_snapshot_unknown"]) assert.equal(isPersistedItem(ri(kind)), false, kind);
  assert.equal(isPersistedItem({ type: "event_msg", payload: {} }), false, "event without a type");
  assert.equal(isPersistedItem({ type: "unknown_line" as never, payload: {} }), false, "unknown line type");
});

test("kept: structural lines, conversation items, completed items, turn lifecycle", () => {
  for (const t of ["session_meta", "turn_context", "compacted", "world_state", "token_usage_record", "inter_agent_communication"] as const) {
    assert.equal(isPersistedItem({ type: t, payload: {} }), true, t);
  }
  for (const k of ["message", "reasoning", "function_call", "function_call_output", "custom_tool_call", "custom_tool_call_output", "local_shell_call", "web_search_call", "image_generation_call", "tool_search_call", "tool_search_output", "compaction", "context_compaction"]) {
    assert.equal(isPersistedItem(ri(k)), true, k);
  }
  for (const k of ["user_message", "agent_message", "agent_reasoning", "token_count", "task_started", "task_complete", "turn_aborted", "thread_rolled_back", "context_compacted", "thread_goal_updated", "mcp_tool_call_end", "patch_apply_end", "web_search_end", "image_generation_end", "entered_review_mode", "exited_review_mode"]) {
    assert.equal(isPersistedItem(ev(k)), true, k);
  }
  for (const item of ["Plan", "Sleep", "McpToolCall", "UserMessage"]) assert.equal(isPersistedItem(ev("item_completed", { item: { type: item } })), true, item);
});

test("persistedItems keeps order and the very objects", () => {
  const a = ev("task_started");
  const b = ev("agent_message_delta");
  const c = ri("message");
  const d = ev("exec_command_begin");
  const e = ev("task_complete");
  const out = persistedItems([a, b, c, d, e]);
  assert.deepEqual(out, [a, c, e]);
  assert.equal(out[1], c);
  assert.deepEqual(persistedItems([]), []);
});
