// The config layers behind config/read and configWarning, on their own: layer fingerprints, the
// system layer under the user's, and the positions of invalid values. Expected values are Codex
// 0.169.0's answers recorded from the binary (layer versions, warning details and ranges).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { layerVersion, originsOf, readLayers } from "../src/config/layers.js";
import { effectiveConfig } from "../src/config/effective.js";
import { diagnoseConfig } from "../src/config/diagnostics.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "spool-config-layers-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

test("a layer's version is Codex's fingerprint of its table", () => {
  assert.equal(layerVersion({}), "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  assert.equal(layerVersion({ model: "m1" }), "sha256:18eea532005374fa06577b85f8b5989f43c09ed6a2b039804c608b8aa5b192d3");
});

test("the system layer lies under the user's: the user wins, origins name the layer that set each key", () => {
  const home = path.join(root, "home");
  fs.mkdirSync(home);
  fs.writeFileSync(path.join(home, "config.toml"), 'model = "user-model"\n');
  const system = path.join(root, "system.toml");
  fs.writeFileSync(system, 'model = "system-model"\napproval_policy = "never"\n');
  const layers = readLayers(home, system);
  assert.deepEqual(
    layers.map((l) => l.name.type),
    ["user", "system"],
  );
  const config = effectiveConfig(layers);
  assert.equal(config.model, "user-model");
  assert.equal(config.approval_policy, "never");
  const origins = originsOf(layers);
  assert.equal(origins.model.name.type, "user");
  assert.equal(origins.approval_policy.name.type, "system");
});

test("an invalid value is located like Codex locates it", () => {
  const file = "/h/config.toml";
  const d = diagnoseConfig(file, 'model_provider = "p"\nsandbox_mode = "nope"\n');
  assert.deepEqual(d.invalid?.warning, {
    summary: "Invalid configuration; using defaults.",
    details: "/h/config.toml:2:16: unknown variant `nope`, expected one of `read-only`, `workspace-write`, `danger-full-access`",
    path: file,
    range: { start: { line: 2, column: 16 }, end: { line: 2, column: 21 } },
  });
  assert.equal(d.invalid?.readError, "invalid configuration: unknown variant `nope`, expected one of `read-only`, `workspace-write`, `danger-full-access`\nin `sandbox_mode`\n");
  assert.deepEqual(diagnoseConfig(file, null), { invalid: null, warnings: [] });
  assert.deepEqual(diagnoseConfig(file, 'model = "m"\n'), { invalid: null, warnings: [] });
});
