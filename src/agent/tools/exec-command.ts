// exec_command: Codex's shell tool, with its argument shape (`cmd`, `workdir`, `login`, `shell`,
// `yield_time_ms`, `max_output_tokens`, `sandbox_permissions`, `justification`, `prefix_rule`,
// `tty`; Spool also reads `timeout_ms`). The command runs as `<shell> -c <cmd>` (`-lc` when login,
// the default) in the turn's cwd or `workdir`, until it exits or times out; there are no
// interactive sessions, so `yield_time_ms` and `tty` are accepted and ignored.
//
// Every command runs under the thread's sandbox (src/sandbox): only an approved
// `sandbox_permissions: "require_escalated"` leaves it (approvals.ts has the rules per policy).
// `apply_patch <<'EOF' … EOF` through exec_command is an in-process file change (apply-patch.ts),
// held to the same sandbox rules: a patch writing where the sandbox forbids asks, or is refused.
import fs from "node:fs/promises";
import path from "node:path";
import type { JsonObject } from "../../rollout/line.js";
import {
  commandCore,
  commandExecution,
  fileChange,
  fileChangeCore,
  threadItem,
  type CommandExecutionFields,
  type FileChangeFields,
} from "../rollout-items.js";
import type { ApprovalDecision } from "../events.js";
import { chosenAmendment, commandApprovalParams, commandDecision, isInside, PATCH_OUTSIDE_REJECTED_OUTPUT, patchDecision, wantsEscalation } from "../approvals.js";
import { proposedAmendment } from "../execpolicy.js";
import { sandboxCommand, SandboxUnavailableError } from "../../sandbox/launcher.js";
import { sandboxAllowsWrites } from "../../sandbox/writable.js";
import { applyWritesSandboxed } from "../../sandbox/file-writes.js";
import type { SandboxPolicy } from "../../sandbox/policy.js";
import { applyPlan, looksLikeApplyPatch, parseApplyPatchInvocation, parsePatch, PatchError, planChanges, planPatch, planPaths } from "./apply-patch.js";
import { runCommand } from "./exec.js";
import { DEFAULT_MAX_OUTPUT_TOKENS, formatExecOutput, formatPatchOutput, REJECTED_OUTPUT } from "./output.js";
import type { FunctionTool, FunctionToolResult, ToolContext } from "./registry.js";

export const EXEC_COMMAND = "exec_command";
export const DEFAULT_SHELL = "/bin/bash";

/** The definition the model sees: Codex 0.169.0's parameter schema, Spool's wording. */
export const EXEC_COMMAND_SPEC: JsonObject = {
  type: "function",
  name: EXEC_COMMAND,
  description:
    "Runs a shell command in the workspace and returns its output and exit code once it finishes. " +
    "Edit files with `apply_patch <<'EOF'` … `EOF` (the apply_patch format) through this tool.",
  strict: false,
  parameters: {
    type: "object",
    properties: {
      cmd: { type: "string", description: "The shell command to run." },
      justification: { type: "string", description: "Only with `require_escalated`: the question shown to the user when asking for approval." },
      login: { type: "boolean", description: "Run the shell as a login shell (-l). Defaults to true." },
      max_output_tokens: { type: "number", description: "Most output tokens to return (default 10000); longer output is cut in the middle." },
      prefix_rule: {
        type: "array",
        description: 'Only with `sandbox_permissions: "require_escalated"`: a command prefix the approval could cover, e.g. ["git", "pull"].',
        items: { type: "string" },
      },
      sandbox_permissions: {
        type: "string",
        description: "`use_default` (default) or `require_escalated` to ask the user for approval to run outside the sandbox.",
        enum: ["use_default", "require_escalated"],
      },
      shell: { type: "string", description: "The shell binary. Defaults to bash." },
      tty: { type: "boolean", description: "Accepted for compatibility; commands always run with plain pipes." },
      workdir: { type: "string", description: "Working directory, absolute or relative to the turn's cwd. Defaults to the turn's cwd." },
      yield_time_ms: { type: "number", description: "Accepted for compatibility; the command always runs to completion or its timeout." },
    },
    required: ["cmd"],
    additionalProperties: false,
  },
};

export interface ExecCommandArgs {
  cmd: string;
  workdir?: string;
  login?: boolean;
  shell?: string;
  timeout_ms?: number;
  yield_time_ms?: number;
  max_output_tokens?: number;
  sandbox_permissions?: string;
  justification?: string;
}

function readArgs(a: JsonObject): ExecCommandArgs | string {
  if (typeof a.cmd !== "string") return "missing field `cmd`";
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined);
  return {
    cmd: a.cmd,
    workdir: typeof a.workdir === "string" && a.workdir !== "" ? a.workdir : undefined,
    login: typeof a.login === "boolean" ? a.login : undefined,
    shell: typeof a.shell === "string" && a.shell !== "" ? a.shell : undefined,
    timeout_ms: num(a.timeout_ms),
    yield_time_ms: num(a.yield_time_ms),
    max_output_tokens: num(a.max_output_tokens),
    sandbox_permissions: typeof a.sandbox_permissions === "string" ? a.sandbox_permissions : undefined,
    justification: typeof a.justification === "string" ? a.justification : undefined,
  };
}

const isObjectDecision = (d: ApprovalDecision): boolean => typeof d === "object" && d !== null;
/** accept / acceptForSession / an amendment object: go ahead. */
const approved = (d: ApprovalDecision) => d === "accept" || d === "acceptForSession" || isObjectDecision(d);

/** The exec_command tool. */
export function execCommandTool(): FunctionTool {
  return {
    name: EXEC_COMMAND,
    spec: EXEC_COMMAND_SPEC,
    async handle(raw, ctx) {
      const args = readArgs(raw);
      if (typeof args === "string") return { output: `failed to parse function arguments: ${args}` };
      const cwd = args.workdir ? path.resolve(ctx.cwd, args.workdir) : ctx.cwd;
      const invocation = parseApplyPatchInvocation(args.cmd);
      if (invocation) return applyPatchCall(invocation.patch, invocation.cd ? path.resolve(cwd, invocation.cd) : cwd, args, ctx);
      if (looksLikeApplyPatch(args.cmd)) return { output: "apply_patch verification failed: expected `apply_patch <<'EOF'` followed by the patch and a closing `EOF` line" };
      return runShellCommand(args, cwd, ctx);
    },
  };
}

async function runShellCommand(args: ExecCommandArgs, cwd: string, ctx: ToolContext): Promise<FunctionToolResult> {
  if (!(await isDirectory(cwd))) return { output: `exec_command failed: working directory ${cwd} does not exist or is not a directory` };
  const shell = args.shell ?? DEFAULT_SHELL;
  const argv = [shell, args.login === false ? "-c" : "-lc", args.cmd];
  const base: CommandExecutionFields = {
    threadId: ctx.threadId,
    turnId: ctx.turnId,
    callId: ctx.callId,
    processId: null,
    argv,
    cwd,
    source: "agent",
    status: "in_progress",
    output: null,
    exitCode: null,
    durationMs: null,
    startedAtMs: ctx.now(),
    completedAtMs: null,
  };
  const notifyStarted = (f: CommandExecutionFields) =>
    ctx.notify({ method: "item/started", params: { item: threadItem(commandCore(f), f.startedAtMs, null), threadId: ctx.threadId, turnId: ctx.turnId, startedAtMs: f.startedAtMs } });
  const notifyCompleted = (f: CommandExecutionFields) =>
    ctx.notify({
      method: "item/completed",
      params: { item: threadItem(commandCore(f), f.startedAtMs, f.completedAtMs), threadId: ctx.threadId, turnId: ctx.turnId, contentTokenCount: null, completedAtMs: f.completedAtMs ?? f.startedAtMs },
    });

  const plan = commandDecision(ctx.approvalPolicy, args.sandbox_permissions);
  // Codex records nothing for a refused escalation: the model only reads why
  if (plan.kind === "reject") return { output: plan.output };
  let unsandboxed = false;
  let startedNotified = false;
  // approved before: for this session, or by the home's execpolicy rules
  if (plan.kind === "ask" && (ctx.sessionApprovals.commands.has(args.cmd) || ctx.execPolicy?.allows(argv))) unsandboxed = plan.unsandboxed;
  else if (plan.kind === "ask") {
    notifyStarted(base);
    startedNotified = true;
    const amendment = proposedAmendment(argv);
    const decision = await ctx.requestApproval(
      "commandExecution",
      commandApprovalParams({ threadId: ctx.threadId, turnId: ctx.turnId, itemId: ctx.callId, startedAtMs: base.startedAtMs, reason: args.justification ?? null, script: args.cmd, argv, cwd, amendment }),
    );
    if (!approved(decision)) {
      // Codex records no item for a declined command; the client still sees it end
      notifyCompleted({ ...base, status: "declined", completedAtMs: ctx.now() });
      return { output: REJECTED_OUTPUT, interruptTurn: decision === "cancel" };
    }
    if (decision === "acceptForSession") ctx.sessionApprovals.commands.add(args.cmd);
    const chosen = chosenAmendment(decision);
    if (chosen) ctx.execPolicy?.allow(chosen);
    unsandboxed = plan.unsandboxed;
  }

  const running: CommandExecutionFields = { ...base, source: "unified_exec_startup" };
  const env = { ...ctx.env, NO_COLOR: "1", TERM: "dumb", PAGER: "cat", GIT_PAGER: "cat" };
  let launch: { argv: string[]; env: NodeJS.ProcessEnv; sandboxed: boolean };
  try {
    launch = unsandboxed ? { argv, env, sandboxed: false } : sandboxCommand(argv, { policy: sandboxPolicyOf(ctx), cwd, env });
  } catch (e) {
    if (!(e instanceof SandboxUnavailableError)) throw e;
    // no sandbox here: refuse, never run it unconfined
    const done: CommandExecutionFields = { ...running, status: "failed", output: e.message, completedAtMs: ctx.now(), durationMs: 0 };
    if (!startedNotified) notifyStarted(done);
    const output = `exec_command failed: ${e.message}`;
    await ctx.emitRollout(commandExecution(done, output));
    notifyCompleted(done);
    return { output };
  }
  const result = await runCommand({
    argv: launch.argv,
    cwd,
    env: launch.env,
    // nothing outlives a sandboxed command, so its output always ends: never cut it short
    streamGraceMs: launch.sandboxed ? 10_000 : undefined,
    timeoutMs: args.timeout_ms ?? ctx.execTimeoutMs,
    signal: ctx.signal,
    onSpawn: (pid) => {
      running.processId = String(pid);
      if (!startedNotified) {
        startedNotified = true;
        notifyStarted(running);
      }
    },
    onOutput: (delta) => ctx.notify({ method: "item/commandExecution/outputDelta", params: { threadId: ctx.threadId, turnId: ctx.turnId, itemId: ctx.callId, delta } }),
  });
  if (result.spawnError !== null) {
    const done: CommandExecutionFields = { ...running, status: "failed", output: result.spawnError, completedAtMs: ctx.now(), durationMs: result.durationMs };
    if (!startedNotified) notifyStarted(done);
    const output = `exec_command failed: ${result.spawnError}`;
    await ctx.emitRollout(commandExecution(done, output));
    notifyCompleted(done);
    return { output };
  }
  let output = result.output;
  if (result.timedOut) output += `${output && !output.endsWith("\n") ? "\n" : ""}command timed out after ${args.timeout_ms ?? ctx.execTimeoutMs} milliseconds\n`;
  const done: CommandExecutionFields = {
    ...running,
    status: result.exitCode === 0 && !result.aborted ? "completed" : "failed",
    output,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    completedAtMs: ctx.now(),
  };
  const formatted = formatExecOutput({ output, exitCode: result.exitCode, wallTimeMs: result.durationMs, maxOutputTokens: args.max_output_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS });
  await ctx.emitRollout(commandExecution(done, formatted));
  notifyCompleted(done);
  return { output: result.aborted ? "aborted" : formatted };
}

async function applyPatchCall(patchText: string, cwd: string, args: ExecCommandArgs, ctx: ToolContext): Promise<FunctionToolResult> {
  const t0 = performance.now();
  let plan;
  try {
    plan = await planPatch(parsePatch(patchText), cwd);
  } catch (e) {
    if (e instanceof PatchError) return { output: `apply_patch verification failed: ${e.message}` };
    throw e;
  }
  const changes = planChanges(plan);
  const paths = planPaths(plan);
  const allWritable = sandboxAllowsWrites(sandboxPolicyOf(ctx), ctx.cwd, ctx.env, paths);
  const how = patchDecision(ctx.approvalPolicy, allWritable, wantsEscalation(args.sandbox_permissions));
  // like Codex, a refused patch leaves no item: the model only reads why
  if (how === "reject") return { output: PATCH_OUTSIDE_REJECTED_OUTPUT };
  const base: FileChangeFields = { threadId: ctx.threadId, turnId: ctx.turnId, callId: ctx.callId, changes, status: "in_progress", stdout: "", stderr: "", startedAtMs: ctx.now(), completedAtMs: null };
  ctx.notify({ method: "item/started", params: { item: threadItem(fileChangeCore(base), base.startedAtMs, null), threadId: ctx.threadId, turnId: ctx.turnId, startedAtMs: base.startedAtMs } });
  const notifyCompleted = (f: FileChangeFields) =>
    ctx.notify({
      method: "item/completed",
      params: { item: threadItem(fileChangeCore(f), f.startedAtMs, f.completedAtMs), threadId: ctx.threadId, turnId: ctx.turnId, contentTokenCount: null, completedAtMs: f.completedAtMs ?? f.startedAtMs },
    });

  if (how === "ask" && !paths.every((p) => ctx.sessionApprovals.paths.has(p))) {
    const outside = paths.filter((p) => !isInside(p, ctx.cwd));
    const decision = await ctx.requestApproval("fileChange", {
      threadId: ctx.threadId,
      turnId: ctx.turnId,
      itemId: ctx.callId,
      startedAtMs: base.startedAtMs,
      reason: args.justification ?? (outside.length > 0 ? `The patch writes outside ${ctx.cwd}` : null),
      grantRoot: null,
    });
    if (!approved(decision)) {
      notifyCompleted({ ...base, status: "declined", completedAtMs: ctx.now() });
      return { output: REJECTED_OUTPUT, interruptTurn: decision === "cancel" };
    }
    if (decision === "acceptForSession") for (const p of paths) ctx.sessionApprovals.paths.add(p);
  }

  let done: FileChangeFields;
  let exitCode: number;
  // within the sandbox's rules the writes run in it; an approved patch outside them runs here
  const confined = allWritable && !wantsEscalation(args.sandbox_permissions);
  const policy = sandboxPolicyOf(ctx);
  await ctx.fileChanges?.before(paths);
  try {
    const stdout = await applyPlan(plan, confined ? (writes) => applyWritesSandboxed(writes, { policy, cwd: ctx.cwd, env: ctx.env }) : undefined);
    done = { ...base, status: "completed", stdout, completedAtMs: ctx.now() };
    exitCode = 0;
  } catch (e) {
    done = { ...base, status: "failed", stderr: `${(e as Error).message}\n`, completedAtMs: ctx.now() };
    exitCode = 1;
  }
  await ctx.emitRollout(fileChange(done));
  notifyCompleted(done);
  await ctx.fileChanges?.applied();
  return { output: formatPatchOutput({ exitCode, output: exitCode === 0 ? done.stdout : done.stderr, wallTimeMs: performance.now() - t0 }) };
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** The thread's sandbox: its mode and `[sandbox_workspace_write]`. */
const sandboxPolicyOf = (ctx: ToolContext): SandboxPolicy => ({ mode: ctx.sandboxMode, workspaceWrite: ctx.workspaceWrite });
