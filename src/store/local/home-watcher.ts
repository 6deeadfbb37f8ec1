// Watches a home for changes to its rollouts and names, and remembers which files changed, so
// keeping the index current costs work per changed file, not per thread of the home.
//
// sessions/ and archived_sessions/ are watched with @parcel/watcher (inotify on Linux, one watch
// per directory): Node 20's recursive fs.watch polls every file on Linux (a stat timer per
// rollout: seconds of blocking start-up and ~4 KB per thread at 20,000 threads). The home
// directory itself is watched non-recursively for session_index.jsonl.
import watcher, { type AsyncSubscription, type Event } from "@parcel/watcher";
import { mkdirSync, watch, type FSWatcher } from "node:fs";
import { basename, join } from "node:path";
import { ARCHIVED_DIR, parseRolloutFileName, SESSION_INDEX_FILE, SESSIONS_DIR } from "../../rollout/layout.js";

/** What changed since the last `take()`. */
export interface HomeChanges {
  /** Rollout files created, changed or deleted (absolute paths). */
  files: Set<string>;
  /** Directories created under sessions/ (their files may have been created with them). */
  dirs: Set<string>;
  /** session_index.jsonl changed. */
  names: boolean;
  /** Something was missed (a watcher error, a directory deleted): everything must be re-checked. */
  rescan: boolean;
}

const noChanges = (): HomeChanges => ({ files: new Set(), dirs: new Set(), names: false, rescan: false });

export class HomeWatcher {
  private subs: AsyncSubscription[] = [];
  private homeWatch: FSWatcher | null = null;
  private pending = noChanges();
  private closed = false;

  constructor(
    private readonly home: string,
    private readonly warn: (msg: string) => void,
  ) {}

  /** Starts watching; resolves once events are being delivered. Rejects when the home cannot be watched. */
  async start(): Promise<void> {
    const dirs = [join(this.home, SESSIONS_DIR), join(this.home, ARCHIVED_DIR)];
    for (const d of dirs) mkdirSync(d, { recursive: true });
    this.homeWatch = watch(this.home, (_e, f) => {
      if (f === SESSION_INDEX_FILE) this.pending.names = true;
    });
    this.homeWatch.on("error", () => this.fail("the home directory watcher failed"));
    for (const d of dirs) {
      const sub = await watcher.subscribe(d, (err, events) => (err ? this.fail(err.message) : this.record(events)));
      if (this.closed) await sub.unsubscribe();
      else this.subs.push(sub);
    }
  }

  /** True while events are being delivered. */
  get active(): boolean {
    return this.subs.length === 2 && !this.closed;
  }

  /** The changes recorded since the last call, cleared. */
  take(): HomeChanges {
    const c = this.pending;
    this.pending = noChanges();
    return c;
  }

  /** Whether anything is waiting to be taken. */
  get dirty(): boolean {
    const p = this.pending;
    return p.files.size > 0 || p.dirs.size > 0 || p.names || p.rescan;
  }

  private record(events: Event[]): void {
    for (const e of events) {
      if (parseRolloutFileName(basename(e.path))) this.pending.files.add(e.path);
      else if (e.type === "create") this.pending.dirs.add(e.path);
      else if (e.type === "delete") this.pending.rescan = true; // a directory (and its rollouts) went away
    }
  }

  private fail(msg: string): void {
    this.warn(`watching ${this.home}: ${msg}; re-checking every rollout`);
    this.pending.rescan = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.homeWatch?.close();
    this.homeWatch = null;
    const subs = this.subs;
    this.subs = [];
    await Promise.all(subs.map((s) => s.unsubscribe().catch(() => {})));
  }
}
