// Screens of the Codex TUI made comparable across two servers: what legitimately differs
// between runs (ids, clock times, durations, temp paths, ports, versions, token counts, the
// animated logo) is masked, and two masked screens are compared with diff(1).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** `paths` maps a literal path to its label (e.g. the temp workspace to "<ws>"); longest first. */
export function maskScreen(screen: string, paths: Record<string, string> = {}): string {
  let s = screen;
  for (const p of Object.keys(paths).sort((a, b) => b.length - a.length)) s = s.split(p).join(paths[p]);
  s = s
    .replace(UUID, "<id>")
    .replace(/ws:\/\/127\.0\.0\.1:\d+\/?/g, "ws://<addr>/")
    .replace(/\(v?\d+\.\d+\.\d+[^)]*\)/g, "(<version>)")
    .replace(/\b\d{1,2}:\d{2}(:\d{2})?\b/g, "<hh:mm>")
    .replace(/Worked for [^•\n]*/g, "Worked for <dur> ")
    .replace(/\d+(\.\d+)? seconds/g, "<n> seconds")
    .replace(/\(\d+(\.\d+)?m?s\b[^)]*\)/g, "(<dur>)")
    .replace(/\b\d+[smhd] ago\b\s*/g, "<ago> ")
    .replace(/Chunk ID: \w+/g, "Chunk ID: <id>")
    .replace(/(Token usage|Token usage so far|Context window|Original token count):.*/g, "$1: <n>")
    .replace(/^• tick .*$/gm, "• tick … (an interrupted stream)")
    .replace(/^\s*└ Tip: .*$/gm, "");
  return s
    .split("\n")
    .filter((l) => !/[\u2800-\u28ff]/.test(l)) // the animated logo on an empty session
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .join("\n");
}

/** A unified diff of two masked screens ("" when equal), labelled with the two servers' names. */
export function diffScreens(a: { label: string; text: string }, b: { label: string; text: string }): string {
  if (a.text === b.text) return "";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spool-tui-diff-"));
  try {
    const fa = path.join(dir, "a");
    const fb = path.join(dir, "b");
    fs.writeFileSync(fa, a.text + "\n");
    fs.writeFileSync(fb, b.text + "\n");
    try {
      execFileSync("diff", ["-u", "--label", a.label, "--label", b.label, fa, fb], { encoding: "utf8" });
      return "";
    } catch (e: any) {
      // diff exits 1 when the files differ; its output is the diff
      if (e.status === 1) return String(e.stdout);
      throw e;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
