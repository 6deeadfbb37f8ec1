// Where Spool's home is: --home beats SPOOL_HOME, which beats ~/.spool.
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.SPOOL_HOME) return resolve(env.SPOOL_HOME);
  return join(homedir(), ".spool");
}
