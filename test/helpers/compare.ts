// Golden comparison: only the locations the corpus README allows to differ are ignored (exact
// paths, not field names), cursors are compared by presence only, and an error must be Codex's
// error (code and message).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RpcClient } from "./rpc-client.js";

/**
 * Exactly where answers may differ, as /work/shared/codex-corpus/README.md allows: the rollout
 * `path` of a thread (per-machine) and `readState`/`readStates` (per-machine). Matched against
 * the value's location with array indices written `[]` and the root label dropped, so a `path`
 * anywhere else (a fileChange's `changes[].path`) is compared like any other field.
 */
export const IGNORED_PATHS: readonly RegExp[] = [/^\.thread\.path$/, /^\.data\[\]\.path$/, /^\.thread\.readState$/, /^\.readStates?$/, /^\.data\[\]\.readState$/];

/** `page1.data[3].path` -> `.data[].path` (the root label is the file's name). */
const shape = (at: string, root: string) => at.slice(root.length).replace(/\[\d+\]/g, "[]");
const ignored = (at: string, root: string) => IGNORED_PATHS.some((re) => re.test(shape(at, root)));

function show(v: unknown): string | undefined {
  return JSON.stringify(v)?.slice(0, 80);
}

function cmp(a: any, b: any, at: string, diffs: string[], root: string): void {
  const last = at.split(".").pop() ?? "";
  if (ignored(at, root)) return;
  if (/Cursor$/.test(last)) {
    if ((a == null) !== (b == null)) diffs.push(`${at}: cursor presence ${a == null ? "null" : "set"} vs ${b == null ? "null" : "set"}`);
    return;
  }
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    diffs.push(`${at}: expected ${show(a)} got ${show(b)}`);
    return;
  }
  if (Array.isArray(a)) {
    if (a.length !== b.length) diffs.push(`${at}: length ${a.length} vs ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) cmp(a[i], b[i], `${at}[${i}]`, diffs, root);
    return;
  }
  if (a && typeof a === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in b)) {
        if (!ignored(`${at}.${k}`, root)) diffs.push(`${at}.${k}: missing`);
        continue;
      }
      if (!(k in a)) {
        if (!ignored(`${at}.${k}`, root)) diffs.push(`${at}.${k}: unexpected`);
        continue;
      }
      cmp(a[k], b[k], `${at}.${k}`, diffs, root);
    }
    return;
  }
  if (a !== b) diffs.push(`${at}: expected ${show(a)} got ${show(b)}`);
}

/**
 * Field-by-field differences between Codex's answer (`expected`) and ours (`got`); empty when
 * they match. `at` labels the root in the messages.
 */
export function compareGolden(expected: unknown, got: unknown, at = "result"): string[] {
  const diffs: string[] = [];
  cmp(expected, got, at, diffs, at);
  return diffs;
}

export interface CopyHomeOptions {
  /** Leave Codex's SQLite files out, so only the JSONL files speak. */
  filesOnly?: boolean;
  /** Parent of the temp dir (default os.tmpdir()). */
  tmpRoot?: string;
}

/**
 * Copies `<fixtureDir>/codex-home` into a fresh temp dir (made writable), restores each file's
 * mtime from `<fixtureDir>/codex-home-mtimes.json` (git keeps none, and Codex takes a thread's
 * updatedAt from its rollout's mtime), optionally deletes `*.sqlite*`. Returns the new home.
 */
export function copyCorpusHome(fixtureDir: string, opts: CopyHomeOptions = {}): string {
  const home = fs.mkdtempSync(path.join(opts.tmpRoot ?? os.tmpdir(), "spool-home-"));
  fs.cpSync(path.join(fixtureDir, "codex-home"), home, { recursive: true });
  const makeWritable = (p: string): void => {
    const st = fs.statSync(p);
    fs.chmodSync(p, st.mode | 0o200);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) makeWritable(path.join(p, e));
  };
  makeWritable(home);
  const mtimesFile = path.join(fixtureDir, "codex-home-mtimes.json");
  if (fs.existsSync(mtimesFile)) {
    const mtimes = JSON.parse(fs.readFileSync(mtimesFile, "utf8")) as Record<string, number>;
    for (const [rel, ms] of Object.entries(mtimes)) {
      const f = path.join(home, rel);
      if (fs.existsSync(f)) fs.utimesSync(f, ms / 1000, ms / 1000);
    }
  }
  if (opts.filesOnly) for (const f of fs.readdirSync(home)) if (/\.sqlite(-wal|-shm|-journal)?$/.test(f)) fs.rmSync(path.join(home, f));
  return home;
}

export interface GoldenRequest {
  /** File name under golden/final, e.g. "list-page1.json". */
  file: string;
  method: string;
  params: any;
  /** Codex's result, or `{error: true}` when Codex answered with an error. */
  expected: any;
  /** The error Codex answered with, when it did. */
  expectedError?: { code: number; message: string; data?: unknown };
  /** Set on list-page2: its `cursor` must be the nextCursor of that file's actual answer. */
  cursorFrom?: string;
}

export const MISSING_THREAD_ID = "00000000-0000-0000-0000-000000000000";

/**
 * The golden/final requests of a corpus, sorted by file name, interpreted as conformance.mjs does:
 * `list-*` are thread/list, a `method` field names the method, read-missing.json is a thread/read
 * of an unknown thread that must fail, anything else is thread/read. list-page2's params hold a
 * placeholder cursor; see `cursorFrom` (or use replayGoldens, which chains it).
 */
export function* goldenRequests(fixtureDir: string): Generator<GoldenRequest> {
  const dir = path.join(fixtureDir, "golden", "final");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  for (const file of files) {
    const g = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
    let req: GoldenRequest;
    if (file.startsWith("list-")) req = { file, method: "thread/list", params: g.params, expected: g.result };
    else if (g.method) req = { file, method: g.method, params: g.params, expected: g.result };
    else if (file === "read-missing.json")
      req = { file, method: "thread/read", params: { threadId: MISSING_THREAD_ID }, expected: { error: true }, expectedError: g.error };
    else req = { file, method: "thread/read", params: g.params, expected: g.result };
    if (req.expected === undefined && g.error) req = { ...req, expected: { error: true }, expectedError: g.error };
    // older goldens keep the error inside `result`
    if (req.expected?.error && typeof req.expected.error === "object" && !req.expectedError) req = { ...req, expectedError: req.expected.error };
    if (file === "list-page2.json") req = { ...req, params: { limit: 2, cursor: g.params?.cursor }, cursorFrom: "list-page1.json" };
    yield req;
  }
}

export interface GoldenOutcome {
  file: string;
  method: string;
  params: any;
  /** The answer (result, or `{error: rpcError}`). */
  got: any;
  diffs: string[];
  ok: boolean;
}

/**
 * Replays every golden request over an initialized client, as conformance.mjs does (list-page2
 * takes list-page1's actual nextCursor), and compares each answer with Codex's.
 */
export async function replayGoldens(client: RpcClient, fixtureDir: string, timeoutMs = 20000): Promise<GoldenOutcome[]> {
  const answers = new Map<string, any>();
  const out: GoldenOutcome[] = [];
  for (const g of goldenRequests(fixtureDir)) {
    let params = g.params;
    if (g.cursorFrom) {
      const prev = answers.get(g.cursorFrom);
      if (!prev?.nextCursor) {
        out.push({ file: g.file, method: g.method, params, got: undefined, diffs: [`no cursor from ${g.cursorFrom}`], ok: false });
        continue;
      }
      params = { ...params, cursor: prev.nextCursor };
    }
    let got: any;
    try {
      got = await client.request(g.method, params, timeoutMs);
    } catch (e: any) {
      got = { error: e?.rpc ?? e?.message ?? String(e) };
    }
    answers.set(g.file, got);
    let diffs: string[];
    if (g.expected?.error) diffs = got && got.error ? compareGolden(g.expectedError, got.error, `${g.file.replace(/\.json$/, "")}.error`) : ["expected an error, got a result"];
    else diffs = compareGolden(g.expected, got, g.file.replace(/\.json$/, ""));
    out.push({ file: g.file, method: g.method, params, got, diffs, ok: diffs.length === 0 });
  }
  return out;
}

/** Item kinds whose ids Codex's legacy replay numbers `item-N`, and those it reads without times. */
const NUMBERED_KINDS = new Set(["userMessage", "agentMessage", "reasoning"]);
const UNTIMED_KINDS = new Set([...NUMBERED_KINDS, "webSearch", "fileChange"]);

/**
 * Turns without what Spool's stable ids add to a legacy thread it wrote (the ids and times items
 * had live, src/history/spool-ids.ts): numbered kinds' ids and those kinds' times blanked, so a
 * Spool reading compares with Codex's reading of the same file.
 */
export function withoutStableIds<T extends { items: Array<{ type: string }> }>(turns: T[]): T[] {
  return turns.map((t) => ({
    ...t,
    items: t.items.map((i) => (UNTIMED_KINDS.has(i.type) ? { ...i, ...(NUMBERED_KINDS.has(i.type) ? { id: "-" } : {}), startedAtMs: null, completedAtMs: null } : i)),
  }));
}
