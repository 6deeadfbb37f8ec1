// fs/* — the host's file system for a client (read, write, list, copy, remove, watch), with
// Codex 0.169.0's answers and errors: paths must be absolute, OS errors are -32603 worded like
// Rust's io::Error ("No such file or directory (os error 2)"), and watches belong to the
// connection that made them (fs/changed goes to it; they end when it closes).
import fs from "node:fs";
import { constants } from "node:os";
import path from "node:path";
import { INTERNAL_ERROR, RpcError, invalidRequest } from "../errors.js";
import { optionalBool, paramsObject, requiredString, type Params } from "./serde-params.js";

/** The requesting connection, as far as fs/watch needs it. */
export interface FsConnection {
  notify(method: string, params: unknown): void;
  onClose(fn: () => void): void;
}

export interface FsRegistrar {
  register(method: string, handler: (params: unknown, conn: FsConnection) => unknown): void;
}

/** Files larger than this are refused by fs/readFile (the answer is one JSON line). */
const MAX_READ_BYTES = 256 * 1024 * 1024;

const OS_MESSAGES: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  EEXIST: "File exists",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  ENOTEMPTY: "Directory not empty",
};

/** A Node file system error as Codex (Rust's io::Error) words it. */
function osError(e: unknown): RpcError {
  const code = (e as NodeJS.ErrnoException).code ?? "";
  const errno = (constants.errno as Record<string, number>)[code];
  const message = OS_MESSAGES[code] && errno !== undefined ? `${OS_MESSAGES[code]} (os error ${errno})` : (e as Error).message;
  return new RpcError(INTERNAL_ERROR, message);
}

function absolute(p: Params, name: string): string {
  const v = requiredString(p, name);
  if (!path.isAbsolute(v)) throw invalidRequest("Invalid request: AbsolutePathBuf deserialized without a base path");
  return path.normalize(v);
}

async function io<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw e instanceof RpcError ? e : osError(e);
  }
}

export function registerFsMethods(r: FsRegistrar): void {
  r.register("fs/readFile", (raw) => {
    const file = absolute(paramsObject(raw), "path");
    return io(async () => {
      const st = await fs.promises.stat(file);
      if (!st.isFile()) throw invalidRequest(`path \`${file}\` is not a file`);
      if (st.size > MAX_READ_BYTES) throw invalidRequest(`file \`${file}\` is larger than ${MAX_READ_BYTES} bytes`);
      return { dataBase64: (await fs.promises.readFile(file)).toString("base64") };
    });
  });

  r.register("fs/writeFile", (raw) => {
    const p = paramsObject(raw);
    const file = absolute(p, "path");
    const data = requiredString(p, "dataBase64");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) throw invalidRequest("dataBase64 is not valid base64");
    return io(async () => {
      await fs.promises.writeFile(file, Buffer.from(data, "base64"));
      return {};
    });
  });

  r.register("fs/createDirectory", (raw) => {
    const p = paramsObject(raw);
    const dir = absolute(p, "path");
    const recursive = optionalBool(p, "recursive") ?? true;
    return io(async () => {
      await fs.promises.mkdir(dir, { recursive });
      return {};
    });
  });

  r.register("fs/getMetadata", (raw) => {
    const file = absolute(paramsObject(raw), "path");
    return io(async () => {
      const link = await fs.promises.lstat(file);
      const st = link.isSymbolicLink() ? await fs.promises.stat(file) : link;
      return { isDirectory: st.isDirectory(), isFile: st.isFile(), isSymlink: link.isSymbolicLink(), createdAtMs: Math.trunc(st.birthtimeMs), modifiedAtMs: Math.trunc(st.mtimeMs) };
    });
  });

  r.register("fs/readDirectory", (raw) => {
    const dir = absolute(paramsObject(raw), "path");
    return io(async () => {
      const entries = await fs.promises.readdir(dir, { withFileTypes: true });
      return { entries: entries.map((e) => ({ fileName: e.name, isDirectory: e.isDirectory(), isFile: e.isFile() })) };
    });
  });

  r.register("fs/remove", (raw) => {
    const p = paramsObject(raw);
    const target = absolute(p, "path");
    const recursive = optionalBool(p, "recursive") ?? true;
    const force = optionalBool(p, "force") ?? true;
    return io(async () => {
      await fs.promises.rm(target, { recursive, force });
      return {};
    });
  });

  r.register("fs/copy", (raw) => {
    const p = paramsObject(raw);
    const from = absolute(p, "sourcePath");
    const to = absolute(p, "destinationPath");
    const recursive = optionalBool(p, "recursive") ?? false;
    return io(async () => {
      if ((await fs.promises.stat(from)).isDirectory() && !recursive) throw invalidRequest("fs/copy requires recursive: true when sourcePath is a directory");
      await fs.promises.cp(from, to, { recursive });
      return {};
    });
  });

  registerWatchMethods(r);
}

function registerWatchMethods(r: FsRegistrar): void {
  // per connection: watchId -> watcher
  const byConnection = new WeakMap<FsConnection, Map<string, fs.FSWatcher>>();
  const watchesOf = (conn: FsConnection) => {
    let m = byConnection.get(conn);
    if (!m) {
      const created = new Map<string, fs.FSWatcher>();
      byConnection.set(conn, created);
      conn.onClose(() => {
        for (const w of created.values()) w.close();
        created.clear();
      });
      m = created;
    }
    return m;
  };

  r.register("fs/watch", (raw, conn) => {
    const p = paramsObject(raw);
    const watchId = requiredString(p, "watchId");
    const target = absolute(p, "path");
    const watches = watchesOf(conn);
    if (watches.has(watchId)) throw invalidRequest(`watch id \`${watchId}\` is already in use`);
    let watcher: fs.FSWatcher;
    try {
      const isDir = fs.statSync(target).isDirectory();
      watcher = fs.watch(target, { recursive: isDir }, (_event, name) => {
        const changed = name && isDir ? path.join(target, name.toString()) : target;
        conn.notify("fs/changed", { watchId, changedPaths: [changed] });
      });
    } catch (e) {
      throw osError(e);
    }
    watcher.on("error", () => watcher.close());
    watches.set(watchId, watcher);
    return { path: target };
  });

  r.register("fs/unwatch", (raw, conn) => {
    const watchId = requiredString(paramsObject(raw), "watchId");
    const watches = watchesOf(conn);
    watches.get(watchId)?.close();
    watches.delete(watchId);
    // like Codex, an unknown id is not an error
    return {};
  });
}
