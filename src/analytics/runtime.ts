// The runtime block of analytics events, read once per process: Spool's version (in
// `codex_rs_version`: the field names the server's version), the OS family, its version and the
// CPU architecture, in the spellings Codex reports (`macos`, `linux`, `windows`; `x86_64`, `aarch64`).
import { arch, release } from "node:os";
import { VERSION } from "../version.js";
import type { RuntimeMetadata } from "./facts.js";

let cached: RuntimeMetadata | undefined;

export function currentRuntime(): RuntimeMetadata {
  if (cached) return cached;
  const os = process.platform === "darwin" ? "macos" : process.platform === "win32" ? "windows" : process.platform;
  const a = arch();
  const cpu = a === "x64" ? "x86_64" : a === "arm64" ? "aarch64" : a === "ia32" ? "x86" : a;
  cached = { codex_rs_version: VERSION, runtime_os: os, runtime_os_version: release(), runtime_arch: cpu };
  return cached;
}
