// The PostgreSQL schema of PostgresThreadStore, created on open by numbered, idempotent
// migrations recorded in `spool_schema_version`. Opening runs them under a transaction-scoped
// advisory lock, so stores opening at once (several processes, one database) apply each
// migration exactly once.
//
// Every row carries a `namespace` (one Spool home or install), so several of them share a
// database without seeing each other; every key and index starts with it.
//
//  spool_threads        one row per thread: the StoredThread fields as columns, `source` as
//                       jsonb (plus its kind, derived once, for the sourceKinds filter), the
//                       archived flag and time, `materialized` (false until the first append or
//                       metadata write: a created thread is readable but not listed),
//                       `last_seq` (the seq of the thread's last rollout item; appends advance it
//                       under the row lock) and `writer_token` (the fencing token of the explicit
//                       writer, see writer-lifecycle.ts).
//  spool_rollout_items  the raw history: (namespace, thread_id, seq) -> item. seq 0 is the
//                       session_meta written at creation; seqs are dense. `item` is `json`, not
//                       `jsonb`: the rollout item is kept byte for byte (key order, and strings
//                       holding \u0000, which jsonb rejects: command output can contain NUL).
//
// Lists are keyset scans of (namespace, archived, <sort ms>, id) over materialized rows; ids
// and namespaces use the "C" collation so the database orders ids exactly as the other stores
// (JavaScript string order) do.
import type pg from "pg";
import { ThreadStoreError } from "../types.js";
import { advisoryKey } from "./locks.js";

export const THREADS = "spool_threads";
export const ITEMS = "spool_rollout_items";
export const VERSIONS = "spool_schema_version";

interface Migration {
  version: number;
  description: string;
  sql: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: "threads, rollout items, keyset list indexes",
    sql: [
      `CREATE TABLE ${THREADS} (
        namespace text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        session_id text NOT NULL,
        forked_from_id text,
        parent_thread_id text,
        preview text NOT NULL DEFAULT '',
        first_user_message text,
        name text,
        model_provider text NOT NULL,
        model text,
        reasoning_effort text,
        created_at_ms bigint NOT NULL,
        updated_at_ms bigint NOT NULL,
        recency_at_ms bigint NOT NULL,
        archived boolean NOT NULL DEFAULT false,
        archived_at_ms bigint,
        cwd text NOT NULL,
        cli_version text NOT NULL,
        originator text,
        source jsonb NOT NULL,
        source_kind text NOT NULL,
        thread_source text,
        agent_nickname text,
        agent_role text,
        git_sha text,
        git_branch text,
        git_origin_url text,
        history_mode text NOT NULL DEFAULT 'legacy',
        tokens_used bigint NOT NULL DEFAULT 0,
        materialized boolean NOT NULL DEFAULT false,
        last_seq bigint NOT NULL DEFAULT 0,
        writer_token uuid,
        PRIMARY KEY (namespace, id),
        CHECK (archived = (archived_at_ms IS NOT NULL))
      )`,
      `CREATE TABLE ${ITEMS} (
        namespace text COLLATE "C" NOT NULL,
        thread_id text COLLATE "C" NOT NULL,
        seq bigint NOT NULL,
        item json NOT NULL,
        PRIMARY KEY (namespace, thread_id, seq),
        FOREIGN KEY (namespace, thread_id) REFERENCES ${THREADS} (namespace, id) ON DELETE CASCADE
      )`,
      `CREATE INDEX spool_threads_list_created ON ${THREADS} (namespace, archived, created_at_ms, id) WHERE materialized`,
      `CREATE INDEX spool_threads_list_updated ON ${THREADS} (namespace, archived, updated_at_ms, id) WHERE materialized`,
      `CREATE INDEX spool_threads_list_recency ON ${THREADS} (namespace, archived, recency_at_ms, id) WHERE materialized`,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Brings the database to SCHEMA_VERSION; a database written by a newer Spool is refused. */
export async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query("BEGIN");
  try {
    // one migrator at a time across every process using this database
    await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [advisoryKey("schema")]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${VERSIONS} (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${VERSIONS}`);
    const current = rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new ThreadStoreError("internal", `the PostgreSQL schema is at version ${current}, newer than this Spool knows (${SCHEMA_VERSION}); upgrade Spool`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const sql of m.sql) await client.query(sql);
      await client.query(`INSERT INTO ${VERSIONS} (version, description) VALUES ($1, $2)`, [m.version, m.description]);
    }
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
}
