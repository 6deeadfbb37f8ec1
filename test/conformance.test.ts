// Conformance: Spool answers every golden request of a real Codex home exactly as Codex did
// (except per-machine fields), with and without Codex's SQLite files, and every answer
// validates against the official schema generated from the pinned Codex binary.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { copyCorpusHome, replayGoldens } from "./helpers/compare.js";
import { corpusFixtureDir } from "./helpers/paths.js";
import { startSpool } from "./helpers/spool.js";
import { validateResponse } from "./helpers/schema.js";

const legacyRoot = path.join(path.dirname(corpusFixtureDir()), "legacy");
const fixtures = [corpusFixtureDir()];
if (fs.existsSync(legacyRoot)) {
  for (const d of fs.readdirSync(legacyRoot).sort()) {
    const dir = path.join(legacyRoot, d);
    if (fs.existsSync(path.join(dir, "golden", "final"))) fixtures.push(dir);
  }
}

const homes: string[] = [];
after(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

for (const fixture of fixtures) {
  for (const filesOnly of [false, true]) {
    const label = `${path.basename(fixture)}${filesOnly ? " (JSONL only, Codex sqlite deleted)" : ""}`;
    test(`goldens of ${label} match Codex field for field`, async () => {
      const home = copyCorpusHome(fixture, { filesOnly });
      homes.push(home);
      const client = startSpool(home);
      try {
        await client.initialize("conformance");
        const outcomes = await replayGoldens(client, fixture);
        const failed = outcomes.filter((o) => !o.ok);
        const report = failed.map((o) => `${o.file}:\n  ${o.diffs.slice(0, 6).join("\n  ")}`).join("\n");
        assert.equal(failed.length, 0, `${failed.length}/${outcomes.length} goldens differ:\n${report}`);
        for (const o of outcomes) {
          if (o.got && !("error" in o.got)) {
            const errors = validateResponse(o.method, o.got);
            assert.deepEqual(errors, [], `${o.file}: ${o.method} answer does not validate: ${errors.join("; ")}`);
          }
        }
      } finally {
        await client.close();
      }
    });
  }
}
