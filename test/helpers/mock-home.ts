// A Codex/Spool home whose config.toml points at the project's scripted Responses server
// (mock-responses.ts), with a workspace beside it, for tests that run turns or read threads; and
// the per-file fixture that starts that server and removes the homes.
import { before, after } from "node:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startMockResponses, type MockResponses, type MockResponsesOptions } from "./mock-responses.js";

export interface MockConfigOptions {
  /** approval_policy (default "on-request"). */
  approval?: string;
  /** TOML inserted before the provider table (e.g. an `[analytics]` or `[goals]` table). */
  extra?: string;
}

/**
 * config.toml text: model "mock-model" from provider "mock" at `baseUrl`, no retries, workspace-write.
 * `supports_websockets = false` keeps a real Codex on plain HTTP (Spool ignores the key).
 */
export function mockConfigToml(baseUrl: string, o: MockConfigOptions = {}): string {
  return (
    `model = "mock-model"\nmodel_provider = "mock"\napproval_policy = "${o.approval ?? "on-request"}"\nsandbox_mode = "workspace-write"\n${o.extra ?? ""}\n` +
    `[model_providers.mock]\nname = "Mock"\nbase_url = "${baseUrl}"\nwire_api = "responses"\nrequest_max_retries = 0\nstream_max_retries = 0\nsupports_websockets = false\n`
  );
}

export interface MockHome {
  /** The temporary directory holding both (removed by whoever owns `dirs`). */
  root: string;
  home: string;
  /** The workspace (thread cwd). */
  ws: string;
}

export interface MockHomeOptions extends MockConfigOptions {
  /** mkdtemp prefix under the OS temp dir. */
  prefix: string;
  /** The new root is pushed here, for the test file's cleanup. */
  dirs: string[];
  /** A folder between the root and home/ws (the corpus layout is `<root>/work/{home,ws}`). */
  under?: string;
}

/** A fresh temp root with `home` (its config.toml pointing at `baseUrl`) and `ws`. */
export function makeMockHome(baseUrl: string, o: MockHomeOptions): MockHome {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), o.prefix));
  o.dirs.push(root);
  const base = o.under ? path.join(root, o.under) : root;
  const home = path.join(base, "home");
  const ws = path.join(base, "ws");
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(ws, { recursive: true });
  fs.writeFileSync(path.join(home, "config.toml"), mockConfigToml(baseUrl, o));
  return { root, home, ws };
}

export interface MockFixture {
  /** The scripted Responses server (once the file's `before` hook has run). */
  readonly mock: MockResponses;
  /** Temp dirs removed after the file's tests. */
  readonly dirs: string[];
  /** A fresh home pointing at the server, its root in `dirs`. */
  makeHome(o: Omit<MockHomeOptions, "dirs">): MockHome;
}

/**
 * For a test file: registers the `before` hook that starts the scripted Responses server and
 * the `after` hook that closes it and removes `dirs` (after any `after` hook registered earlier).
 */
export function useMockResponses(opts: MockResponsesOptions = {}): MockFixture {
  let mock: MockResponses | undefined;
  const dirs: string[] = [];
  before(async () => {
    mock = await startMockResponses(opts);
  });
  after(async () => {
    await mock?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const fixture: MockFixture = {
    get mock() {
      if (!mock) throw new Error("the mock Responses server starts in the test file's before hook");
      return mock;
    },
    dirs,
    makeHome: (o) => makeMockHome(fixture.mock.url, { ...o, dirs }),
  };
  return fixture;
}
