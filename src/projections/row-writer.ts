// The projection reducer's writes: turn and item rows into the tables, each one also reported to
// the listener (the live observers), with the seq counters and the open-item set kept in step.
// Both history modes (legacy-mode.ts, paginated-mode.ts) write through one RowWriter.
import type { ThreadItem, TurnStatus } from "../protocol/v2.js";
import { LifecycleEvents } from "./lifecycle.js";
import type { CoreState } from "./resume-state.js";
import type { EventRow, ItemRow, ThreadTables, TurnRow } from "./tables.js";

/** One change to the projection tables, as the reducer makes it. */
export type ProjectionChange =
  | { kind: "item"; op: "upsert" | "tombstone"; row: ItemRow }
  | { kind: "turn"; op: "upsert" | "tombstone"; row: TurnRow }
  | { kind: "event"; event: EventRow };

const TOOL_KINDS = new Set(["commandExecution", "mcpToolCall", "dynamicToolCall", "collabAgentToolCall", "fileChange"]);

/** Whether an item can still change (Codex's projection observer's rule). */
export function isOpenItem(item: ThreadItem): boolean {
  if (TOOL_KINDS.has(item.type)) return item.status === "inProgress";
  if (item.type === "webSearch") return item.action === null || item.action === undefined;
  if (item.type === "imageGeneration") return item.status === "";
  return false;
}

function phaseOf(item: ThreadItem): string | null {
  if (item.type !== "agentMessage") return null;
  const p = item.phase;
  if (p === null || p === undefined) return null;
  return typeof p === "string" ? p : JSON.stringify(p);
}

export class RowWriter {
  /** items that can still change: seq -> itemId (the state's `openItems`, as a map while feeding) */
  readonly open: Map<number, string>;
  readonly events: LifecycleEvents;

  constructor(
    readonly db: ThreadTables,
    readonly s: CoreState,
    private readonly listener: ((c: ProjectionChange) => void) | null,
  ) {
    this.open = new Map(s.openItems);
    this.events = new LifecycleEvents(s, (e) => {
      db.putEvent(e);
      listener?.({ kind: "event", event: e });
    });
  }

  /** A new turn row with the next seq (not written yet). */
  newTurn(turnId: string, ordinal: number, status: TurnStatus): TurnRow {
    return {
      seq: this.s.nextTurnSeq++,
      turnId,
      rolloutOrdinal: ordinal,
      rootTurnId: null,
      status,
      error: null,
      startedAt: null,
      completedAt: null,
      durationMs: null,
      firstUserSeq: null,
      finalAgentSeq: null,
    };
  }

  putTurn(t: TurnRow): void {
    this.db.putTurn(t);
    this.listener?.({ kind: "turn", op: "upsert", row: t });
  }

  deleteTurn(t: TurnRow): void {
    this.db.deleteTurn(t.seq);
    this.listener?.({ kind: "turn", op: "tombstone", row: t });
  }

  putItem(seq: number, item: ThreadItem, turnId: string, turnSeq: number | null, ordinal: number): ItemRow {
    const row: ItemRow = {
      seq,
      itemId: item.id,
      turnId,
      turnSeq,
      rolloutOrdinal: ordinal,
      kind: item.type,
      phase: phaseOf(item),
      isOpen: isOpenItem(item),
      json: JSON.stringify(item),
    };
    this.db.putItem(row);
    if (row.isOpen) this.open.set(seq, row.itemId);
    else this.open.delete(seq);
    this.listener?.({ kind: "item", op: "upsert", row });
    return row;
  }

  deleteItem(row: ItemRow): void {
    this.db.deleteItem(row.seq);
    this.open.delete(row.seq);
    this.listener?.({ kind: "item", op: "tombstone", row });
  }
}
