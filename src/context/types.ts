// What context building needs to know about a turn. The policy names are Codex's (the same
// strings as the turn engine's ApprovalPolicy and SandboxMode).

export type ContextApprovalPolicy = "untrusted" | "on-failure" | "on-request" | "never";
export type ContextSandboxMode = "read-only" | "workspace-write" | "danger-full-access";

/** The settings the model is told about; a change between turns gives it an update. */
export interface ContextSettings {
  cwd: string;
  approvalPolicy: ContextApprovalPolicy;
  sandboxMode: ContextSandboxMode;
}

/** A discovered instruction file (AGENTS.md or a fallback name). */
export interface ProjectDoc {
  path: string;
  text: string;
}

/** The instruction files that apply in a cwd: the home's, then the project's from root to cwd. */
export interface ProjectDocs {
  home: ProjectDoc | null;
  project: ProjectDoc[];
}

/** A skill as the model's skill list shows it. */
export interface ContextSkill {
  name: string;
  description: string;
  path: string;
}
