// The scenario both servers run for the analytics comparison (test/analytics-vs-codex.test.ts):
// the corpus scenario's texts (corpus-scenario.ts, variant a) over one connection: a thread of
// every kind of turn (plain, commands, reasoning, a patch, a web search, a failing command, a
// model error), escalated commands accepted and declined, an interrupted turn, a goal created
// and completed by the model, a thread archived and unarchived, a fork with one turn. Every
// answer is validated against the JSON Schema the pinned Codex generates.
import { corpusTexts } from "./corpus-scenario.js";
import type { RpcClient } from "./rpc-client.js";
import { validateResponse } from "./schema.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AnalyticsScenarioRun {
  /** Turns run, in order (the count of codex_turn_event both must send). */
  turns: number;
  /** Threads started or forked (the count of codex_thread_initialized). */
  threads: number;
  /** Schema problems of the answers, `method: problem`. */
  schemaProblems: string[];
  /** The fork: the scenario's last thread (its turn's event is the last one expected). */
  forkThreadId: string;
}

export async function runAnalyticsScenario(client: RpcClient, ws: string): Promise<AnalyticsScenarioRun> {
  const T = corpusTexts("a");
  const run: AnalyticsScenarioRun = { turns: 0, threads: 0, schemaProblems: [], forkThreadId: "" };
  const request = async (method: string, params: unknown) => {
    const result = await client.request(method, params, 60_000);
    for (const p of validateResponse(method, result)) run.schemaProblems.push(`${method}: ${p}`);
    return result;
  };
  const start = async () => {
    run.threads++;
    return (await request("thread/start", { cwd: ws })).thread.id as string;
  };
  const turn = async (threadId: string, text: string, o: { approve?: "accept" | "decline"; interrupt?: boolean } = {}) => {
    client.approve = o.approve ?? "accept";
    run.turns++;
    const started = await request("turn/start", { threadId, input: [{ type: "text", text }] });
    if (o.interrupt) {
      // once the reply streams (a model request is under way: Codex sends no event for a turn
      // interrupted before its first request)
      await client.waitFor((n) => n.method === "item/agentMessage/delta" && n.params.turnId === started.turn.id, 60_000);
      await sleep(300);
      await request("turn/interrupt", { threadId, turnId: started.turn.id });
    }
    await client.waitFor((n) => n.method === "turn/completed" && n.params.turn.id === started.turn.id, 90_000);
  };

  const basics = await start();
  for (const text of T.basics) await turn(basics, text);
  const approvals = await start();
  await turn(approvals, T.approvals[0], { approve: "accept" });
  await turn(approvals, T.approvals[1], { approve: "decline" });
  const interrupt = await start();
  await turn(interrupt, T.interrupt[0], { interrupt: true });
  await turn(interrupt, T.interrupt[1]);
  const goal = await start();
  await turn(goal, T.goal[0]);
  await turn(goal, T.goal[1]);
  const archived = await start();
  await turn(archived, T.archived[0]);
  await request("thread/archive", { threadId: archived });
  await request("thread/unarchive", { threadId: archived });
  run.threads++;
  const fork = (await request("thread/fork", { threadId: basics })).thread.id as string;
  run.forkThreadId = fork;
  await turn(fork, T.fork[0]);
  return run;
}
