// sandbox_mode is enforced as Codex enforces it: the same scripted commands (approval_policy =
// "never", so nothing can escalate) run against the real Codex 0.169.0 app-server and Spool's,
// each over its own copy of the same layout and config, and every check's outcome must be the
// expected literal on both sides (checks: test/helpers/sandbox-checks.ts). One file per group of
// modes keeps each file well inside the runner's per-file timeout.
import { test } from "node:test";
import { useMockResponses } from "./helpers/mock-home.js";
import { compareMode, useLoopbackServer } from "./helpers/sandbox-checks.js";

const fx = useMockResponses();
useLoopbackServer();

test("turn/start's sandboxPolicy replaces the configured one for the turn (writable roots, network)", async () => {
  const sandboxPolicy = { type: "workspaceWrite", writableRoots: ["ROOT/extra"], networkAccess: true, excludeTmpdirEnvVar: true, excludeSlashTmp: true };
  await compareMode(
    fx,
    "turn/start sandboxPolicy",
    { sandbox: "read-only" },
    { inside: true, outside: false, slashTmp: false, extraRoot: true, git: false, network: true },
    { sandboxPolicy },
  );
});
