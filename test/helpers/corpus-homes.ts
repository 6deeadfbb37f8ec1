// Throw-away copies of the corpus home for one test file (removed after its tests), and the
// JSON-RPC error a request is answered with: the setup the bad-input and hardening tests share.
import fs from "node:fs";
import { after } from "node:test";
import { copyCorpusHome } from "./compare.js";
import { corpusFixtureDir } from "./paths.js";
import type { RpcClient } from "./rpc-client.js";

export interface CorpusHomes {
  /** A fresh copy of the corpus home. */
  fresh(): string;
  /** Removes `dir` too when the file's tests are over. */
  track(dir: string): void;
}

/** Call at a test file's top level: registers the clean-up with node:test's `after`. */
export function corpusHomes(): CorpusHomes {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    fresh() {
      const h = copyCorpusHome(corpusFixtureDir(), { filesOnly: true });
      dirs.push(h);
      return h;
    },
    track: (dir) => void dirs.push(dir),
  };
}

/** The error `method` is answered with; throws when it succeeds. */
export async function rpcError(c: RpcClient, method: string, params: unknown): Promise<{ code: number; message: string }> {
  try {
    await c.request(method, params);
  } catch (e) {
    return (e as { rpc: { code: number; message: string } }).rpc;
  }
  throw new Error(`${method} unexpectedly succeeded`);
}
