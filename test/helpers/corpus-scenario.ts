// The corpus scenario: a port of the driver that made the Codex corpus
// (/work/shared/tools/gen-codex-corpus.mjs, variants a and b), run against `spool app-server`
// over stdio in three server processes on one home:
//   s1-basics   six threads (basics, approvals, interrupt, goal, archived, fork), thread/list
//               and thread/loaded/list;
//   s2-resume   a cold resume of basics and one more turn;
//   s3-final    a cold thread/read of every thread but basics.
// The home's config.toml must point at the project's scripted Responses server (mock-home.ts).
import { startSpool } from "./spool.js";
import type { RpcClient, TranscriptLine } from "./rpc-client.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The user texts of a variant (b says the same scripts in other words). */
export function corpusTexts(variant: "a" | "b") {
  const V = (a: string, b: string) => (variant === "a" ? a : b);
  return {
    basics: [
      V("hello there", "good morning, what is this repo?"),
      V("cmd: echo hi > out.txt && cat out.txt", "cmd: ls -la && printf 'a\\nb\\n' | wc -l"),
      V("think: a plan", "think: the refactor order"),
      V("patch: notes.md hello world", "patch: docs/plan.md step one"),
      V("search: codex threads", "search: sqlite wal mode"),
      V("cmd: false", "cmd: cat does-not-exist.txt"),
      V("fail: boom", "fail: rate limited"),
      V("after the failure", "still there?"),
    ],
    name: V("Basics thread", "Kitchen sink"),
    approvals: [V("esc: touch ../outside-a.txt", "esc: mkdir -p ../outside-b"), V("esc: rm -rf ../nothing-here", "esc: touch ../declined.txt")],
    interrupt: [V("slow: 40", "slow: 30"), V("resume after interrupt", "ok continue")],
    goal: [V("goal: ship the thread store", "goal: write the migration guide"), "goaldone"],
    archived: [V("to be archived", "archive me")],
    fork: [V("in the fork", "fork continues")],
    resume: [V("back again", "one more")],
    patchPath: V("notes.md", "docs/plan.md"),
    search: V("hello", "morning"),
  };
}

/**
 * The turn engine's run of variant a's basics, then `slow: 40` interrupted, then an escalated
 * command accepted and one declined (test/agent-*.test.ts): the turns' statuses and item types
 * as the legacy replay reads them back.
 */
export const ENGINE_BASICS = {
  texts: corpusTexts("a").basics,
  statuses: ["completed", "completed", "completed", "completed", "completed", "completed", "failed", "completed", "interrupted", "completed", "completed"],
  itemTypes: [
    "userMessage+agentMessage",
    "userMessage+agentMessage",
    "userMessage+reasoning+agentMessage",
    "userMessage+fileChange+agentMessage",
    "userMessage+webSearch+agentMessage",
    "userMessage+agentMessage",
    "userMessage",
    "userMessage+agentMessage",
    "userMessage",
    "userMessage+agentMessage",
    "userMessage+agentMessage",
  ],
};

export interface CorpusRun {
  home: string;
  ws: string;
  /** Thread ids by tag (basics, approvals, interrupt, goal, archived, fork, basics-after-resume). */
  threads: Record<string, string>;
  /** Spool's thread/read (includeTurns) answers during the scenario, by tag; `basics.resume` is the thread/resume answer. */
  reads: Record<string, any>;
  /** Spool's cold reads (session 3), by tag. */
  finalReads: Record<string, any>;
  /** thread/loaded/list at the end of session 1. */
  loaded: string[];
  /** Every line both ways, by session name. */
  transcripts: Record<string, TranscriptLine[]>;
  /** Each server's stderr, in session order. */
  stderr: string[];
}

export interface CorpusScenarioOptions {
  variant?: "a" | "b";
  /** Added to the servers' environment (SPOOL_LOG is "error" unless set here). */
  env?: Record<string, string>;
}

export async function runCorpusScenario(home: string, ws: string, o: CorpusScenarioOptions = {}): Promise<CorpusRun> {
  const T = corpusTexts(o.variant ?? "a");
  const run: CorpusRun = { home, ws, threads: {}, reads: {}, finalReads: {}, loaded: [], transcripts: {}, stderr: [] };
  let client!: RpcClient;
  const open = async (name: string) => {
    client = startSpool(home, { cwd: ws, env: { SPOOL_HOME: home, SPOOL_LOG: "error", ...o.env } });
    await client.initialize(`corpus-${name}`);
  };
  const close = async (name: string) => {
    await client.close();
    run.transcripts[name] = client.lines;
    run.stderr.push(client.stderr);
  };
  const turn = async (tid: string, text: string, t: { approve?: "accept" | "decline"; interruptAfterMs?: number } = {}) => {
    client.approve = t.approve ?? "accept";
    const started = await client.request("turn/start", { threadId: tid, input: [{ type: "text", text }] });
    if (t.interruptAfterMs) {
      await sleep(t.interruptAfterMs);
      await client.request("turn/interrupt", { threadId: tid, turnId: started.turn.id });
    }
    const done = await client.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === started.turn.id, 90_000);
    return done.params.turn;
  };
  const read = async (tag: string, tid: string) => {
    run.reads[tag] = await client.request("thread/read", { threadId: tid, includeTurns: true });
    run.threads[tag] = tid;
  };

  // session 1
  await open("s1-basics");
  let s = await client.request("thread/start", { cwd: ws });
  const t1 = s.thread.id;
  for (const text of T.basics) await turn(t1, text);
  await client.request("thread/name/set", { threadId: t1, name: T.name });
  await read("basics", t1);

  s = await client.request("thread/start", { cwd: ws });
  const t2 = s.thread.id;
  await turn(t2, T.approvals[0], { approve: "accept" });
  await turn(t2, T.approvals[1], { approve: "decline" });
  await read("approvals", t2);

  s = await client.request("thread/start", { cwd: ws });
  const t3 = s.thread.id;
  await turn(t3, T.interrupt[0], { interruptAfterMs: 1200 });
  await turn(t3, T.interrupt[1]);
  await read("interrupt", t3);

  s = await client.request("thread/start", { cwd: ws });
  const t4 = s.thread.id;
  await turn(t4, T.goal[0]);
  await turn(t4, T.goal[1]);
  await client.request("thread/goal/get", { threadId: t4 });
  await read("goal", t4);

  s = await client.request("thread/start", { cwd: ws });
  const t5 = s.thread.id;
  await turn(t5, T.archived[0]);
  await read("archived", t5);
  await client.request("thread/archive", { threadId: t5 });

  const f = await client.request("thread/fork", { threadId: t1 });
  const t6 = f.thread.id;
  await turn(t6, T.fork[0]);
  await read("fork", t6);

  for (const params of [{}, { sortKey: "updated_at", sortDirection: "asc" }, { archived: true }, { limit: 2 }, { searchTerm: T.search }]) await client.request("thread/list", params);
  run.loaded = (await client.request("thread/loaded/list", {})).data;
  await close("s1-basics");

  // session 2: cold resume in a new process, one more turn
  await open("s2-resume");
  run.reads["basics.resume"] = await client.request("thread/resume", { threadId: t1 });
  await turn(t1, T.resume[0]);
  await read("basics-after-resume", t1);
  await close("s2-resume");

  // session 3: the final state, cold
  await open("s3-final");
  for (const [tag, id] of Object.entries(run.threads)) {
    if (tag === "basics") continue;
    run.finalReads[tag] = await client.request("thread/read", { threadId: id, includeTurns: true });
  }
  await close("s3-final");
  return run;
}
