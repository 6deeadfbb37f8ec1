// A creation killed before its first line was durable leaves a rollout with no whole line. It
// holds nothing acknowledged: creating the thread again replaces it, and resuming it is not_found
// (appending to it would leave a rollout without its session_meta).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { LocalThreadStore } from "../src/store/local/local-store.js";
import { activeRolloutPath } from "../src/rollout/layout.js";
import { ThreadStoreError, type CreateThreadParams } from "../src/store/types.js";

const homes: string[] = [];
after(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

function setup(torn: string) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "spool-torn-create-"));
  homes.push(home);
  const createdAt = new Date();
  const params: CreateThreadParams = { threadId: randomUUID(), source: "vscode", originator: "t", cliVersion: "0", cwd: "/w", modelProvider: "openai", createdAt };
  const file = activeRolloutPath(home, createdAt, params.threadId);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, torn);
  return { home, params, file };
}

const msg = (text: string) => ({ type: "event_msg" as const, payload: { type: "agent_message", message: text, phase: null } });

for (const torn of ["", '{"timestamp":"2026-01-01T00:00:00.000Z","type":"session_me']) {
  test(`creating again replaces a rollout with no whole line (${torn ? "torn header" : "empty"})`, async () => {
    const { home, params, file } = setup(torn);
    const store = new LocalThreadStore({ home, defaultProvider: "openai" });
    try {
      await store.createThread(params);
      await store.appendItems(params.threadId, [msg("after the crash")]);
      const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(lines[0].type, "session_meta");
      assert.equal(lines.length, 2);
    } finally {
      await store.close();
    }
  });
}

test("resuming a thread whose rollout has no whole line is not_found and removes the file", async () => {
  const { home, params, file } = setup('{"timestamp":"2026-01-01T00:00:00.000Z","type":"sess');
  const store = new LocalThreadStore({ home, defaultProvider: "openai" });
  try {
    await assert.rejects(store.resumeThread(params.threadId), (e: unknown) => e instanceof ThreadStoreError && e.kind === "not_found");
    assert.equal(fs.existsSync(file), false);
    await store.createThread(params);
    await store.appendItems(params.threadId, [msg("created again")]);
    assert.match(fs.readFileSync(file, "utf8").split("\n")[0], /"type":"session_meta"/);
  } finally {
    await store.close();
  }
});
