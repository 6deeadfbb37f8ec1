// The user's script for the Codex TUI end-to-end test: what a user types and what the screen must
// then show, step by step. The same steps run against any app-server (tui-remote.test.ts runs
// them against `codex app-server` and `spool app-server`).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { MockResponses } from "./mock-responses.js";
import { TuiSession, tail } from "./tui.js";

export interface ScriptRun {
  /** The URL the TUI connects to (the logging proxy in front of the server). */
  url: string;
  /** The TUI's CODEX_HOME and its workspace (the server runs there too). */
  tuiHome: string;
  ws: string;
  mock: MockResponses;
  /** How many notifications of `method` (whose params pass `where`) the server has sent the TUI so far. */
  serverSent(method: string, where?: (params: any) => boolean): number;
  /** The running TUI (replaced when a step starts a new one). */
  tui?: TuiSession;
}

export interface Step {
  name: string;
  run(r: ScriptRun): Promise<void>;
}

/** The workspace file `@` must find. */
export const WORKSPACE_FILE = "harness-notes.md";
/** The name `/rename` gives the thread, which the resume picker must then list. */
export const THREAD_NAME = "tui harness thread";
const PLACEHOLDER = "Ask Codex to do anything";

const tui = (r: ScriptRun): TuiSession => {
  if (!r.tui) throw new Error("no TUI running (an earlier step failed to start it)");
  return r.tui;
};

/** Submits a prompt and waits until `expect` shows and the turn has ended. */
async function turn(r: ScriptRun, prompt: string, expect: string | RegExp): Promise<string> {
  const t = tui(r);
  await t.submit(prompt);
  await t.waitForText(expect);
  return idle(t, prompt);
}

/**
 * Waits until the turn of `prompt` has ended: below its last `› prompt` line the TUI has drawn
 * its end line ("Worked for …" or "■ …"), no interrupt is offered, and the composer is back.
 */
function idle(t: TuiSession, prompt: string): Promise<string> {
  return t.waitFor("the turn to end", (s) => {
    const after = s.slice(s.lastIndexOf(`› ${prompt}`));
    return /Worked for|■/.test(after) && !s.includes("esc to interrupt") && t.visible().includes(PLACEHOLDER);
  });
}

/** The text behind a "⚠ N warning · f2 to view" footer (opened with F2, closed with Esc), or "". */
export async function warningText(t: TuiSession): Promise<string> {
  if (!t.visible().includes("f2 to view")) return "";
  t.key("F2");
  const s = await t.waitFor("the warnings view", () => t.visible().includes("Warnings ·"), 10_000).catch(() => t.visible());
  t.key("Escape");
  return s.slice(s.indexOf("Warnings ·")).split("\n").slice(0, 6).map((l) => l.trim()).join(" | ");
}

/** Asserts the screen has no error or warning line, naming the warning's text when there is one. */
async function assertNoProblems(t: TuiSession, screen: string): Promise<void> {
  const problems = problemLines(screen);
  if (problems.length) assert.fail(`error or warning lines on the screen: ${JSON.stringify(problems.map((l) => l.trim()))}; warnings: ${await warningText(t)}`);
}

/** Lines that look like an error or a warning the TUI shows (red error cells, ⚠ warnings). */
export function problemLines(screen: string): string[] {
  return screen.split("\n").filter((l) => /⚠|\bwarning\b|\berror\b|\bfailed\b|■/i.test(l));
}

export const SCRIPT: Step[] = [
  {
    name: "starts with no error or warning line",
    async run(r) {
      r.tui = TuiSession.start({ home: r.tuiHome, cwd: r.ws, args: ["--remote", r.url] });
      // the composer shows before the session is configured; a prompt typed earlier is kept as a draft
      await r.tui.waitFor("the server's thread/started", () => r.serverSent("thread/started") > 0);
      const s = await r.tui.waitForText(PLACEHOLDER);
      assert.ok(s.includes("OpenAI Codex"), `the header shows:\n${tail(s)}`);
      await assertNoProblems(r.tui, r.tui.screen());
    },
  },
  {
    name: "a plain turn streams",
    async run(r) {
      const deltas = r.serverSent("item/agentMessage/delta");
      const s = await turn(r, "hello from the harness", "Echo: hello from the harness");
      await assertNoProblems(tui(r), s);
      assert.ok(r.serverSent("item/agentMessage/delta") - deltas >= 2, "the answer came as several deltas");
    },
  },
  {
    name: "a shell command runs",
    async run(r) {
      const s = await turn(r, "cmd: echo tui-shell-$((6*7))", /Done\. Tool said:[\s\S]*tui-shell-42/);
      assert.match(s, /Ran echo tui-shell-\$\(\(6\*7\)\)/);
    },
  },
  {
    name: "an escalated command asks for approval and runs after y",
    async run(r) {
      const t = tui(r);
      const target = path.join(path.dirname(r.ws), "tui-escalated.txt");
      await t.submit("esc: touch ../tui-escalated.txt");
      const ask = await t.waitForText("Would you like to run the following command?");
      assert.match(ask, /\$ touch \.\.\/tui-escalated\.txt/);
      t.key("y");
      await t.waitForText("Ran touch ../tui-escalated.txt");
      await idle(t, "esc: touch ../tui-escalated.txt");
      assert.ok(fs.existsSync(target), `${target} exists after the approved command`);
    },
  },
  {
    name: "a reasoning turn",
    async run(r) {
      const isReasoning = (p: any) => p?.item?.type === "reasoning";
      const before = r.serverSent("item/completed", isReasoning);
      await turn(r, "think: harness reasoning", "Echo: think: harness reasoning");
      assert.equal(r.serverSent("item/completed", isReasoning) - before, 1, "the turn had one reasoning item");
    },
  },
  {
    name: "apply_patch adds a file",
    async run(r) {
      const t = tui(r);
      await t.submit("patch: tui-added.txt added-by-patch");
      await t.waitForText("Added tui-added.txt");
      await idle(t, "patch: tui-added.txt added-by-patch");
      assert.equal(fs.readFileSync(path.join(r.ws, "tui-added.txt"), "utf8"), "added-by-patch\n");
    },
  },
  {
    name: "Esc interrupts a streaming turn",
    async run(r) {
      const t = tui(r);
      await t.submit("slow: 200");
      await t.waitForText("tick tick");
      t.key("Escape");
      await t.waitForText("Conversation interrupted");
      await idle(t, "slow: 200");
    },
  },
  {
    name: "/model opens the model picker",
    async run(r) {
      const t = tui(r);
      await t.submit("/model");
      const s = await t.waitForText("Select Model and Effort");
      assert.match(s, /GPT-6\.1-Sol \(current\)/);
      t.key("Escape");
      await t.waitFor("the picker to close", () => !t.visible().includes("Select Model and Effort"));
    },
  },
  {
    name: "/status shows the session",
    async run(r) {
      const t = tui(r);
      await t.submit("/status");
      const s = await t.waitForText(/Permissions:.*\n[\s\S]*Session:/);
      assert.match(s, /Model provider:\s+mock/);
      assert.match(s, new RegExp(`Directory:\\s+${r.ws.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    },
  },
  {
    name: "/rename names the thread",
    async run(r) {
      const t = tui(r);
      await t.submit("/rename");
      await t.waitForText("Name thread");
      await t.submit(THREAD_NAME);
      await t.waitFor("the name in the footer", () => t.visible().includes(`· ${THREAD_NAME}`));
    },
  },
  {
    name: "@ finds a workspace file",
    async run(r) {
      const t = tui(r);
      await t.type("@harness-no");
      await t.waitFor(`${WORKSPACE_FILE} in the mention popup`, () => t.visible().includes(WORKSPACE_FILE));
      t.key("Escape");
      t.key("C-u");
      await t.waitFor("an empty composer", () => t.visible().includes(PLACEHOLDER));
    },
  },
  {
    name: "/new starts a fresh thread",
    async run(r) {
      const t = tui(r);
      await t.submit("/new");
      await t.waitFor("a fresh session", () => !t.visible().includes(THREAD_NAME) && !t.visible().includes("Echo: hello from the harness") && t.visible().includes(PLACEHOLDER));
    },
  },
  {
    name: "/quit leaves",
    async run(r) {
      const t = tui(r);
      assert.ok(!t.exited(), "the TUI is still running before /quit");
      await t.submit("/quit");
      await t.waitFor("the TUI to exit", () => t.exited()).catch((e) => {
        // waitFor throws "exited" when the exit shows: that is the success here
        if (!t.exited()) throw e;
      });
      t.kill();
      r.tui = undefined;
    },
  },
  {
    name: "resume lists the thread",
    async run(r) {
      r.tui = TuiSession.start({ home: r.tuiHome, cwd: r.ws, args: ["--remote", r.url, "resume"] });
      await r.tui.waitForText("Resume a previous session");
      await r.tui.waitForText(THREAD_NAME);
    },
  },
  {
    name: "resume reopens it with the same history",
    async run(r) {
      const t = tui(r);
      t.key("Enter");
      // the resumed view shows the latest turns (the whole history goes to the model: next step)
      const s = await t.waitFor("the history", (sc) => sc.includes("› slow: 200") && t.visible().includes(PLACEHOLDER));
      for (const line of ["› think: harness reasoning", "Echo: think: harness reasoning", "› patch: tui-added.txt added-by-patch", "Added tui-added.txt (+1 -0)", "› slow: 200"])
        assert.ok(s.includes(line), `the resumed history shows ${JSON.stringify(line)}:\n${tail(s, 60)}`);
      assert.ok(t.visible().includes(`· ${THREAD_NAME}`), "the footer shows the thread's name");
    },
  },
  {
    name: "another turn continues it",
    async run(r) {
      const before = r.mock.requests.length;
      await turn(r, "after resume", "Echo: after resume");
      const req = r.mock.requests.slice(before).find((q) => JSON.stringify(q.body.input ?? []).includes("after resume") && !JSON.stringify(q.body.input).includes("task title"));
      assert.ok(req, "the model got the new turn");
      assert.ok(JSON.stringify(req.body.input).includes("Echo: hello from the harness"), "the model request carries the earlier history");
    },
  },
  {
    name: "/quit again",
    async run(r) {
      const t = tui(r);
      assert.ok(!t.exited(), "the TUI is still running before /quit");
      await t.submit("/quit");
      await t.waitFor("the TUI to exit", () => t.exited()).catch((e) => {
        if (!t.exited()) throw e;
      });
    },
  },
];
