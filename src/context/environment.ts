// The `<environment_context>` user message: where the agent works (cwd, shell), today's date and
// time zone, and the filesystem permissions the sandbox gives. A later turn carries only what the
// model needs again: cwd and shell when the cwd changed; date, zone and filesystem always.
import type { ContextSandboxMode } from "./types.js";

export interface EnvironmentInput {
  cwd: string;
  shell: string;
  date: string;
  timezone: string;
  sandboxMode: ContextSandboxMode;
  /** Include `<cwd>` and `<shell>` (a thread's first context, or after a cwd change). */
  withCwd: boolean;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Places a workspace-write sandbox keeps read-only inside the workspace. */
export const PROTECTED_WORKSPACE_DIRS = [".git", ".agents", ".codex"];

function fileSystem(cwd: string, mode: ContextSandboxMode): string {
  if (mode === "danger-full-access") return `<permission_profile type="disabled"><file_system type="unrestricted" /></permission_profile>`;
  const entries = [`<entry access="read"><special>:root</special></entry>`];
  if (mode === "workspace-write") {
    entries.push(`<entry access="write"><path>${esc(cwd)}</path></entry>`, `<entry access="write"><special>:slash_tmp</special></entry>`, `<entry access="write"><special>:tmpdir</special></entry>`);
    for (const d of PROTECTED_WORKSPACE_DIRS) entries.push(`<entry access="read"><path>${esc(`${cwd}/${d}`)}</path></entry>`);
  }
  return `<permission_profile type="managed"><file_system type="restricted">${entries.join("")}</file_system></permission_profile>`;
}

export function environmentContextText(e: EnvironmentInput): string {
  const lines = ["<environment_context>"];
  if (e.withCwd) lines.push(`  <cwd>${esc(e.cwd)}</cwd>`, `  <shell>${esc(e.shell)}</shell>`);
  lines.push(`  <current_date>${e.date}</current_date>`, `  <timezone>${esc(e.timezone)}</timezone>`);
  lines.push(`  <filesystem><workspace_roots><root>${esc(e.cwd)}</root></workspace_roots>${fileSystem(e.cwd, e.sandboxMode)}</filesystem>`);
  lines.push("</environment_context>");
  return lines.join("\n");
}
