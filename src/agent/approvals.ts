// When a tool call waits for the client's approval, by approval policy (config `approval_policy`)
// and sandbox mode. Spool runs commands without a sandbox, so the sandbox mode only decides which
// file changes count as "outside the sandbox":
//   - never: nothing asks (the model is told it cannot escalate; what it runs, runs);
//   - untrusted: every command and every patch asks;
//   - on-request / on-failure: a command asks when it requests `require_escalated`; a patch asks
//     when it writes outside the writable roots (the cwd) under workspace-write, always under
//     read-only, never under danger-full-access.
import path from "node:path";
import type { ApprovalPolicy, SandboxMode } from "./config.js";

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
