// The Codex app-server v2 shapes Spool serves (threads, turns, items). Field order follows
// Codex's serializer so answers are byte-comparable; item payloads stay open JSON because Codex
// adds variants and fields often and Spool passes through what it reads.
import type { JsonObject } from "../rollout/line.js";

export type ThreadStatus =
  | { type: "notLoaded" }
  | { type: "idle" }
  | { type: "systemError" }
  | { type: "active"; activeFlags: Array<"waitingOnApproval" | "waitingOnUserInput"> };

export type TurnStatus = "completed" | "interrupted" | "failed" | "inProgress";
export type TurnItemsView = "notLoaded" | "summary" | "full";

export interface TurnError {
  message: string;
  codexErrorInfo: unknown;
  additionalDetails: string | null;
  misalignment?: unknown;
  [k: string]: unknown;
}

/** A ThreadItem: `{type, id, ...variant fields, startedAtMs?, completedAtMs?}`. */
export interface ThreadItem extends JsonObject {
  type: string;
  id: string;
}

export interface Turn {
  id: string;
  rootTurnId: string | null;
  items: ThreadItem[];
  itemsView: TurnItemsView;
  status: TurnStatus;
  error: TurnError | null;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
}

export interface GitInfo {
  sha: string | null;
  branch: string | null;
  originUrl: string | null;
}

export interface Thread {
  id: string;
  environments: unknown;
  extra: unknown;
  sessionId: string;
  forkedFromId: string | null;
  attachedToThreadId: string | null;
  parentThreadId: string | null;
  preview: string;
  ephemeral: boolean;
  section: unknown;
  sectionEnteredAt: number | null;
  projectId: string | null;
  historyMode: "legacy" | "paginated";
  modelProvider: string;
  model: string | null;
  reasoningEffort: string | null;
  createdAt: number;
  updatedAt: number;
  recencyAt: number | null;
  status: ThreadStatus;
  path: string | null;
  cwd: string;
  cliVersion: string;
  originator: string | null;
  source: unknown;
  canAcceptDirectInput: boolean | null;
  threadSource: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  gitInfo: GitInfo | null;
  name: string | null;
  daybreakEnabled: boolean | null;
  turns: Turn[];
}
