// One thread: its turns and items, live updates, the prompt box (start / steer / interrupt),
// approvals, rename / archive / fork, and the goal.
import { useEffect, useState } from "preact/hooks";
import type { Thread, Turn } from "../../../src/protocol/v2";
import { rpc } from "../rpc";
import { approvals, type Pending } from "../approvals";
import { Item } from "../components/Item";
import { applyNotification } from "./thread-state";

export function ThreadView({ threadId }: { threadId: string }) {
  const [thread, setThread] = useState<Thread | null>(null);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [goal, setGoal] = useState<any>(null);
  const [error, setError] = useState<string | null>(null);
  const [prompt, setPrompt] = useState("");
  const [pending, setPending] = useState<Pending[]>(approvals.list);

  useEffect(() => approvals.subscribe(() => setPending(approvals.list)), []);
  useEffect(() => {
    const off = rpc.on("*", (m: any) => {
      if (m.params?.threadId !== threadId) return;
      if (m.method === "thread/name/updated") setThread((t) => (t ? { ...t, name: m.params.threadName ?? null } : t));
      if (m.method.startsWith("thread/goal/")) setGoal(m.params.goal ?? null);
      setTurns((ts) => applyNotification(ts, m.method, m.params));
    });
    (async () => {
      try {
        // resume subscribes us to live events; an archived thread can only be read
        const r = await rpc.request("thread/resume", { threadId }).catch(() => rpc.request("thread/read", { threadId, includeTurns: true }));
        setThread(r.thread);
        setTurns(r.thread.turns ?? []);
        const g = await rpc.request("thread/goal/get", { threadId }).catch(() => null);
        setGoal(g?.goal ?? null);
      } catch (e: any) {
        setError(e.message);
      }
    })();
    return () => {
      off();
      void rpc.request("thread/unsubscribe", { threadId }).catch(() => {});
    };
  }, [threadId]);

  const running = turns.find((t) => t.status === "inProgress");
  const send = async () => {
    const text = prompt.trim();
    if (!text) return;
    setPrompt("");
    const input = [{ type: "text", text, text_elements: [] }];
    try {
      if (running) await rpc.request("turn/steer", { threadId, input, expectedTurnId: running.id });
      else await rpc.request("turn/start", { threadId, input });
    } catch (e: any) {
      setError(e.message);
    }
  };
  const answer = (p: Pending, decision: "accept" | "decline") => {
    rpc.respond(p.id, { decision });
    approvals.remove(p.id);
  };
  const rename = async () => {
    const name = window.prompt("New name", thread?.name ?? "");
    if (name) await rpc.request("thread/name/set", { threadId, name });
  };
  const archive = async () => {
    await rpc.request("thread/archive", { threadId });
    location.hash = "#/";
  };
  const fork = async () => {
    const r = await rpc.request("thread/fork", { threadId });
    location.hash = `#/thread/${r.thread.id}`;
  };

  if (error && !thread) return <p class="error">{error}</p>;
  if (!thread) return <p class="status">Loading…</p>;
  const mine = pending.filter((p) => p.params?.threadId === threadId);
  return (
    <section class="thread-page">
      <div class="thread-head">
        <h1>{thread.name || thread.preview || thread.id}</h1>
        <div class="actions">
          <button onClick={rename}>Rename</button>
          <button onClick={fork}>Fork</button>
          <button onClick={archive}>Archive</button>
        </div>
        <div class="meta"><span>{thread.model ?? thread.modelProvider}</span> <span class="cwd">{thread.cwd}</span></div>
        {goal && <div class="goal" data-testid="goal">Goal ({goal.status}): {goal.objective} — {goal.tokensUsed}{goal.tokenBudget ? ` / ${goal.tokenBudget}` : ""} tokens</div>}
      </div>
      <div class="turns">
        {turns.map((t) => (
          <div class="turn" key={t.id} data-status={t.status}>
            {t.items.map((it: any) => <Item key={it.id} item={it} />)}
            {t.status !== "completed" && <div class={`turn-status ${t.status}`}>{t.status === "inProgress" ? "working…" : t.status}{t.error ? `: ${t.error.message}` : ""}</div>}
          </div>
        ))}
      </div>
      {mine.map((p) => (
        <div class="approval" key={String(p.id)} role="alertdialog">
          <div>{p.method === "item/fileChange/requestApproval" ? "Apply file changes?" : <>Run <code>{p.params.command}</code>?</>}{p.params.reason ? ` (${p.params.reason})` : ""}</div>
          <button class="primary" onClick={() => answer(p, "accept")}>Approve</button>
          <button onClick={() => answer(p, "decline")}>Decline</button>
        </div>
      ))}
      {error && <p class="error">{error}</p>}
      <form class="prompt" onSubmit={(e) => { e.preventDefault(); void send(); }}>
        <textarea
          placeholder={running ? "Steer the running turn" : "Ask for something"}
          value={prompt}
          onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); void send(); } }}
        />
        <button type="submit" class="primary">{running ? "Steer" : "Send"}</button>
        {running && <button type="button" onClick={() => rpc.request("turn/interrupt", { threadId, turnId: running.id })}>Interrupt</button>}
      </form>
    </section>
  );
}
