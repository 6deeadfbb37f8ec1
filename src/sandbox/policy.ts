// The sandbox policy, pure: config (`sandbox_mode`, `[sandbox_workspace_write]`) -> which roots a
// command may write, which paths under them stay read-only, and whether it has network. The
// rules are Codex's (protocol SandboxPolicy::get_writable_roots_with_cwd):
//   - read-only: every path readable, nothing writable, no network;
//   - workspace-write: the cwd, `writable_roots`, `/tmp` (unless `exclude_slash_tmp`) and
//     `$TMPDIR` (unless `exclude_tmpdir_env_var`) are writable; network only with
//     `network_access = true`; under each writable root `.git` (a directory, or a file: then the
//     gitdir it points at too), `.agents` (a directory) and `.codex` (a directory, and always
//     under the cwd, so creating it needs an approval) stay read-only;
//   - danger-full-access: no sandbox.
// Facts about the filesystem come in through `FsFacts`, so this file does no I/O.
import path from "node:path";

export type SandboxMode = "read-only" | "workspace-write" | "danger-full-access";

/** `[sandbox_workspace_write]` in config.toml. */
export interface WorkspaceWriteOptions {
  writableRoots: string[];
  networkAccess: boolean;
  excludeTmpdirEnvVar: boolean;
  excludeSlashTmp: boolean;
}

export const DEFAULT_WORKSPACE_WRITE: WorkspaceWriteOptions = { writableRoots: [], networkAccess: false, excludeTmpdirEnvVar: false, excludeSlashTmp: false };

export interface SandboxPolicy {
  mode: SandboxMode;
  workspaceWrite: WorkspaceWriteOptions;
}

export type PathKind = "dir" | "file" | "symlink" | "other" | "missing";

/** What the policy needs to know about the filesystem (lstat-like: symlinks are not followed). */
export interface FsFacts {
  kind(p: string): PathKind;
  /** What `stat` (following symlinks) says. */
  targetKind(p: string): PathKind;
  /** A small text file's contents, or null. */
  readText(p: string): string | null;
}

export interface WritableRoot {
  root: string;
  /** Paths under `root` that stay read-only. */
  readOnlySubpaths: string[];
}

/** Reads `[sandbox_workspace_write]` (snake_case keys, as in Codex's config.toml). */
export function workspaceWriteFromConfig(table: unknown): WorkspaceWriteOptions {
  const t = typeof table === "object" && table !== null && !Array.isArray(table) ? (table as Record<string, unknown>) : {};
  const roots = Array.isArray(t.writable_roots) ? t.writable_roots.filter((r): r is string => typeof r === "string" && r !== "") : [];
  return {
    writableRoots: roots,
    networkAccess: t.network_access === true,
    excludeTmpdirEnvVar: t.exclude_tmpdir_env_var === true,
    excludeSlashTmp: t.exclude_slash_tmp === true,
  };
}

export const hasFullDiskWriteAccess = (p: SandboxPolicy): boolean => p.mode === "danger-full-access";

export function hasNetworkAccess(p: SandboxPolicy): boolean {
  if (p.mode === "danger-full-access") return true;
  if (p.mode === "read-only") return false;
  return p.workspaceWrite.networkAccess;
}

/** Is `p` (absolute, normalized) `root` or under it? */
export function isWithin(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** The gitdir a `.git` file points at (`gitdir: <path>`, relative to the file's folder). */
function gitdirOf(dotGit: string, fs: FsFacts): string | null {
  const text = fs.readText(dotGit);
  if (text === null) return null;
  const m = /^gitdir:\s*(.+)$/m.exec(text.trim());
  if (!m) return null;
  const dir = path.resolve(path.dirname(dotGit), m[1].trim());
  return fs.targetKind(dir) === "missing" ? null : dir;
}

function protectedSubpaths(root: string, isCwd: boolean, fs: FsFacts): string[] {
  const out: string[] = [];
  const git = path.join(root, ".git");
  const gitKind = fs.targetKind(git);
  if (gitKind === "file") {
    const gitdir = gitdirOf(git, fs);
    if (gitdir) out.push(gitdir);
  }
  if (gitKind === "file" || gitKind === "dir") out.push(git);
  const agents = path.join(root, ".agents");
  if (fs.targetKind(agents) === "dir") out.push(agents);
  const codex = path.join(root, ".codex");
  if (isCwd || fs.targetKind(codex) === "dir") out.push(codex);
  return [...new Set(out)];
}

/** The writable roots of a command run in `cwd` (empty for read-only and danger-full-access). */
export function writableRoots(policy: SandboxPolicy, cwd: string, env: NodeJS.ProcessEnv, fs: FsFacts): WritableRoot[] {
  if (policy.mode !== "workspace-write") return [];
  const o = policy.workspaceWrite;
  const roots = o.writableRoots.map((r) => path.resolve(cwd, r));
  roots.push(path.resolve(cwd));
  if (!o.excludeSlashTmp && fs.targetKind("/tmp") === "dir") roots.push("/tmp");
  const tmpdir = env.TMPDIR;
  if (!o.excludeTmpdirEnvVar && tmpdir && path.isAbsolute(tmpdir)) roots.push(path.resolve(tmpdir));
  const cwdRoot = path.resolve(cwd);
  return [...new Set(roots)].map((root) => ({ root, readOnlySubpaths: protectedSubpaths(root, root === cwdRoot, fs) }));
}

/** Every root's read-only subpaths: they win over every writable root (a nested root included). */
export const readOnlySubpaths = (roots: WritableRoot[]): string[] => [...new Set(roots.flatMap((r) => r.readOnlySubpaths))].sort();

/** May a command write `p` (absolute, symlinks already resolved by the caller)? */
export function canWrite(policy: SandboxPolicy, roots: WritableRoot[], p: string): boolean {
  if (hasFullDiskWriteAccess(policy)) return true;
  const target = path.resolve(p);
  return roots.some((r) => isWithin(target, r.root)) && !readOnlySubpaths(roots).some((s) => isWithin(target, s));
}

/** The policy from config.toml's `sandbox_mode` (default workspace-write) and `[sandbox_workspace_write]`. */
export function policyFromConfig(sandboxMode: unknown, workspaceWriteTable: unknown): SandboxPolicy {
  const mode = sandboxMode === "read-only" || sandboxMode === "danger-full-access" ? sandboxMode : "workspace-write";
  return { mode, workspaceWrite: workspaceWriteFromConfig(workspaceWriteTable) };
}
