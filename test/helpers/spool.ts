// Running the built Spool CLI (dist/src/cli/main.js) as an app-server over a home.
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./paths.js";
import { RpcClient, type RpcClientOptions } from "./rpc-client.js";

/** Path of the built CLI entry point. */
export function spoolMain(): string {
  return path.join(repoRoot(), "dist", "src", "cli", "main.js");
}

/** Whether the CLI has been built. */
export function spoolBuilt(): boolean {
  return fs.existsSync(spoolMain());
}

/** Command line of `spool app-server --home HOME` (stdio transport), run by this Node. */
export function spoolCommand(home: string, extraArgs: string[] = []): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: [spoolMain(), "app-server", "--home", home, ...extraArgs] };
}

/** Starts `spool app-server --home HOME` (not yet initialized). Throws clearly if it is not built. */
export function startSpool(home: string, opts: RpcClientOptions & { extraArgs?: string[] } = {}): RpcClient {
  if (!spoolBuilt()) throw new Error(`spool CLI not built: ${spoolMain()} is missing (run \`npm run build\`)`);
  const { cmd, args } = spoolCommand(home, opts.extraArgs);
  return new RpcClient(cmd, args, { cwd: home, ...opts, env: { SPOOL_HOME: home, ...opts.env } });
}
