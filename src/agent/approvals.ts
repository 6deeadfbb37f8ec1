// When a tool call waits for the client's approval, and when it may leave the sandbox, by
// approval policy (config `approval_policy`) and sandbox mode, as Codex 0.169.0 decides:
//   - never: nothing asks. A command asking `require_escalated` is refused without running
//     (the model is told it cannot escalate); a patch writing where the sandbox forbids is
//     refused; everything else runs in the sandbox, and its failures are the model's to read.
//   - on-request / on-failure (0.169.0 treats them alike): a command runs in the sandbox; one
//     asking `require_escalated` asks first and, approved, runs without the sandbox. A sandbox
//     failure is not retried by itself: the model may ask again with `require_escalated`.
//     A patch asks when it writes where the sandbox forbids (outside the writable roots, or
//     into `.git`/`.codex`/`.agents`, or anywhere under read-only).
//   - untrusted (Spool keeps it; Codex 0.169.0 refuses the setting): every command and every
//     patch asks; an approved command leaves the sandbox only if it asked `require_escalated`.
// A command the home's execpolicy rules allow (execpolicy.ts) runs without asking; a command
// approval offers Codex's choices, including allowing the command's prefix from then on.
import path from "node:path";
import type { ApprovalPolicy, SandboxMode } from "./config.js";
import type { ApprovalDecision, CommandApprovalParams } from "./events.js";
import { shellJoin } from "../history/shell.js";

/** What the model reads when it asks to escalate under `never` (Codex's wording). */
export const NEVER_ESCALATE_OUTPUT =
  "approval policy is Never; reject command — you cannot ask for escalated permissions if the approval policy is Never";
/** What the model reads when a patch writes where the sandbox forbids under `never`. */
export const PATCH_OUTSIDE_REJECTED_OUTPUT = "patch rejected: writing outside of the project; rejected by user approval settings";

export const wantsEscalation = (sandboxPermissions: string | undefined): boolean => sandboxPermissions === "require_escalated";

export function commandNeedsApproval(policy: ApprovalPolicy, sandboxPermissions: string | undefined): boolean {
  if (policy === "never") return false;
  if (policy === "untrusted") return true;
  return wantsEscalation(sandboxPermissions);
}

export type CommandDecision =
  | { kind: "reject"; output: string }
  /** `unsandboxed`: once approved, run without the sandbox. */
  | { kind: "ask"; unsandboxed: boolean }
  | { kind: "run"; unsandboxed: false };

/** How a shell command goes: refused, asked about, or run in the sandbox. */
export function commandDecision(policy: ApprovalPolicy, sandboxPermissions: string | undefined): CommandDecision {
  const escalate = wantsEscalation(sandboxPermissions);
  if (policy === "never") return escalate ? { kind: "reject", output: NEVER_ESCALATE_OUTPUT } : { kind: "run", unsandboxed: false };
  if (commandNeedsApproval(policy, sandboxPermissions)) return { kind: "ask", unsandboxed: escalate };
  return { kind: "run", unsandboxed: false };
}

/** How a patch goes, given whether the sandbox lets every path it touches be written. */
export function patchDecision(policy: ApprovalPolicy, allWritable: boolean, escalate: boolean): "apply" | "ask" | "reject" {
  if (policy === "untrusted") return "ask";
  if (policy === "never") return allWritable ? "apply" : "reject";
  return allWritable && !escalate ? "apply" : "ask";
}

/** Is `p` (absolute) `root` or under it? */
export function isInside(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** The cwd-only approximation of the rule (kept for callers without a sandbox policy). */
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
