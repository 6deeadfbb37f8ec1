// The `<permissions instructions>` developer message: what the sandbox allows and how the
// approval policy works, so the model knows when to ask for escalation. Spool's own wording;
// the tag is Codex's, so clients and models that look for it find it.

import type { ContextApprovalPolicy, ContextSandboxMode } from "./types.js";

const SANDBOX: Record<ContextSandboxMode, string> = {
  "read-only": "Commands run in a read-only sandbox: they may read any file but cannot write anywhere, and they have no network access.",
  "workspace-write":
    "Commands run in a sandbox that may read any file and write inside the working directory and the writable roots listed below; writing elsewhere needs approval. Network access is blocked.",
  "danger-full-access": "Commands run without a sandbox: they may read and write any file and use the network.",
};

const ESCALATION = `To run a command outside the sandbox, call \`exec_command\` with \`sandbox_permissions: "require_escalated"\` and a one-sentence \`justification\` phrased as a question for the user (for example "Allow installing the project's npm dependencies?"). Ask only when the command matters for the task: a command that failed because of the sandbox (a write outside the writable roots, a network error such as a DNS failure or an unreachable registry), a command that must write to a protected place, or a destructive step the user did not request. Do not ask first in a chat message; make the call with the justification and the user decides. You may add a \`prefix_rule\` (the command's leading words, e.g. ["npm", "test"]) so similar commands need no new approval; keep it narrow, and never give one for destructive commands, interpreters running arbitrary code, or commands with heredocs.
A command line is judged segment by segment (split at |, &&, ||, ; and subshells); commands using redirections, substitutions or variable assignments are never matched by saved rules.`;

const APPROVAL: Record<ContextApprovalPolicy, string> = {
  never: "The approval policy is `never`: nobody will be asked. Do not set `sandbox_permissions`; work within the sandbox, and if something cannot be done there, explain what the user would need to do.",
  "on-request": `The approval policy is \`on-request\`: you decide when a command needs the user's approval.\n${ESCALATION}`,
  "on-failure": `The approval policy is \`on-failure\`: commands run in the sandbox first, and when one fails there the user is asked whether to rerun it without the sandbox.\n${ESCALATION}`,
  untrusted: `The approval policy is \`untrusted\`: only commands known to be safe and read-only run without asking; anything else asks the user first.\n${ESCALATION}`,
};

export interface PermissionsInput {
  sandboxMode: ContextSandboxMode;
  approvalPolicy: ContextApprovalPolicy;
  /** Writable roots of a workspace-write sandbox (the cwd first). */
  writableRoots: readonly string[];
}

export function permissionsText(p: PermissionsInput): string {
  const lines = ["<permissions instructions>", `Sandbox mode: \`${p.sandboxMode}\`. ${SANDBOX[p.sandboxMode]}`, APPROVAL[p.approvalPolicy]];
  if (p.sandboxMode === "workspace-write" && p.writableRoots.length) lines.push(`Writable roots: ${p.writableRoots.map((r) => `\`${r}\``).join(", ")}.`);
  lines.push("</permissions instructions>");
  return lines.join("\n");
}
