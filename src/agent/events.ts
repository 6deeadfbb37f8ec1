// What a running turn tells its caller: app-server v2 notifications, already in the shapes Codex
// 0.169.0 sends (method + params, minus the transport's `emittedAtMs`), and the approval requests
// it makes (the params of `item/commandExecution/requestApproval` and
// `item/fileChange/requestApproval`, with the decision the client answers).
import type { Json, JsonObject } from "../rollout/line.js";
import type { ThreadItem, Turn, TurnError } from "../protocol/v2.js";

export interface ThreadTokenUsage extends JsonObject {
  total: JsonObject;
  last: JsonObject;
  modelContextWindow: number | null;
}

export type TurnNotification =
  | { method: "turn/started"; params: { threadId: string; turn: Turn } }
  | { method: "turn/completed"; params: { threadId: string; turn: Turn } }
  | { method: "item/started"; params: { item: ThreadItem; threadId: string; turnId: string; startedAtMs: number } }
  | { method: "item/completed"; params: { item: ThreadItem; threadId: string; turnId: string; contentTokenCount: null; completedAtMs: number } }
  | { method: "item/agentMessage/delta"; params: { threadId: string; turnId: string; itemId: string; delta: string } }
  | { method: "item/reasoning/summaryPartAdded"; params: { threadId: string; turnId: string; itemId: string; summaryIndex: number } }
  | { method: "item/reasoning/summaryTextDelta"; params: { threadId: string; turnId: string; itemId: string; delta: string; summaryIndex: number } }
  | { method: "item/reasoning/textDelta"; params: { threadId: string; turnId: string; itemId: string; delta: string; contentIndex: number } }
  | { method: "item/commandExecution/outputDelta"; params: { threadId: string; turnId: string; itemId: string; delta: string } }
  | { method: "turn/diff/updated"; params: { threadId: string; turnId: string; diff: string } }
  | { method: "thread/tokenUsage/updated"; params: { threadId: string; turnId: string; tokenUsage: ThreadTokenUsage } }
  | { method: "error"; params: { error: TurnError; willRetry: boolean; threadId: string; turnId: string } };

export type TurnNotificationMethod = TurnNotification["method"];

/** The approval kinds: `item/<kind>/requestApproval`. */
export type ApprovalKind = "commandExecution" | "fileChange";

/** v2 CommandExecutionRequestApprovalParams (the fields Spool fills). */
export interface CommandApprovalParams extends JsonObject {
  threadId: string;
  turnId: string;
  itemId: string;
  startedAtMs: number;
  reason: string | null;
  command: string;
  cwd: string;
  commandActions: Json[];
  /** "command" (Codex also asks about network access, which Spool does not sandbox). */
  kind: string;
  environmentId: string;
  proposedExecpolicyAmendment: string[] | null;
  availableDecisions: Json[];
}

/** v2 FileChangeRequestApprovalParams. */
export interface FileChangeApprovalParams extends JsonObject {
  threadId: string;
  turnId: string;
  itemId: string;
  startedAtMs: number;
  reason: string | null;
  grantRoot: string | null;
}

/**
 * The client's answer. Object decisions (`{acceptWithExecpolicyAmendment: …}`) count as "accept".
 * decline: the tool reports the refusal to the model and the turn goes on; cancel: the turn is
 * interrupted.
 */
export type ApprovalDecision = "accept" | "acceptForSession" | "decline" | "cancel" | JsonObject;

export type ApprovalHandler = (
  kind: ApprovalKind,
  params: CommandApprovalParams | FileChangeApprovalParams,
  opts: { signal: AbortSignal },
) => Promise<ApprovalDecision>;

/** The server request method for an approval kind. */
export const approvalMethod = (kind: ApprovalKind) => `item/${kind}/requestApproval` as const;

/** Approvals remembered for the rest of the session ("acceptForSession"). */
export class SessionApprovals {
  readonly commands = new Set<string>();
  readonly paths = new Set<string>();
}
