// Driving the real, unmodified Codex TUI (`codex --remote ws://…`) in tmux, as a user would:
// type, press keys, read the screen, wait for text to appear. One private tmux server per
// process (`tmux -L <socket>`), so parallel test files and other users' sessions never mix.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { codexBin } from "./codex.js";
import { stopChild } from "./ws-client.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether tmux is on PATH (CI installs it: see .ci/run). */
export function tmuxAvailable(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The line the wrapper prints when the TUI process ends (the pane stays for a last capture). */
export const EXIT_MARK = "[tui exited with status";

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Default wait for screen content: long, since the machine may be busy (no timing thresholds). */
export const WAIT_MS = 60_000;

export interface TuiOptions {
  /** The TUI's own CODEX_HOME. */
  home: string;
  /** Where the TUI runs (its workspace). */
  cwd: string;
  /** Arguments after `codex`, e.g. ["--remote", url] or ["--remote", url, "resume"]. */
  args: string[];
  cols?: number;
  rows?: number;
}

export class TuiSession {
  private static count = 0;
  private readonly socket = `spool-tui-${process.pid}`;
  readonly name = `tui${++TuiSession.count}`;

  private constructor() {}

  /** Starts `codex <args>` in a detached tmux session of cols x rows. */
  static start(o: TuiOptions): TuiSession {
    const s = new TuiSession();
    const env = `CODEX_HOME=${quote(o.home)} RUST_LOG=error TERM=xterm-256color`;
    // after the TUI ends, print its status and keep the pane so the last screen can be read
    const cmd = `cd ${quote(o.cwd)} && env ${env} ${quote(codexBin())} ${o.args.map(quote).join(" ")}; echo "${EXIT_MARK} $?]"; sleep 86400`;
    s.tmux(["new-session", "-d", "-s", s.name, "-x", String(o.cols ?? 160), "-y", String(o.rows ?? 50), cmd]);
    return s;
  }

  private tmux(args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
  }

  /** The whole pane including scrollback, wrapped lines joined. */
  screen(): string {
    try {
      return this.tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", this.name]);
    } catch (e) {
      return `(no screen: ${(e as Error).message})`;
    }
  }

  /** Only what is on the pane now (no scrollback). */
  visible(): string {
    try {
      return this.tmux(["capture-pane", "-p", "-J", "-t", this.name]);
    } catch (e) {
      return `(no screen: ${(e as Error).message})`;
    }
  }

  /** Whether the TUI process has ended. */
  exited(): boolean {
    return this.screen().includes(EXIT_MARK);
  }

  /**
   * Types literal text, pauses, then presses Enter separately (text and Enter in one call would be
   * taken as a paste, where Enter inserts a newline instead of submitting).
   */
  async submit(text: string): Promise<void> {
    await this.type(text);
    await sleep(300);
    this.key("Enter");
  }

  /** Types literal text (no Enter). */
  async type(text: string): Promise<void> {
    this.tmux(["send-keys", "-t", this.name, "-l", text]);
    await sleep(200);
  }

  /** Presses one key by tmux name: Enter, Escape, Tab, C-u, y… */
  key(k: string): void {
    this.tmux(["send-keys", "-t", this.name, k]);
  }

  /**
   * Polls the screen until `until` holds; throws after `timeoutMs` (default 60 s) or as soon as
   * the TUI has exited, with the last screen in the message.
   */
  async waitFor(what: string, until: (screen: string) => boolean, timeoutMs = WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const sc = this.screen();
      if (until(sc)) return sc;
      if (sc.includes(EXIT_MARK)) throw new Error(`the TUI exited while waiting for ${what}:\n${tail(sc)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${tail(sc)}`);
      await sleep(250);
    }
  }

  /** Waits for a literal text (or a regex) on the screen. */
  waitForText(text: string | RegExp, timeoutMs = WAIT_MS): Promise<string> {
    const test = typeof text === "string" ? (s: string) => s.includes(text) : (s: string) => text.test(s);
    return this.waitFor(JSON.stringify(String(text)), test, timeoutMs);
  }

  /** Ends the tmux session (the TUI with it). */
  kill(): void {
    try {
      this.tmux(["kill-session", "-t", this.name]);
    } catch {
      // already gone
    }
  }

  /** Stops this process's private tmux server (every session started here). */
  static killServer(): void {
    try {
      execFileSync("tmux", ["-L", `spool-tui-${process.pid}`, "kill-server"], { stdio: "ignore" });
    } catch {
      // no server was started
    }
  }
}

/** The last non-empty lines of a screen, for error messages. */
export function tail(screen: string, n = 25): string {
  return screen
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(-n)
    .join("\n");
}

/**
 * config.toml for the server's home and the TUI's home: the scripted provider, an approval policy
 * under which `esc:` commands ask, and the first-run prompts answered the way a user's config
 * would be after the first start (workspace trusted, screen-reader check and the model NUX done).
 * The model is one of the bundled presets, so the real Codex has metadata for it (a custom name
 * shows a "Model metadata … not found" warning) and the TUI offers no model migration.
 */
export function tuiConfigToml(baseUrl: string, workspace: string): string {
  return `model = "gpt-6.1-sol"
model_provider = "mock"
approval_policy = "on-request"
sandbox_mode = "workspace-write"

[model_providers.mock]
name = "Mock"
base_url = "${baseUrl}"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
supports_websockets = false

[projects.${JSON.stringify(workspace)}]
trust_level = "trusted"

[tui]
screen_reader_detection_done = true

[tui.model_availability_nux]
"gpt-6.1-sol" = 1
`;
}

export interface WsServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts an app-server that prints `listening on[:] ws://…` on stderr (both `codex app-server` and
 * `spool app-server` do) and resolves with that URL. `cwd` matters: the TUI starts threads with
 * `cwd: null`, which the server resolves to its own working directory.
 */
export function startWsServer(cmd: string, args: string[], o: { cwd: string; env: Record<string, string> }): Promise<WsServerProcess> {
  const child = spawn(cmd, args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on:? (ws:\/\/\S+)/.exec(out);
      if (!m) return;
      child.stderr!.off("data", onData);
      child.stderr!.on("data", (more) => (out += more));
      resolve({
        url: m[1],
        child,
        output: () => out,
        stop: () => stopChild(child),
      });
    };
    child.stdout!.resume();
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${path.basename(cmd)} exited ${code} before listening: ${out}`)));
  });
}

/** Writes `text` to `<dir>/<name>`, creating dir. */
export function writeArtifact(dir: string, name: string, text: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}
