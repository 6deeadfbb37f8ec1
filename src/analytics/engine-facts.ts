// Facts only the turn engine knows (through its telemetry, src/agent/telemetry.ts): why a turn
// started, its model requests (the responses tool events are correlated with, and the turn's
// timing profile), the function calls it ran (control tools have no item), why it failed.

/** Why the server started a turn itself (`goal` for a goal continuation); null for a client's turn. */
export interface TurnTriggerFact {
  kind: "turn_trigger";
  threadId: string;
  turnId: string;
  trigger: string | null;
}

/** A model request of a turn was sent (`attempt` > 0: re-sent after a broken stream). */
export interface SamplingStartedFact {
  kind: "sampling_started";
  threadId: string;
  turnId: string;
  atMs: number;
  attempt: number;
}

/** A model request's response ended; a completed one names its response and the calls it asked for. */
export interface SamplingEndedFact {
  kind: "sampling_ended";
  threadId: string;
  turnId: string;
  atMs: number;
  ok: boolean;
  responseId: string | null;
  callIds: string[];
}

/** A function call of a turn ran (started, then ended); control tools have no item of their own. */
export interface ToolCallFact {
  kind: "tool_call_started" | "tool_call_ended";
  threadId: string;
  turnId: string;
  atMs: number;
  callId: string;
  name: string;
  /** Only when ended. */
  success?: boolean;
}

/** The model error that failed a turn (its CodexErrorInfo, snake_case, and HTTP status). */
export interface TurnFailedFact {
  kind: "turn_failed";
  threadId: string;
  turnId: string;
  codexErrorInfo: unknown;
  httpStatus: number | null;
}
