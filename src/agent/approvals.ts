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
import path from "node:path";
import type { ApprovalPolicy, SandboxMode } from "./config.js";

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
