// `spool projections rebuild`: drop Spool's projection store and derive it again from the JSONL.
import { projectionsPath, removeProjections } from "../projections/db.js";
import { Projector } from "../projections/projector.js";

export async function runProjectionsRebuild(home: string): Promise<void> {
  removeProjections(home);
  const started = Date.now();
  const projector = new Projector({ home, warn: (m) => process.stderr.write(`spool: ${m}\n`) });
  try {
    const stats = await projector.syncHome();
    const secs = (Date.now() - started) / 1000;
    process.stdout.write(`rebuilt ${projectionsPath(home)}: ${stats.threads} threads, ${stats.lines} lines, ${(stats.bytes / 1048576).toFixed(1)} MB in ${secs.toFixed(1)} s\n`);
  } finally {
    projector.close();
  }
}
