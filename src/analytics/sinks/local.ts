// Local storage: one table in Spool's own SQLite under the home, `<home>/spool/analytics.sqlite`
// (WAL). On by default; nothing in it leaves the machine. `spool analytics events|report` read it.
//
//   events(seq, recorded_at_ms, occurred_at_ms, event_type, thread_id, turn_id, session_id, payload)
//
// `payload` is the event as sent over the wire (`{event_type, event_params}`, JSON);
// `recorded_at_ms` is when the fact that completed the event was tracked; `occurred_at_ms` is a
// tool item's completion or an archive's own time, else `recorded_at_ms`.
import Database from "better-sqlite3";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { eventIds, eventTimeMs, type TrackEvent } from "../events.js";
import type { AnalyticsSink, RecordedEvent } from "./sink.js";

export const analyticsDbPath = (home: string) => join(home, "spool", "analytics.sqlite");

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  recorded_at_ms INTEGER NOT NULL,
  occurred_at_ms INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  thread_id TEXT,
  turn_id TEXT,
  session_id TEXT,
  payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_time ON events(occurred_at_ms);
CREATE INDEX IF NOT EXISTS events_by_thread ON events(thread_id, seq);
CREATE INDEX IF NOT EXISTS events_by_type ON events(event_type, occurred_at_ms);
`;

/** Opens (creating if needed) the analytics database for writing. */
export function openAnalyticsDb(path: string): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 2000");
  db.pragma("synchronous = NORMAL");
  const v = db.pragma("user_version", { simple: true }) as number;
  if (v !== 0 && v !== SCHEMA_VERSION) throw new Error(`${path}: analytics schema version ${v} is not ${SCHEMA_VERSION}`);
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return db;
}

export class LocalSink implements AnalyticsSink {
  readonly name = "local";
  private readonly insert: Database.Statement;
  private readonly insertMany: (batch: RecordedEvent[]) => void;
  private written = 0;
  private failed = 0;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly onError: (e: Error) => void = () => {},
  ) {
    this.insert = db.prepare(
      "INSERT INTO events(recorded_at_ms, occurred_at_ms, event_type, thread_id, turn_id, session_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.insertMany = db.transaction((batch: RecordedEvent[]) => {
      for (const r of batch) {
        const ids = eventIds(r.event);
        this.insert.run(r.recordedAtMs, Math.round(eventTimeMs(r.event, r.recordedAtMs)), r.event.event_type, ids.threadId, ids.turnId, ids.sessionId, JSON.stringify(r.event));
      }
    });
  }

  /** Opens `<home>/spool/analytics.sqlite`. */
  static open(home: string, onError?: (e: Error) => void): LocalSink {
    return new LocalSink(openAnalyticsDb(analyticsDbPath(home)), onError);
  }

  write(batch: RecordedEvent[]): void {
    if (this.closed || batch.length === 0) return;
    try {
      this.insertMany(batch);
      this.written += batch.length;
    } catch (e) {
      // A locked or full disk loses these events, never the caller's turn.
      this.failed += batch.length;
      this.onError(e as Error);
    }
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  stats(): Record<string, number> {
    return { written: this.written, failed: this.failed };
  }
}

// ---------------------------------------------------------------- reading

export interface StoredEvent {
  seq: number;
  recordedAtMs: number;
  occurredAtMs: number;
  eventType: string;
  threadId: string | null;
  turnId: string | null;
  event: TrackEvent;
}

export interface EventFilter {
  /** Only events that occurred at or after this time (ms). */
  sinceMs?: number;
  eventType?: string;
  threadId?: string;
  /** The newest `limit` events (still printed oldest first). */
  limit?: number;
}

/** Opens the analytics database read-only, or null when there is none yet. */
export function openAnalyticsDbReadonly(home: string): Database.Database | null {
  const path = analyticsDbPath(home);
  if (!existsSync(path)) return null;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 2000");
  return db;
}

/** Events in the order they were recorded. */
export function readEvents(db: Database.Database, f: EventFilter = {}): StoredEvent[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.sinceMs !== undefined) {
    where.push("occurred_at_ms >= ?");
    args.push(Math.floor(f.sinceMs));
  }
  if (f.eventType) {
    where.push("event_type = ?");
    args.push(f.eventType);
  }
  if (f.threadId) {
    where.push("thread_id = ?");
    args.push(f.threadId);
  }
  const cond = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const sql = f.limit !== undefined ? `SELECT * FROM (SELECT * FROM events ${cond} ORDER BY seq DESC LIMIT ?) ORDER BY seq` : `SELECT * FROM events ${cond} ORDER BY seq`;
  if (f.limit !== undefined) args.push(f.limit);
  const rows = db.prepare(sql).all(...args) as Array<{
    seq: number;
    recorded_at_ms: number;
    occurred_at_ms: number;
    event_type: string;
    thread_id: string | null;
    turn_id: string | null;
    payload: string;
  }>;
  return rows.map((r) => ({
    seq: r.seq,
    recordedAtMs: r.recorded_at_ms,
    occurredAtMs: r.occurred_at_ms,
    eventType: r.event_type,
    threadId: r.thread_id,
    turnId: r.turn_id,
    event: JSON.parse(r.payload) as TrackEvent,
  }));
}
