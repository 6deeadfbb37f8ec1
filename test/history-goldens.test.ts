// The history reducer and paging against what Codex 0.169.0 answered:
//  - the corpus (paginated threads written by Codex 0.169.0): thread/read turns, turns/list, items/list
//  - the legacy fixtures (homes written by Codex 0.50.0 / 0.80.0 / 0.110.0)
//  - hand-made probes covering each event kind, recorded with test/fixtures/history/oracle.mjs
// Every comparison is on the JSON text, so key order must match Codex's too.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseRolloutLine } from "../src/rollout/line.js";
import { loadThreadHistory } from "../src/history/load.js";
import { ThreadHistoryReducer, interruptStaleTurns } from "../src/history/reducer.js";
import { listItems, listTurns } from "../src/history/paging.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const fixtures = path.join(root, "test/fixtures");
const readJson = (p: string) => JSON.parse(fs.readFileSync(p, "utf8"));

function rolloutsUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir, { recursive: true }).map(String)) {
    const m = /rollout-.*?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/.exec(f);
    if (m) out.set(m[1], path.join(dir, f));
  }
  return out;
}

/** Feeds a rollout's text line by line through `feed` (no loader, no triage). */
function feedText(text: string, opts: { threadId?: string } = {}): ThreadHistoryReducer {
  const h = new ThreadHistoryReducer(opts);
  let i = 0;
  for (const l of text.split("\n")) {
    if (!l) continue;
    const idx = i++;
    const r = parseRolloutLine(l);
    if (r.kind === "line") h.feed(r.line, r.line.ordinal ?? idx);
  }
  return h;
}

type Answer = { error: { code: number; message: string } } | object;

function answer(h: ThreadHistoryReducer, method: string, threadId: string, params: Record<string, unknown>): Answer {
  try {
    if (method === "thread/read") return interruptStaleTurns(h.turns());
    if (method === "thread/turns/list") return listTurns(h, threadId, params);
    if (method === "thread/items/list") return listItems(h, threadId, params);
  } catch (e) {
    const err = e as { code?: number; message: string };
    return { error: { code: err.code, message: err.message } };
  }
  throw new Error(`unexpected method ${method}`);
}

function sameJson(got: unknown, want: unknown, what: string) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) assert.deepStrictEqual(got, want, what); // shows a readable diff
  assert.equal(g, w, `${what}: same values, different key order`);
}

/** Replays every `golden/final/{read,turns,items}-*.json` of a Codex home fixture. */
async function checkHome(name: string, home: string, goldenDir: string) {
  const byId = rolloutsUnder(home);
  const resolve = async (id: string) => byId.get(id) ?? null;
  const goldens = fs.readdirSync(goldenDir).filter((f) => /^(read|turns|items)-.*\.json$/.test(f)).sort();
  let checked = 0;
  for (const g of goldens) {
    const gold = readJson(path.join(goldenDir, g));
    const threadId: string | undefined = gold.params?.threadId;
    if (!threadId || !byId.has(threadId)) continue; // read-missing: an unknown thread
    const method: string = gold.method ?? "thread/read";
    const { threadId: _, ...params } = gold.params;
    const want = method === "thread/read" && gold.result?.thread ? gold.result.thread.turns : gold.result;
    const loaded = await loadThreadHistory(byId.get(threadId)!, resolve);
    sameJson(answer(loaded, method, threadId, params), want, `${name} ${g} (loadThreadHistory)`);
    const meta = JSON.parse(fs.readFileSync(byId.get(threadId)!, "utf8").split("\n")[0]);
    if (!meta.payload.history_base) {
      const fed = feedText(fs.readFileSync(byId.get(threadId)!, "utf8"));
      sameJson(answer(fed, method, threadId, params), want, `${name} ${g} (feed)`);
    }
    checked++;
  }
  assert.ok(checked > 0, `${name}: no goldens checked`);
  return checked;
}

test("corpus: thread/read turns, turns/list and items/list equal Codex's goldens", async () => {
  const dir = path.join(fixtures, "history/corpus");
  const n = await checkHome("corpus", dir, dir);
  assert.equal(n, 16);
});

for (const release of ["0.50.0", "0.80.0", "0.110.0"]) {
  const dir = path.join(fixtures, "legacy", release);
  test(`legacy ${release}: reads and turns/list equal Codex 0.169.0's goldens; items/list is -32601`, { skip: !fs.existsSync(dir) }, async () => {
    await checkHome(release, path.join(dir, "codex-home"), path.join(dir, "golden/final"));
  });
}

for (const oracle of ["oracle-legacy.json", "oracle-paginated.json", "oracle-synth.json"]) {
  test(`probes: ${oracle} (hand-made rollouts, Codex 0.169.0's answers)`, async () => {
    const dir = path.join(fixtures, "history/probes");
    const answers = readJson(path.join(dir, oracle)) as Record<string, { threadId: string; rollout?: string; read: { thread: { turns: unknown } }; extra: { method: string; params: Record<string, unknown>; result: unknown }[] }>;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "history-probe-"));
    try {
      for (const [name, ans] of Object.entries(answers)) {
        // paginated probes were resumed by Codex first (that appends lines): use the file it read
        const text = ans.rollout ?? fs.readFileSync(path.join(dir, name), "utf8");
        const file = path.join(tmp, name);
        fs.writeFileSync(file, text);
        const loaded = await loadThreadHistory(file, async () => null);
        const fed = feedText(text);
        for (const [via, h] of [["load", loaded], ["feed", fed]] as const) {
          sameJson(answer(h, "thread/read", ans.threadId, {}), ans.read.thread.turns, `${name} read (${via})`);
          for (const e of ans.extra) sameJson(answer(h, e.method, ans.threadId, e.params), e.result, `${name} ${e.method} ${JSON.stringify(e.params)} (${via})`);
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
