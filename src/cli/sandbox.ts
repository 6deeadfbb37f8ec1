// `spool sandbox [options] -- CMD [ARGS…]`: runs one command under the home's sandbox policy
// (config.toml's `sandbox_mode` and `[sandbox_workspace_write]`, or `--sandbox`/`--full-auto`),
// with this terminal's stdio, and exits with its status. The same launcher confines every command
// the agent runs, so this shows exactly what a turn's command may do.
import { spawn } from "node:child_process";
import { constants as osConstants } from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { loadConfig } from "../config/config.js";
import { resolveHome } from "../config/home.js";
import { sandboxCommand } from "../sandbox/launcher.js";
import { policyFromConfig, type SandboxMode } from "../sandbox/policy.js";

interface SandboxCliOptions {
  home?: string;
  cd?: string;
  sandbox?: SandboxMode;
  fullAuto?: boolean;
}

function sandboxMode(v: string): SandboxMode {
  if (v === "read-only" || v === "workspace-write" || v === "danger-full-access") return v;
  throw new InvalidArgumentError("expected read-only, workspace-write or danger-full-access");
}

export function registerSandbox(program: Command): void {
  program
    .command("sandbox")
    .description("Run a command under the configured sandbox policy (spool sandbox -- CMD ARGS…)")
    .option("--home <dir>", "home directory whose config.toml gives the policy (default: $SPOOL_HOME or ~/.spool)")
    .option("-C, --cd <dir>", "working directory (the workspace); default: the current one")
    .option("-s, --sandbox <mode>", "read-only, workspace-write or danger-full-access (overrides sandbox_mode)", sandboxMode)
    .option("--full-auto", "shorthand for --sandbox workspace-write")
    .argument("<command...>", "the command and its arguments")
    .action(async (command: string[], opts: SandboxCliOptions) => {
      process.exitCode = await runSandbox(command, opts);
    });
}

async function runSandbox(command: string[], opts: SandboxCliOptions): Promise<number> {
  const config = loadConfig(resolveHome(opts.home));
  const mode = opts.sandbox ?? (opts.fullAuto ? "workspace-write" : config.sandbox_mode);
  const policy = policyFromConfig(mode, config.sandbox_workspace_write);
  const cwd = path.resolve(opts.cd ?? process.cwd());
  const launch = sandboxCommand(command, { policy, cwd, env: process.env });
  return await new Promise<number>((resolve, reject) => {
    const child = spawn(launch.argv[0], launch.argv.slice(1), { cwd, env: launch.env, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, sig) => resolve(code ?? 128 + (sig ? (osConstants.signals[sig] ?? 0) : 0)));
  });
}
