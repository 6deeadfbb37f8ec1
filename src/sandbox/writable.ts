// Whether the sandbox lets a file be written, for changes Spool makes itself (apply_patch): the
// same rules as the mounts (policy.ts), over paths with their symlinks resolved, so a link inside
// the workspace that points outside it counts as outside.
import fs from "node:fs";
import path from "node:path";
import { nodeFsFacts } from "./launcher.js";
import { canWrite, hasFullDiskWriteAccess, writableRoots, type SandboxPolicy, type WritableRoot } from "./policy.js";

/** `p` with every existing component's symlinks resolved (the missing tail kept as written). */
export function resolveExisting(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return path.join(head, ...tail);
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
}

const resolveRoots = (roots: WritableRoot[]): WritableRoot[] =>
  roots.flatMap((r) => {
    const real = resolveExisting(r.root);
    const subs = r.readOnlySubpaths.flatMap((s) => [s, resolveExisting(s)]);
    return [{ root: r.root, readOnlySubpaths: subs }, ...(real === r.root ? [] : [{ root: real, readOnlySubpaths: subs }])];
  });

/** Whether a command under `policy` in `cwd` could write every one of `paths`. */
export function sandboxAllowsWrites(policy: SandboxPolicy, cwd: string, env: NodeJS.ProcessEnv, paths: string[]): boolean {
  if (hasFullDiskWriteAccess(policy)) return true;
  const roots = resolveRoots(writableRoots(policy, cwd, env, nodeFsFacts));
  return paths.every((p) => {
    const abs = path.resolve(cwd, p);
    return canWrite(policy, roots, abs) && canWrite(policy, roots, resolveExisting(abs));
  });
}
