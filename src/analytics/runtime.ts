// The runtime block of analytics events, read once per process: Spool's version (in
// `codex_rs_version`: the field names the server's version), the OS family, its version and the
// CPU architecture, in the spellings Codex reports (`macos`, `linux`, `windows`; `x86_64`, `aarch64`).
// On Linux the OS version is the distribution's (`/etc/os-release` VERSION_ID as x.y.z, like
// Codex's `12.0.0` on Debian 12), not the kernel's.
import fs from "node:fs";
import { arch, release } from "node:os";
import { VERSION } from "../version.js";
import type { RuntimeMetadata } from "./facts.js";

let cached: RuntimeMetadata | undefined;

function distributionVersion(): string | null {
  try {
    const m = /^VERSION_ID="?([0-9]+(?:\.[0-9]+)*)"?$/m.exec(fs.readFileSync("/etc/os-release", "utf8"));
    if (!m) return null;
    const parts = m[1].split(".").map((p) => String(Number(p)));
    while (parts.length < 3) parts.push("0");
    return parts.join(".");
  } catch {
    return null;
  }
}

export function currentRuntime(): RuntimeMetadata {
  if (cached) return cached;
  const os = process.platform === "darwin" ? "macos" : process.platform === "win32" ? "windows" : process.platform;
  const a = arch();
  const cpu = a === "x64" ? "x86_64" : a === "arm64" ? "aarch64" : a === "ia32" ? "x86" : a;
  const version = (process.platform === "linux" ? distributionVersion() : null) ?? release();
  cached = { codex_rs_version: VERSION, runtime_os: os, runtime_os_version: version, runtime_arch: cpu };
  return cached;
}
