// Makes a Codex home of N threads by cloning a corpus home's rollouts under fresh ids and start
// times one minute apart (port of /work/shared/tools/synth-home.mjs). With bigMb, one extra thread
// is grown to about that many MB by repeating its turns' lines.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

export interface SynthOptions {
  /** Extra thread grown to about this many MB (0 = none). */
  bigMb?: number;
  /**
   * Strip `"ordinal"` fields and `history_mode` so rollouts read as legacy (pre-pagination) files,
   * which every reader can replay without its own SQLite history (default true).
   */
  legacy?: boolean;
  /** Start time of thread 0 (ms). */
  t0?: number;
}

export interface SynthResult {
  threads: number;
  /** Id, file (relative to the home) and size of the grown thread, if any. */
  big: { id: string; file: string; bytes: number } | null;
  /** Ids of the N ordinary threads, oldest first. */
  ids: string[];
}

function listRollouts(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .map(String)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .map((f) => path.join(dir, f));
}

function uuid7(ms: number): string {
  const b = crypto.randomBytes(16);
  const hex = ms.toString(16).padStart(12, "0") + b.toString("hex").slice(12);
  const s = hex.split("");
  s[12] = "7";
  s[16] = ((parseInt(s[16], 16) & 3) | 8).toString(16);
  const j = s.join("");
  return `${j.slice(0, 8)}-${j.slice(8, 12)}-${j.slice(12, 16)}-${j.slice(16, 20)}-${j.slice(20, 32)}`;
}

/** Builds the home into `out` (emptied first) from `<srcHome>/sessions`; copies its config.toml. */
export function synthHome(srcHome: string, out: string, n: number, opts: SynthOptions = {}): SynthResult {
  const legacy = opts.legacy ?? true;
  const t0 = opts.t0 ?? Date.parse("2026-01-01T00:00:00Z");
  const bodies = listRollouts(path.join(srcHome, "sessions"))
    .map((f) => fs.readFileSync(f, "utf8"))
    .filter((b) => !JSON.parse(b.slice(0, b.indexOf("\n"))).payload?.forked_from_id);
  if (!bodies.length) throw new Error(`no source rollouts under ${srcHome}/sessions`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });

  const write = (body: string, i: number, growMb: number): { id: string; file: string; bytes: number } => {
    const ms = t0 + i * 60000;
    const oldId = JSON.parse(body.slice(0, body.indexOf("\n"))).payload.id as string;
    const id = uuid7(ms);
    const iso = new Date(ms).toISOString();
    let text = body.split(oldId).join(id);
    if (legacy) text = text.replace(/"ordinal":\d+,/g, "");
    const lines = text.split("\n");
    const meta = JSON.parse(lines[0]);
    meta.timestamp = iso;
    meta.payload.timestamp = iso;
    if (legacy) delete meta.payload.history_mode;
    lines[0] = JSON.stringify(meta);
    if (growMb > 0) {
      const bodyLines = lines.slice(1).filter(Boolean);
      const target = growMb * 1024 * 1024;
      let size = lines.join("\n").length;
      while (size < target) for (const l of bodyLines) {
        lines.push(l);
        size += l.length + 1;
      }
    }
    text = lines.filter(Boolean).join("\n") + "\n";
    const d = new Date(ms);
    const dir = path.join(out, "sessions", String(d.getUTCFullYear()), String(d.getUTCMonth() + 1).padStart(2, "0"), String(d.getUTCDate()).padStart(2, "0"));
    fs.mkdirSync(dir, { recursive: true });
    const stamp = iso.slice(0, 19).replaceAll(":", "-");
    const file = path.join(dir, `rollout-${stamp}-${id}.jsonl`);
    fs.writeFileSync(file, text);
    fs.utimesSync(file, ms / 1000 + 30, ms / 1000 + 30);
    return { id, file: path.relative(out, file), bytes: Buffer.byteLength(text) };
  };

  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(write(bodies[i % bodies.length], i, 0).id);
  const big = opts.bigMb ? write(bodies[0], n, opts.bigMb) : null;
  const cfg = path.join(srcHome, "config.toml");
  if (fs.existsSync(cfg)) fs.copyFileSync(cfg, path.join(out, "config.toml"));
  return { threads: n, big, ids };
}
