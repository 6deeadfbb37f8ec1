// command/exec and its follow-ups (write, resize, terminate): a standalone command run through the
// sandbox (the request's sandboxPolicy, else config.toml's), answered with its exit code and
// output, or streamed as command/exec/outputDelta notifications, with Codex's checks and messages.
// Spool has no PTY backend: `tty` requests are refused with a clear error.
import fs from "node:fs";
import path from "node:path";
import { ExecProcess, ExecSpawnError, type ExecResult } from "../../command-exec/process.js";
import { ExecRegistry } from "../../command-exec/registry.js";
import { sandboxCommand, SandboxUnavailableError } from "../../sandbox/launcher.js";
import type { SandboxPolicy } from "../../sandbox/policy.js";
import { INTERNAL_ERROR, INVALID_PARAMS, invalidRequest, RpcError } from "../errors.js";
import { sandboxModeOf, workspaceWriteOf } from "../thread-view.js";
import { missingField, optionalBool, optionalCount, optionalString, paramsObject, requiredString, stringList, variantTag, type Params } from "./serde-params.js";

/** What a command/exec handler needs of the connection that sent it. */
export interface ExecConnection {
  readonly id: number;
  notify(method: string, params: unknown): void;
  onClose(fn: () => void): void;
}

export interface CommandExecService {
  /** The policy when a request names none (config.toml's). */
  defaultPolicy(): SandboxPolicy;
  /** The environment commands start from. */
  env(): NodeJS.ProcessEnv;
  register(method: string, handler: (params: unknown, conn: ExecConnection) => Promise<unknown> | unknown): void;
}

/** Bytes kept per stream when a request sets no cap (Codex's default, 1 MiB). */
const DEFAULT_OUTPUT_CAP = 1024 * 1024;
/** Timeout when a request sets none. */
const DEFAULT_TIMEOUT_MS = 10_000;
const POLICY_TYPES = ["dangerFullAccess", "readOnly", "externalSandbox", "workspaceWrite"] as const;

const invalidParams = (m: string) => new RpcError(INVALID_PARAMS, m);

function policyOf(raw: unknown, fallback: SandboxPolicy): SandboxPolicy {
  if (raw == null) return fallback;
  variantTag(paramsObject(raw), POLICY_TYPES);
  const mode = sandboxModeOf(raw)!;
  return { mode, workspaceWrite: workspaceWriteOf(raw) ?? fallback.workspaceWrite };
}

function envOf(base: NodeJS.ProcessEnv, overrides: unknown): NodeJS.ProcessEnv {
  const env = { ...base };
  if (overrides == null) return env;
  for (const [k, v] of Object.entries(paramsObject(overrides))) {
    if (v === null) delete env[k];
    else if (typeof v === "string") env[k] = v;
    else throw invalidRequest(`Invalid request: invalid type for env.${k}, expected a string or null`);
  }
  return env;
}

function sizeOf(raw: unknown): { rows: number; cols: number } {
  const s = paramsObject(raw);
  const rows = optionalCount(s, "rows");
  const cols = optionalCount(s, "cols");
  if (rows == null) throw missingField("rows");
  if (cols == null) throw missingField("cols");
  if (rows === 0 || cols === 0) throw invalidParams("command/exec size rows and cols must be greater than 0");
  return { rows, cols };
}

export function registerCommandExecMethods(svc: CommandExecService): void {
  const running = new ExecRegistry();
  const watched = new Set<number>();

  function active(conn: ExecConnection, p: Params): ExecProcess {
    const id = requiredString(p, "processId");
    const proc = running.get(conn.id, id);
    if (!proc) throw invalidRequest(`no active command/exec for process id "${id}"`);
    return proc;
  }

  svc.register("command/exec", async (raw, conn) => {
    const p = paramsObject(raw);
    const command = stringList(p, "command", true)!;
    const processId = optionalString(p, "processId");
    const tty = optionalBool(p, "tty") ?? false;
    const streamStdin = tty || (optionalBool(p, "streamStdin") ?? false);
    const streamOutput = tty || (optionalBool(p, "streamStdoutStderr") ?? false);
    const cap = optionalCount(p, "outputBytesCap");
    const noCap = optionalBool(p, "disableOutputCap") ?? false;
    const timeoutMs = optionalCount(p, "timeoutMs");
    const noTimeout = optionalBool(p, "disableTimeout") ?? false;
    const cwdParam = optionalString(p, "cwd");
    optionalString(p, "permissionProfile");
    if (command.length === 0) throw invalidRequest("command must not be empty");
    if (p.sandboxPolicy != null && p.permissionProfile != null) throw invalidRequest("`permissionProfile` cannot be combined with `sandboxPolicy`");
    if ((tty || streamStdin || streamOutput) && processId == null) throw invalidRequest("command/exec tty or streaming requires a client-supplied processId");
    if (timeoutMs != null && noTimeout) throw invalidParams("command/exec cannot set both timeoutMs and disableTimeout");
    if (cap != null && noCap) throw invalidParams("command/exec cannot set both outputBytesCap and disableOutputCap");
    if (p.size != null) {
      if (!tty) throw invalidParams("command/exec size requires tty: true");
      sizeOf(p.size);
    }
    if (processId != null && running.has(conn.id, processId)) throw invalidRequest(`duplicate active command/exec process id: "${processId}"`);
    if (tty) throw invalidRequest("command/exec tty is not supported by Spool: it has no PTY backend (run without tty, streaming stdin/stdout instead)");
    const policy = policyOf(p.sandboxPolicy, svc.defaultPolicy());
    const cwd = path.resolve(cwdParam ?? process.cwd());
    // Codex reports a missing working folder as a spawn failure; bubblewrap would report it its own way
    if (!fs.statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) throw new RpcError(INTERNAL_ERROR, "failed to spawn command: No such file or directory (os error 2)");
    let launch;
    try {
      // as in Codex, the policy's workspace is the server's working folder, not the command's cwd
      launch = sandboxCommand(command, { policy, cwd: process.cwd(), env: envOf(svc.env(), p.env) });
    } catch (e) {
      if (e instanceof SandboxUnavailableError) throw new RpcError(INTERNAL_ERROR, e.message);
      throw e;
    }
    const proc = new ExecProcess({
      argv: launch.argv,
      cwd,
      env: launch.env,
      outputCap: noCap ? null : (cap ?? DEFAULT_OUTPUT_CAP),
      timeoutMs: noTimeout ? null : (timeoutMs ?? DEFAULT_TIMEOUT_MS),
      streamStdin,
      onOutput: streamOutput ? (stream, chunk, capReached) => conn.notify("command/exec/outputDelta", { processId, stream, deltaBase64: chunk.toString("base64"), capReached }) : undefined,
    });
    if (!watched.has(conn.id)) {
      watched.add(conn.id);
      conn.onClose(() => (watched.delete(conn.id), running.connectionClosed(conn.id)));
    }
    if (processId != null) running.add(conn.id, processId, proc);
    let result: ExecResult;
    try {
      result = await proc.done;
    } catch (e) {
      if (e instanceof ExecSpawnError) throw new RpcError(INTERNAL_ERROR, `failed to spawn command: ${e.message}`);
      throw e;
    } finally {
      if (processId != null) running.remove(conn.id, processId, proc);
    }
    return result;
  });

  svc.register("command/exec/write", (raw, conn) => {
    const p = paramsObject(raw);
    const proc = active(conn, p);
    const delta = optionalString(p, "deltaBase64");
    const close = optionalBool(p, "closeStdin") ?? false;
    if (!proc.streamsStdin) throw invalidRequest("stdin streaming is not enabled for this command/exec");
    if (delta != null) proc.write(Buffer.from(delta, "base64"));
    if (close) proc.closeStdin();
    return {};
  });

  svc.register("command/exec/resize", (raw, conn) => {
    const p = paramsObject(raw);
    if (p.size === undefined) throw missingField("size");
    active(conn, p);
    sizeOf(p.size);
    throw invalidRequest("failed to resize PTY: process is not attached to a PTY");
  });

  svc.register("command/exec/terminate", (raw, conn) => {
    active(conn, paramsObject(raw)).kill();
    return {};
  });
}
