// A scan worker: folds the rollouts it is sent with synchronous reads and builds their index rows
// (scan-pool.ts), so the cold build parses on every core and spends no promise round trips on
// each file's open/read/close, and the main thread only writes rows.
import { parentPort } from "node:worker_threads";
import { scanRolloutMetadataSync } from "./scan.js";
import { buildIndexRow } from "./index-rows.js";
import type { FoldJob, FoldReply } from "./scan-pool.js";

const buf = Buffer.allocUnsafe(256 * 1024);
parentPort!.on("message", (jobs: FoldJob[]) => {
  const replies: FoldReply[] = jobs.map((j) => {
    try {
      const r = scanRolloutMetadataSync(j.path, j.from, undefined, buf);
      if (!r.meta.id) r.meta.id = j.threadId;
      const row = buildIndexRow(r.meta, { path: j.path, archived: j.archived, size: j.size, mtime: j.mtime, offset: r.offset, lines: r.lines }, j.sessionName, j.defaultProvider);
      return { id: j.id, row, malformed: r.malformed };
    } catch (e) {
      return { id: j.id, error: (e as Error).message, code: (e as { code?: string }).code };
    }
  });
  parentPort!.postMessage(replies);
});
