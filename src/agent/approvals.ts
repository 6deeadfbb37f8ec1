// When a tool call waits for the client's approval, by approval policy (config `approval_policy`)
// and sandbox mode. Spool runs commands without a sandbox, so the sandbox mode only decides which
// file changes count as "outside the sandbox":
//   - never: nothing asks (the model is told it cannot escalate; what it runs, runs);
//   - untrusted: every command and every patch asks;
//   - on-request / on-failure: a command asks when it requests `require_escalated`; a patch asks
//     when it writes outside the writable roots (the cwd) under workspace-write, always under
//     read-only, never under danger-full-access.
// A command the home's execpolicy rules allow (execpolicy.ts) runs without asking; a command
// approval offers Codex's choices, including allowing the command's prefix from then on.
import path from "node:path";
import type { ApprovalPolicy, SandboxMode } from "./config.js";
import type { ApprovalDecision, CommandApprovalParams } from "./events.js";
import { shellJoin } from "../history/shell.js";

export function commandNeedsApproval(policy: ApprovalPolicy, sandboxPermissions: string | undefined): boolean {
  if (policy === "never") return false;
  if (policy === "untrusted") return true;
  return sandboxPermissions === "require_escalated";
}

/** Is `p` (absolute) `root` or under it? */
export function isInside(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

export function patchNeedsApproval(policy: ApprovalPolicy, sandbox: SandboxMode, paths: string[], writableRoots: string[]): boolean {
  if (policy === "never") return false;
  if (policy === "untrusted") return true;
  if (sandbox === "danger-full-access") return false;
  if (sandbox === "read-only") return true;
  return paths.some((p) => !writableRoots.some((r) => isInside(p, r)));
}

export interface CommandApprovalFields {
  threadId: string;
  turnId: string;
  itemId: string;
  startedAtMs: number;
  reason: string | null;
  /** The model's script, and the argv that runs it. */
  script: string;
  argv: string[];
  cwd: string;
  /** The prefix offered to allow from now on (execpolicy.ts). */
  amendment: string[];
}

/**
 * `item/commandExecution/requestApproval` params as Codex 0.169.0 sends them (its key order): the
 * local environment, the amendment it proposes, and the decisions it offers: accept, accept and
 * allow that prefix from now on, cancel.
 */
export function commandApprovalParams(f: CommandApprovalFields): CommandApprovalParams {
  return {
    kind: "command",
    threadId: f.threadId,
    turnId: f.turnId,
    itemId: f.itemId,
    startedAtMs: f.startedAtMs,
    environmentId: "local",
    reason: f.reason,
    command: shellJoin(f.argv),
    cwd: f.cwd,
    commandActions: [{ type: "unknown", command: f.script }],
    proposedExecpolicyAmendment: f.amendment,
    availableDecisions: ["accept", { acceptWithExecpolicyAmendment: { execpolicy_amendment: f.amendment } }, "cancel"],
  };
}

/** The prefix a decision `{acceptWithExecpolicyAmendment: {execpolicy_amendment}}` allows, or null. */
export function chosenAmendment(d: ApprovalDecision): string[] | null {
  if (typeof d !== "object" || d === null) return null;
  const a = d.acceptWithExecpolicyAmendment;
  const words = a && typeof a === "object" && !Array.isArray(a) ? a.execpolicy_amendment : undefined;
  return Array.isArray(words) && words.length > 0 && words.every((w) => typeof w === "string") ? (words as string[]) : null;
}
