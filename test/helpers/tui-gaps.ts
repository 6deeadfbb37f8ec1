// What a server lacks for the TUI, step by step: every request the TUI sent to the real Codex in
// a step is sent again, with the same params, straight to the other server, and the answer is
// classified (unknown method, an error, or a result missing fields Codex's result has). This
// finds the gaps of later steps too when an earlier one already stops the TUI.
import type { Exchange, Frame } from "./ws-frame-proxy.js";
import { WsRpcClient } from "./ws-client.js";
import { RpcError } from "./rpc-core.js";

export interface Gap {
  step: string;
  method: string;
  /** "unknown method", "error <code>: <message>", "missing fields: a.b, c", or "no answer". */
  problem: string;
}

const UUID_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Key paths of a JSON value: arrays are looked into through their first element (an empty array
 * yields `p[]?`, meaning "any element shape"); map keys that are ids read as `<id>`.
 */
export function keyPaths(v: unknown, prefix = ""): string[] {
  if (Array.isArray(v)) return v.length ? keyPaths(v[0], `${prefix}[]`) : [`${prefix}[]?`];
  if (v === null || typeof v !== "object") return [];
  const out: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    const p = prefix ? `${prefix}.${UUID_KEY.test(k) ? "<id>" : k}` : k;
    out.push(p, ...keyPaths(x, p));
  }
  return out;
}

/**
 * Replays the requests Codex answered (first of each method per step, in order) against `url`
 * and returns what the server there lacks. Requests Codex itself refused are skipped.
 */
export async function probeGaps(url: string, codexExchanges: Exchange[]): Promise<Gap[]> {
  const c = await WsRpcClient.open(url, { approve: "decline" });
  const gaps: Gap[] = [];
  try {
    await c.initialize("codex-tui");
    const seen = new Set<string>();
    for (const ex of codexExchanges) {
      if (ex.method === "initialize" || !ex.answer || ex.answer.error) continue;
      const key = `${ex.step}\0${ex.method}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const problem = await probeOne(c, ex);
      if (problem) gaps.push({ step: ex.step, method: ex.method, problem });
    }
  } finally {
    c.terminate();
  }
  return gaps;
}

async function probeOne(c: WsRpcClient, ex: Exchange): Promise<string | null> {
  try {
    const result = await c.request(ex.method, ex.params, 15_000);
    const theirs = new Set(keyPaths(result));
    const empty = [...theirs].filter((p) => p.endsWith("[]?")).map((p) => p.slice(0, -1));
    const missing = keyPaths(ex.answer!.result).filter((p) => !p.endsWith("[]?") && !theirs.has(p) && !empty.some((e) => p.startsWith(e)) && !(p.endsWith("<id>") || p.includes("<id>.")));
    // report the shallowest missing paths only (a missing object implies its children)
    const top = missing.filter((p) => !missing.some((q) => q !== p && (p.startsWith(q + ".") || p.startsWith(q + "[]"))));
    return top.length ? `missing fields: ${top.join(", ")}` : null;
  } catch (e) {
    if (e instanceof RpcError) {
      if (/unknown variant/.test(e.rpc.message)) return "unknown method";
      // the replayed ids belong to Codex's home: "not found" for them says nothing about support
      if (/thread not found|thread not loaded|no rollout found|not found: [0-9a-f-]{36}|turn not found/i.test(e.rpc.message)) return null;
      return `error ${e.rpc.code}: ${e.rpc.message.slice(0, 160)}`;
    }
    return `no answer (${(e as Error).message.slice(0, 80)})`;
  }
}

/** Markdown table of the gaps, grouped by step in script order. */
export function gapsMarkdown(steps: string[], gaps: Gap[]): string {
  const lines = ["| step | method | Spool's answer |", "|---|---|---|"];
  for (const s of steps) for (const g of gaps.filter((x) => x.step === s)) lines.push(`| ${s} | \`${g.method}\` | ${g.problem.replace(/\|/g, "\\|")} |`);
  return lines.join("\n");
}

/**
 * For the diagnostic run only: a stub answering `methods` with the first answer Codex gave to
 * each in its run, its paths rewritten (`rewrite`: Codex's path -> this run's), so the TUI gets
 * past what Spool lacks and the later steps show what else is missing. Never a pass for Spool.
 */
export function recordedAnswers(codexExchanges: Exchange[], methods: Set<string>, rewrite: [string, string][]): (method: string) => { result: unknown } | undefined {
  const answers = new Map<string, unknown>();
  for (const ex of codexExchanges) {
    if (!methods.has(ex.method) || answers.has(ex.method) || !ex.answer || ex.answer.error) continue;
    let text = JSON.stringify(ex.answer.result);
    for (const [from, to] of rewrite) text = text.split(from).join(to);
    answers.set(ex.method, JSON.parse(text));
  }
  return (method) => (answers.has(method) ? { result: answers.get(method) } : undefined);
}

/**
 * Notifications and server requests Codex sent the TUI in each step whose method name appears
 * nowhere in Spool's sources (`srcText`: all of src/ concatenated): events Spool never emits.
 */
export function unsentMethods(codexFrames: Frame[], srcText: string): Gap[] {
  const gaps: Gap[] = [];
  const seen = new Set<string>();
  for (const f of codexFrames) {
    const m = f.msg?.method;
    if (f.dir !== "s2c" || typeof m !== "string" || seen.has(m)) continue;
    seen.add(m);
    if (!srcText.includes(`"${m}"`)) gaps.push({ step: f.step, method: m, problem: f.msg.id !== undefined ? "server request never sent" : "notification never sent" });
  }
  return gaps;
}
