// A StoredThread of the local store: what the rollout says (the index row's derived metadata),
// overlaid with the fields patches set (the metadata entry, see meta-db.ts), and which overlay
// bits a patch sets.
import type { ThreadFields } from "../memory/semantics.js";
import type { StoredThread, ThreadMetadataPatch } from "../types.js";
import { gitInfoOf } from "../thread-columns.js";
import { metaFromRow, type IndexRow } from "./index-db.js";
import { FIELD_BITS, overlay, type MetaEntry } from "./meta-db.js";

const PATCH_BITS: Record<string, number> = { ...FIELD_BITS, advanceRecencyAtMs: FIELD_BITS.recencyAtMs };

/** The overlay bits of the fields a patch sets (a name is history, not metadata: no bit). */
export function patchBits(patch: ThreadMetadataPatch): number {
  let bits = 0;
  for (const [k, v] of Object.entries(patch)) if (v !== undefined && k !== "name") bits |= PATCH_BITS[k] ?? 0;
  return bits;
}

/** What the rollout says (the index's derived metadata), as store fields. */
export function derivedFields(row: IndexRow, defaultProvider: string): ThreadFields {
  const m = metaFromRow(row);
  return {
    sessionId: m.sessionId || row.id,
    forkedFromId: m.forkedFromId,
    parentThreadId: m.parentThreadId,
    preview: m.preview,
    firstUserMessage: m.hasUserEvent ? m.preview : null,
    modelProvider: m.modelProvider ?? defaultProvider,
    model: m.model,
    reasoningEffort: m.reasoningEffort,
    createdAtMs: m.createdAtMs,
    updatedAtMs: row.updated_at_ms,
    recencyAtMs: row.recency_at_ms ?? row.updated_at_ms,
    archivedAtMs: row.archived ? row.file_mtime_ms : null,
    cwd: m.cwd,
    cliVersion: m.cliVersion,
    originator: m.originator,
    source: m.source,
    threadSource: m.threadSource,
    agentNickname: m.agentNickname,
    agentRole: m.agentRole,
    gitInfo: gitInfoOf(m.gitSha, m.gitBranch, m.gitOriginUrl),
    historyMode: m.historyMode,
    tokensUsed: m.tokensUsed,
  };
}

/** The thread an index row and its metadata entry (if any) describe. */
export function storedThread(row: IndexRow, entry: MetaEntry | null, defaultProvider: string): StoredThread {
  const fields = overlay(derivedFields(row, defaultProvider), entry);
  // the file's place is the truth about archiving; the row only remembers when
  fields.archivedAtMs = row.archived ? (entry && entry.bits & FIELD_BITS.archivedAtMs && entry.fields.archivedAtMs !== null ? entry.fields.archivedAtMs : row.file_mtime_ms) : null;
  return { threadId: row.id, rolloutPath: row.path, name: row.name, ...fields };
}
