// Spool's own metadata of the threads its store writes: `<home>/spool/metadata.sqlite`, one row
// per thread holding what ThreadMetadataPatch sets (preview, model, updatedAt, recency, git, …).
//
// A row overlays what the index derives from the rollout: `set_bits` records which fields were
// written (by createThread for Spool's own threads: all of them; by patches: the patched ones), and
// only those override the derived values. A Codex thread Spool never patched has no row at all.
//
// It is a separate file from the index (`index.sqlite`) on purpose: the index is a cache of the
// JSONL that `spool index rebuild` (and an index version bump) throws away, while these rows are
// the literal patches the live layer applied, which no rollout line records. Names are not here:
// a name is history (thread_name_updated + session_index.jsonl) and is read from the index.
//
// The file is ATTACHed to the index's connection as `spool_meta`, so listing joins both in one
// query. Writes use synchronous=FULL: a patch is durable when updateThreadMetadata resolves.
import type Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Json } from "../../rollout/line.js";
import type { ThreadFields } from "../memory/semantics.js";

export const META_SCHEMA = "spool_meta";
export const metaPath = (home: string) => join(home, "spool", "metadata.sqlite");

export interface MetaRow {
  id: string;
  session_id: string;
  forked_from_id: string | null;
  parent_thread_id: string | null;
  preview: string;
  first_user_message: string | null;
  model_provider: string;
  model: string | null;
  reasoning_effort: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  recency_at_ms: number;
  archived_at_ms: number | null;
  cwd: string;
  cli_version: string;
  originator: string | null;
  source: string;
  thread_source: string | null;
  agent_nickname: string | null;
  agent_role: string | null;
  git_sha: string | null;
  git_branch: string | null;
  git_origin_url: string | null;
  history_mode: string;
  tokens_used: number;
  set_bits: number;
}

/** Bit of each metadata field in `set_bits`. */
export const FIELD_BITS: Record<keyof ThreadFields, number> = {
  sessionId: 1 << 0,
  forkedFromId: 1 << 1,
  parentThreadId: 1 << 2,
  preview: 1 << 3,
  firstUserMessage: 1 << 4,
  modelProvider: 1 << 5,
  model: 1 << 6,
  reasoningEffort: 1 << 7,
  createdAtMs: 1 << 8,
  updatedAtMs: 1 << 9,
  recencyAtMs: 1 << 10,
  archivedAtMs: 1 << 11,
  cwd: 1 << 12,
  cliVersion: 1 << 13,
  originator: 1 << 14,
  source: 1 << 15,
  threadSource: 1 << 16,
  agentNickname: 1 << 17,
  agentRole: 1 << 18,
  gitInfo: 1 << 19,
  historyMode: 1 << 20,
  tokensUsed: 1 << 21,
};
export const ALL_BITS = Object.values(FIELD_BITS).reduce((a, b) => a | b, 0);

export interface MetaEntry {
  fields: ThreadFields;
  bits: number;
}

/** The derived fields with the row's written fields laid over them. */
export function overlay(derived: ThreadFields, entry: MetaEntry | null): ThreadFields {
  if (!entry) return derived;
  const out = { ...derived } as Record<string, unknown>;
  const from = entry.fields as unknown as Record<string, unknown>;
  for (const [k, bit] of Object.entries(FIELD_BITS)) if (entry.bits & bit) out[k] = from[k];
  return out as unknown as ThreadFields;
}

const COLUMNS: Array<[keyof MetaRow, string]> = [
  ["id", "TEXT PRIMARY KEY"],
  ["session_id", "TEXT NOT NULL"],
  ["forked_from_id", "TEXT"],
  ["parent_thread_id", "TEXT"],
  ["preview", "TEXT NOT NULL"],
  ["first_user_message", "TEXT"],
  ["model_provider", "TEXT NOT NULL"],
  ["model", "TEXT"],
  ["reasoning_effort", "TEXT"],
  ["created_at_ms", "INTEGER NOT NULL"],
  ["updated_at_ms", "INTEGER NOT NULL"],
  ["recency_at_ms", "INTEGER NOT NULL"],
  ["archived_at_ms", "INTEGER"],
  ["cwd", "TEXT NOT NULL"],
  ["cli_version", "TEXT NOT NULL"],
  ["originator", "TEXT"],
  ["source", "TEXT NOT NULL"],
  ["thread_source", "TEXT"],
  ["agent_nickname", "TEXT"],
  ["agent_role", "TEXT"],
  ["git_sha", "TEXT"],
  ["git_branch", "TEXT"],
  ["git_origin_url", "TEXT"],
  ["history_mode", "TEXT NOT NULL"],
  ["tokens_used", "INTEGER NOT NULL"],
  ["set_bits", "INTEGER NOT NULL"],
];

export function fieldsToRow(id: string, f: ThreadFields, bits: number): MetaRow {
  return {
    set_bits: bits,
    id,
    session_id: f.sessionId,
    forked_from_id: f.forkedFromId,
    parent_thread_id: f.parentThreadId,
    preview: f.preview,
    first_user_message: f.firstUserMessage,
    model_provider: f.modelProvider,
    model: f.model,
    reasoning_effort: f.reasoningEffort,
    created_at_ms: f.createdAtMs,
    updated_at_ms: f.updatedAtMs,
    recency_at_ms: f.recencyAtMs,
    archived_at_ms: f.archivedAtMs,
    cwd: f.cwd,
    cli_version: f.cliVersion,
    originator: f.originator,
    source: JSON.stringify(f.source),
    thread_source: f.threadSource,
    agent_nickname: f.agentNickname,
    agent_role: f.agentRole,
    git_sha: f.gitInfo?.sha ?? null,
    git_branch: f.gitInfo?.branch ?? null,
    git_origin_url: f.gitInfo?.originUrl ?? null,
    history_mode: f.historyMode,
    tokens_used: f.tokensUsed,
  };
}

export function rowToFields(r: MetaRow): ThreadFields {
  const git = r.git_sha !== null || r.git_branch !== null || r.git_origin_url !== null ? { sha: r.git_sha, branch: r.git_branch, originUrl: r.git_origin_url } : null;
  return {
    sessionId: r.session_id,
    forkedFromId: r.forked_from_id,
    parentThreadId: r.parent_thread_id,
    preview: r.preview,
    firstUserMessage: r.first_user_message,
    modelProvider: r.model_provider,
    model: r.model,
    reasoningEffort: r.reasoning_effort,
    createdAtMs: r.created_at_ms,
    updatedAtMs: r.updated_at_ms,
    recencyAtMs: r.recency_at_ms,
    archivedAtMs: r.archived_at_ms,
    cwd: r.cwd,
    cliVersion: r.cli_version,
    originator: r.originator,
    source: JSON.parse(r.source) as Json,
    threadSource: r.thread_source,
    agentNickname: r.agent_nickname,
    agentRole: r.agent_role,
    gitInfo: git,
    historyMode: r.history_mode === "paginated" ? "paginated" : "legacy",
    tokensUsed: r.tokens_used,
  };
}

export class MetaStore {
  private readonly getStmt: Database.Statement;
  private readonly putStmt: Database.Statement;
  private readonly delStmt: Database.Statement;

  /** Attaches `<home>/spool/metadata.sqlite` (or an in-memory database) to `db` as `spool_meta`. */
  constructor(
    readonly db: Database.Database,
    home: string,
    opts: { memory?: boolean } = {},
  ) {
    const attached = (db.prepare("PRAGMA database_list").all() as Array<{ name: string }>).some((d) => d.name === META_SCHEMA);
    if (!attached) {
      const file = opts.memory ? ":memory:" : metaPath(home);
      if (!opts.memory) mkdirSync(join(home, "spool"), { recursive: true });
      db.prepare(`ATTACH DATABASE ? AS ${META_SCHEMA}`).run(file);
      if (!opts.memory) {
        db.pragma(`${META_SCHEMA}.journal_mode = WAL`);
        db.pragma(`${META_SCHEMA}.synchronous = FULL`);
      }
      db.exec(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.thread_meta(${COLUMNS.map(([c, t]) => `${c} ${t}`).join(", ")})`);
    }
    const cols = COLUMNS.map(([c]) => c);
    this.getStmt = db.prepare(`SELECT * FROM ${META_SCHEMA}.thread_meta WHERE id = ?`);
    this.putStmt = db.prepare(`INSERT OR REPLACE INTO ${META_SCHEMA}.thread_meta(${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`);
    this.delStmt = db.prepare(`DELETE FROM ${META_SCHEMA}.thread_meta WHERE id = ?`);
  }

  get(id: string): MetaEntry | null {
    const r = this.getStmt.get(id) as MetaRow | undefined;
    return r ? { fields: rowToFields(r), bits: r.set_bits } : null;
  }

  put(id: string, fields: ThreadFields, bits: number): void {
    this.putStmt.run(fieldsToRow(id, fields, bits));
  }

  /** Read-modify-write under SQLite's write lock (atomic across processes). `fn` returning null writes nothing. */
  update(id: string, fn: (cur: MetaEntry | null) => MetaEntry | null): MetaEntry | null {
    const tx = this.db.transaction(() => {
      const next = fn(this.get(id));
      if (next) this.put(id, next.fields, next.bits);
      return next;
    });
    return tx.immediate();
  }

  delete(id: string): void {
    this.delStmt.run(id);
  }
}
