// `spool index rebuild`: drop Spool's index and derive it again from the JSONL files, with a
// progress bar on stderr when it is a terminal (stdout keeps the one-line summary).
import cliProgress from "cli-progress";
import { indexPath } from "../store/local/index-db.js";
import { removeSqliteFiles } from "../util/sqlite.js";
import { HomeIndex } from "../store/local/home-index.js";
import { loadConfig } from "../config/config.js";

export async function runIndexRebuild(home: string): Promise<void> {
  const file = indexPath(home);
  removeSqliteFiles(file);
  const index = new HomeIndex({ home, defaultProvider: loadConfig(home).modelProvider, watch: false });
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: "indexing {bar} {percentage}% | {value}/{total} rollouts | ETA {eta}s", etaBuffer: 200, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = performance.now();
  try {
    const stats = await index.sync({
      onProgress: ({ done, total }) => {
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
    });
    bar.stop();
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`rebuilt ${file}: ${stats.files} rollouts, ${stats.scanned} scanned in ${secs} s, ${stats.malformedLines} malformed lines skipped\n`);
  } finally {
    bar.stop();
    index.close();
  }
}
