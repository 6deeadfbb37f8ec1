// File changes Spool makes for the agent (apply_patch), confined like a command: under a
// restricted policy the writes run in a small Node child inside the same bubblewrap sandbox, so
// the kernel, not a path check, decides (a symlink swapped in after planning cannot redirect a
// write out of the workspace). Under danger-full-access, or for an approved escalation, they run
// in this process.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sandboxCommand } from "./launcher.js";
import type { SandboxPolicy } from "./policy.js";

export type FileWrite = { op: "write"; path: string; content: string } | { op: "remove"; path: string; force: boolean };

/** Applies the writes in order (a write creates its parent folders). Throws with the first failure. */
export async function applyWritesHere(writes: FileWrite[]): Promise<void> {
  for (const w of writes) {
    if (w.op === "write") {
      await fs.mkdir(path.dirname(w.path), { recursive: true });
      await fs.writeFile(w.path, w.content);
    } else await fs.rm(w.path, { force: w.force });
  }
}

const WRITER = fileURLToPath(new URL("./file-writer-main.js", import.meta.url));

/** Applies the writes under `policy` (see the top of this file). Throws SandboxUnavailableError or the writer's error. */
export async function applyWritesSandboxed(writes: FileWrite[], o: { policy: SandboxPolicy; cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  if (o.policy.mode === "danger-full-access") return await applyWritesHere(writes);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "spool-writes-"));
  try {
    const ops = path.join(dir, "ops.json");
    await fs.writeFile(ops, JSON.stringify(writes), { mode: 0o600 });
    const launch = sandboxCommand([process.execPath, WRITER, ops], o);
    const stderr = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawn(launch.argv[0], launch.argv.slice(1), { cwd: o.cwd, env: launch.env, stdio: ["ignore", "ignore", "pipe"] });
      let text = "";
      child.stderr.setEncoding("utf8").on("data", (s: string) => (text += s));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, text }));
    });
    if (stderr.code !== 0) throw new Error(stderr.text.trim() || `file writer exited with ${stderr.code}`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
