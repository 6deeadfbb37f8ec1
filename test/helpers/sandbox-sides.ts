// Running the same sandbox checks against the real Codex app-server and Spool's, side by side:
// each side gets its own copy of the same layout (so one side's writes cannot change the other's
// outcome) and the same config.toml, and runs each check as one scripted model turn (`cmd:`,
// `esc:`, `patch:`). A check's outcome is what the command did (exit code, item status, the
// output the model read, the approval requests) and what is on disk afterwards.
//
// Layout of a side (`ROOT`, `WS` in a check's text are replaced by its paths):
//   ROOT/ws            the workspace (thread cwd), with a `.git` folder and `link -> ROOT/outside`
//   ROOT/outside/      a folder outside the workspace, with `secret.txt` (for reads)
//   ROOT/tmpdir/       the servers' $TMPDIR
//   ROOT/extra/        listed in `writable_roots` by the configs that test it
// Codex's home lives under <repo>/.cache, not /tmp: Codex 0.169.0 refuses to install its sandbox
// helper under a temporary folder, and without it every sandboxed command fails.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startCodex } from "./codex.js";
import type { MockResponses } from "./mock-responses.js";
import { cacheDir } from "./paths.js";
import type { ApprovalPolicy, RpcClient, ServerRequest } from "./rpc-client.js";
import { startSpool } from "./spool.js";

export type SideKind = "codex" | "spool";

export interface Side {
  kind: SideKind;
  client: RpcClient;
  root: string;
  ws: string;
  home: string;
  threadId: string;
  /** The thread/start answer. */
  started: any;
}

export interface CheckOutcome {
  /** The commandExecution/fileChange item's status, or null when the call left no item. */
  status: string | null;
  exitCode: number | null;
  /** What the model read back (function_call_output). */
  output: string;
  /** Server requests (approvals) the turn made. */
  approvals: ServerRequest[];
}

/** config.toml for the mock provider with a sandbox section. */
export function sandboxConfigToml(baseUrl: string, o: { approval: string; sandbox: string; workspaceWrite?: string }): string {
  return (
    `model = "mock-model"\nmodel_provider = "mock"\napproval_policy = "${o.approval}"\nsandbox_mode = "${o.sandbox}"\n` +
    (o.workspaceWrite ? `[sandbox_workspace_write]\n${o.workspaceWrite}\n` : "") +
    `[model_providers.mock]\nname = "Mock"\nbase_url = "${baseUrl}"\nwire_api = "responses"\nrequest_max_retries = 0\nstream_max_retries = 0\nsupports_websockets = false\n`
  );
}

/** A fresh side layout; `config` may mention ROOT (e.g. in writable_roots). */
function layout(kind: SideKind, config: string, dirs: string[]): { root: string; ws: string; home: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `spool-sbx-${kind}-`)));
  dirs.push(root);
  const ws = path.join(root, "ws");
  for (const d of [ws, path.join(ws, ".git"), path.join(root, "outside"), path.join(root, "tmpdir"), path.join(root, "extra")]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(root, "outside", "secret.txt"), "secret\n");
  fs.symlinkSync(path.join(root, "outside"), path.join(ws, "link"));
  const home = kind === "codex" ? fs.mkdtempSync(path.join(cacheDir(), "codex-sbx-home-")) : path.join(root, "home");
  if (kind === "codex") dirs.push(home);
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(path.join(home, "config.toml"), config.replaceAll("ROOT", root));
  return { root, ws, home };
}

/** Starts one side's server over its own layout and a thread in its workspace. */
export async function openSide(kind: SideKind, config: string, o: { dirs: string[]; approve: ApprovalPolicy }): Promise<Side> {
  const { root, ws, home } = layout(kind, config, o.dirs);
  const env = { TMPDIR: path.join(root, "tmpdir") };
  const client = kind === "codex" ? startCodex(home, { approve: o.approve, env }) : startSpool(home, { approve: o.approve, env });
  await client.initialize();
  client.notify("initialized");
  const started = await client.request("thread/start", { cwd: ws });
  return { kind, client, root, ws, home, threadId: started.thread.id as string, started };
}

/** `text` with ROOT and WS replaced by the side's paths. */
export const forSide = (side: Side, text: string): string => text.replaceAll("ROOT", side.root).replaceAll("WS", side.ws);

/** Runs one scripted turn and reports what its tool call did. */
export async function runCheck(side: Side, mock: MockResponses, text: string, turnParams: Record<string, unknown> = {}): Promise<CheckOutcome> {
  const c = side.client;
  const n0 = c.notifications.length;
  const r0 = c.serverRequests.length;
  const turn = await c.request("turn/start", { threadId: side.threadId, input: [{ type: "text", text: forSide(side, text) }], ...JSON.parse(forSide(side, JSON.stringify(turnParams))) });
  const turnId = turn.turn.id as string;
  await c.waitForNotification("turn/completed", (p) => p.turn.id === turnId, 90_000);
  const item = c.notifications
    .slice(n0)
    .filter((n) => n.method === "item/completed" && n.params.turnId === turnId && (n.params.item.type === "commandExecution" || n.params.item.type === "fileChange"))
    .map((n) => n.params.item)
    .at(-1);
  const reqs = mock.requests.filter((r) => r.body.prompt_cache_key === side.threadId);
  const outputs = (reqs.at(-1)?.body.input ?? []).filter((i: any) => i.type === "function_call_output");
  const output = outputs.at(-1)?.output;
  return {
    status: item?.status ?? null,
    exitCode: item?.type === "commandExecution" ? (item.exitCode ?? null) : null,
    output: typeof output === "string" ? output : JSON.stringify(output ?? null),
    approvals: c.serverRequests.slice(r0),
  };
}

/** Closes both servers of a pair. */
export async function closeSides(...sides: Array<Side | undefined>): Promise<void> {
  await Promise.all(sides.map((s) => s?.client.close()));
}
