// `spool index rebuild`: drop Spool's index and derive it again from the JSONL files.
import { indexPath } from "../store/local/index-db.js";
import { removeSqliteFiles } from "../util/sqlite.js";
import { HomeIndex } from "../store/local/home-index.js";
import { loadConfig } from "../config/config.js";

export async function runIndexRebuild(home: string): Promise<void> {
  const file = indexPath(home);
  removeSqliteFiles(file);
  const index = new HomeIndex({ home, defaultProvider: loadConfig(home).modelProvider });
  const stats = await index.sync();
  index.close();
  process.stdout.write(`rebuilt ${file}: ${stats.files} rollouts, ${stats.scanned} scanned, ${stats.malformedLines} malformed lines skipped\n`);
}
