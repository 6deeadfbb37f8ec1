// Locating the repository root (and well-known places under it) whatever the cwd, both from the
// TypeScript sources (test/helpers/*.ts) and from the compiled files (dist/test/helpers/*.js).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cachedRoot: string | undefined;

/** Absolute path of the repository root: the nearest ancestor holding Spool's package.json. */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === "spool") return (cachedRoot = dir);
      } catch {
        // not ours: keep climbing
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`spool repo root not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** `<repo>/.cache` (git-ignored), created on demand. */
export function cacheDir(...sub: string[]): string {
  const d = path.join(repoRoot(), ".cache", ...sub);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** `<repo>/test/fixtures/corpus`: our copy of the Codex corpus (see its README.md). */
export function corpusFixtureDir(): string {
  return path.join(repoRoot(), "test", "fixtures", "corpus");
}
