// Full-text search over a home's threads: SQLite FTS5 with the trigram tokenizer, so a query is
// a literal, case-sensitive substring match (Codex's thread/list `searchTerm` semantics) answered
// from an index instead of by scanning every title.
//
// The text lives in documents: one row of `search_docs` (thread, kind, ordinal) per searchable
// text, whose `doc_id` is the rowid of its text in `search_text`. thread/list searches the title
// documents ('preview', 'name'); a later thread/search over every message adds 'message'
// documents (one per message, by ordinal) to the same tables and queries them with another kind.
// `search_text` is contentless (the titles are already in `threads`): it holds only the index.
import type Database from "better-sqlite3";

export type SearchDocKind = "preview" | "name";

export const SEARCH_SCHEMA = `
CREATE TABLE IF NOT EXISTS search_docs(
  doc_id INTEGER PRIMARY KEY,
  thread_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  ordinal INTEGER NOT NULL DEFAULT 0,
  UNIQUE(thread_id, kind, ordinal)
);
CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5(body, content='', contentless_delete=1, tokenize='trigram case_sensitive 1');
`;

export const SEARCH_CLEAR_SQL = "DROP TABLE IF EXISTS search_docs; DROP TABLE IF EXISTS search_text;";

/** Trigrams need three characters: a shorter term cannot use the index (the caller scans). */
export function indexableTerm(term: string): boolean {
  return [...term].length >= 3;
}

/** An FTS5 phrase matching `term` literally (a phrase of trigrams is a substring match). */
export function phraseQuery(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/**
 * SQL (and its arguments) selecting the ids of threads whose documents of `kinds` contain `term`;
 * `term` must be indexable.
 */
export function matchingThreadsSql(term: string, kinds: SearchDocKind[]): { sql: string; args: unknown[] } {
  return {
    sql: `SELECT d.thread_id FROM search_text s JOIN search_docs d ON d.doc_id = s.rowid WHERE search_text MATCH ? AND d.kind IN (${kinds.map(() => "?").join(",")})`,
    args: [phraseQuery(term), ...kinds],
  };
}

/** Writes and removes a thread's documents (prepared once per connection). */
export class SearchDocs {
  private readonly findDoc: Database.Statement;
  private readonly addDoc: Database.Statement;
  private readonly dropDoc: Database.Statement;
  private readonly threadDocs: Database.Statement;
  private readonly putText: Database.Statement;
  private readonly dropText: Database.Statement;

  constructor(db: Database.Database) {
    this.findDoc = db.prepare("SELECT doc_id FROM search_docs WHERE thread_id = ? AND kind = ? AND ordinal = 0");
    this.addDoc = db.prepare("INSERT INTO search_docs(thread_id, kind, ordinal) VALUES (?, ?, 0)");
    this.dropDoc = db.prepare("DELETE FROM search_docs WHERE doc_id = ?");
    this.threadDocs = db.prepare("SELECT doc_id FROM search_docs WHERE thread_id = ?").pluck();
    this.putText = db.prepare("INSERT INTO search_text(rowid, body) VALUES (?, ?)");
    this.dropText = db.prepare("DELETE FROM search_text WHERE rowid = ?");
  }

  /** Sets (or, for null or empty text, removes) one title document of a thread. */
  set(threadId: string, kind: SearchDocKind, text: string | null): void {
    const doc = this.findDoc.get(threadId, kind) as { doc_id: number } | undefined;
    if (doc) this.dropText.run(doc.doc_id);
    if (!text) {
      if (doc) this.dropDoc.run(doc.doc_id);
      return;
    }
    const id = doc ? doc.doc_id : Number(this.addDoc.run(threadId, kind).lastInsertRowid);
    this.putText.run(id, text);
  }

  /** Removes every document of a thread. */
  removeThread(threadId: string): void {
    for (const id of this.threadDocs.all(threadId) as number[]) {
      this.dropText.run(id);
      this.dropDoc.run(id);
    }
  }
}
