// The real Codex binary from the `@openai/codex@0.169.0` devDependency, and a way to start its
// app-server over a home.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { repoRoot } from "./paths.js";
import { RpcClient, type RpcClientOptions } from "./rpc-client.js";

export const CODEX_VERSION = "0.169.0";

interface Target {
  pkg: string;
  triple: string;
  exe: string;
}

function platformTarget(): Target {
  const { platform, arch } = process;
  const a = arch === "x64" ? "x64" : arch === "arm64" ? "arm64" : null;
  if (!a) throw new Error(`codex: no Codex build for arch ${arch}`);
  const cpu = a === "x64" ? "x86_64" : "aarch64";
  if (platform === "linux") return { pkg: `@openai/codex-linux-${a}`, triple: `${cpu}-unknown-linux-musl`, exe: "codex" };
  if (platform === "darwin") return { pkg: `@openai/codex-darwin-${a}`, triple: `${cpu}-apple-darwin`, exe: "codex" };
  if (platform === "win32") return { pkg: `@openai/codex-win32-${a}`, triple: `${cpu}-pc-windows-msvc`, exe: "codex.exe" };
  throw new Error(`codex: no Codex build for platform ${platform}`);
}

/** The vendor dir of the platform package: `<pkg>/vendor/<triple>`, or null when not installed. */
function vendorDir(t: Target): string | null {
  const root = repoRoot();
  const direct = path.join(root, "node_modules", ...t.pkg.split("/"), "vendor", t.triple);
  if (fs.existsSync(direct)) return direct;
  // hoisted elsewhere / nested under @openai/codex: let Node's resolution find it
  for (const from of [path.join(root, "package.json"), path.join(root, "node_modules", "@openai", "codex", "package.json")]) {
    try {
      const pj = createRequire(from).resolve(`${t.pkg}/package.json`);
      const d = path.join(path.dirname(pj), "vendor", t.triple);
      if (fs.existsSync(d)) return d;
    } catch {
      // not resolvable from there
    }
  }
  return null;
}

let cachedBin: string | undefined;

/**
 * Absolute path of the real Codex 0.169.0 binary. `SPOOL_CODEX_BIN` overrides it. Throws a clear
 * error when the devDependency is missing or holds another version.
 */
export function codexBin(): string {
  if (cachedBin) return cachedBin;
  const override = process.env.SPOOL_CODEX_BIN;
  if (override) {
    if (!fs.existsSync(override)) throw new Error(`SPOOL_CODEX_BIN=${override} does not exist`);
    return (cachedBin = override);
  }
  const t = platformTarget();
  const dir = vendorDir(t);
  const hint = `run \`npm install\` in ${repoRoot()} (devDependency @openai/codex@${CODEX_VERSION} and its optional ${t.pkg})`;
  if (!dir) throw new Error(`codex binary not found: ${t.pkg}/vendor/${t.triple} is not installed; ${hint}`);
  let entry = path.join("bin", t.exe);
  const manifest = path.join(dir, "codex-package.json");
  if (fs.existsSync(manifest)) {
    const m = JSON.parse(fs.readFileSync(manifest, "utf8")) as { version?: string; entrypoint?: string };
    if (m.version && m.version !== CODEX_VERSION) throw new Error(`codex binary under ${dir} is ${m.version}, expected ${CODEX_VERSION}; ${hint}`);
    if (m.entrypoint) entry = m.entrypoint;
  }
  const bin = path.join(dir, entry);
  if (!fs.existsSync(bin)) throw new Error(`codex binary not found at ${bin}; ${hint}`);
  return (cachedBin = bin);
}

/** Environment for a Codex app-server over `home` (quiet logs). */
export function codexEnv(home: string): Record<string, string> {
  return { CODEX_HOME: home, RUST_LOG: "error" };
}

/** Starts `codex app-server` over `home` (not yet initialized). */
export function startCodex(home: string, opts: Omit<RpcClientOptions, "env"> & { env?: Record<string, string> } = {}): RpcClient {
  return new RpcClient(codexBin(), ["app-server"], { cwd: home, ...opts, env: { ...codexEnv(home), ...opts.env } });
}
