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

test("workspace-write with the temp dirs excluded: only the workspace is writable, .git/.codex stay read-only, no network", async () => {
  await compareMode(
    fx,
    "workspace-write (no temp dirs)",
    { sandbox: "workspace-write", workspaceWrite: "exclude_slash_tmp = true\nexclude_tmpdir_env_var = true" },
    { inside: true, outside: false, slashTmp: false, tmpdir: false, extraRoot: false, git: false, codex: false, read: true, network: false, child: false, symlink: false, patchIn: true, patchOut: false, patchLink: false },
  );
});

test("workspace-write with Codex's defaults plus writable_roots and network_access: /tmp, $TMPDIR and the extra root are writable, network on", async () => {
  await compareMode(
    fx,
    "workspace-write (defaults, extra root, network)",
    { sandbox: "workspace-write", workspaceWrite: 'writable_roots = ["ROOT/extra"]\nnetwork_access = true' },
    { inside: true, slashTmp: true, tmpdir: true, extraRoot: true, git: false, codex: false, read: true, network: true },
  );
});
