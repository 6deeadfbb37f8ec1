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

test("read-only: nothing is writable, reads work, no network", async () => {
  await compareMode(
    fx,
    "read-only",
    { sandbox: "read-only" },
    { inside: false, outside: false, slashTmp: false, git: false, read: true, network: false, child: false, symlink: false, patchIn: false },
  );
});

test("danger-full-access: no sandbox", async () => {
  await compareMode(
    fx,
    "danger-full-access",
    { sandbox: "danger-full-access" },
    { inside: true, outside: true, git: true, read: true, network: true, child: true, symlink: true, patchOut: true },
  );
});
