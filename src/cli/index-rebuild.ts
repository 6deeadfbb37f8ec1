// `spool index rebuild`: drop Spool's index and derive it again from the JSONL files.
import { rmSync } from "node:fs";
import { indexPath } from "../store/local/index-db.js";
import { HomeIndex } from "../store/local/home-index.js";
import { loadConfig } from "../config/config.js";

export async function runIndexRebuild(home: string): Promise<void> {
  const file = indexPath(home);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  const index = new HomeIndex({ home, defaultProvider: loadConfig(home).modelProvider });
  const stats = await index.sync();
  index.close();
  process.stdout.write(`rebuilt ${file}: ${stats.files} rollouts, ${stats.scanned} scanned, ${stats.malformedLines} malformed lines skipped\n`);
}
