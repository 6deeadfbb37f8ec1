// What a running turn reports for analytics besides its notifications (AgentSessionOptions
// .onTelemetry): each model request (when it was sent, when it ended, the response id and the
// tool calls it asked for), each function call the tools ran (name, times, whether it succeeded)
// and why a turn failed. Nothing here goes to clients; it only carries what the notifications do
// not (Codex's analytics correlate tool calls with the responses around them, and time a turn).
import type { Json } from "../rollout/line.js";

interface TurnRef {
  threadId: string;
  turnId: string;
}

export type TurnTelemetry =
  /** A turn began; `trigger` says why when the server started it itself (a goal continuation: `goal`). */
  | (TurnRef & { type: "turnStarted"; trigger: string | null })
  /** A model request was sent; `attempt` > 0 re-sends one whose stream broke. */
  | (TurnRef & { type: "samplingStarted"; atMs: number; attempt: number })
  /** The request's response ended: completed (with its id and the calls it asked for) or not. */
  | (TurnRef & { type: "samplingEnded"; atMs: number; ok: boolean; responseId: string | null; callIds: string[] })
  | (TurnRef & { type: "toolCallStarted"; atMs: number; callId: string; name: string })
  | (TurnRef & { type: "toolCallEnded"; atMs: number; callId: string; name: string; success: boolean })
  /** A compaction replaced the conversation (manual: thread/compact/start; auto: the context was full). */
  | (TurnRef & { type: "compacted"; trigger: "manual" | "auto"; tokensBefore: number; startedAtMs: number; completedAtMs: number })
  /** The model error that failed the turn (its CodexErrorInfo and HTTP status, when it had one). */
  | (TurnRef & { type: "turnFailed"; codexErrorInfo: Json; httpStatus: number | null });

export type TurnTelemetrySink = (t: TurnTelemetry) => void;
