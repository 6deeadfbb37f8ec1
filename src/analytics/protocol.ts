// The typed JSON-RPC traffic analytics looks at, in both directions:
//
//   ClientRequest / ClientResponse   client -> server requests and the server's answers to them
//   ServerRequest / ServerResponse   server -> client requests (approvals, user input) and the
//                                    client's answers, where a ServerResponse is decoded from the
//                                    raw JSON-RPC `result` by the stored typed ServerRequest it
//                                    answers (a bare `{id, result}` says nothing about its shape)
//
// Only the methods analytics uses are typed, and only the fields it reads are kept: decoding
// copies a handful of scalars, never prompts, command text or file contents, so a decoded value
// is cheap to queue and safe to hold. Everything else decodes to `null` and is not tracked.
export type RequestId = string | number;

/** The part of a v2 `UserInput` analytics keeps: its kind (`text`, `image`, `localImage`…). */
export interface UserInputKind {
  type: string;
}

// ---------------------------------------------------------------- client -> server

export type ClientRequest =
  | { method: "turn/start"; params: { threadId: string; input: UserInputKind[] } }
  | { method: "turn/steer"; params: { threadId: string; expectedTurnId: string | null; input: UserInputKind[] } }
  | { method: "turn/interrupt"; params: { threadId: string; turnId: string } };

export type ClientRequestMethod = ClientRequest["method"];

/** The Thread fields analytics reads from a thread/start, thread/resume or thread/fork answer. */
export interface ThreadSummary {
  id: string;
  sessionId: string;
  /** v2 SessionSource: "cli" | "vscode" | "exec" | "appServer" | {subAgent: …} | {custom: …} | "unknown". */
  source: unknown;
  /** v2 ThreadSource: user | subagent | memory_consolidation | a feature's own label. */
  threadSource: string | null;
  parentThreadId: string | null;
  forkedFromId: string | null;
  ephemeral: boolean;
  /** Seconds. */
  createdAt: number;
  model: string | null;
  modelProvider: string | null;
  originator: string | null;
}

/** A thread/start, thread/resume or thread/fork answer: the thread plus its effective settings. */
export interface ThreadSessionResult {
  thread: ThreadSummary;
  model: string | null;
  modelProvider: string | null;
  serviceTier: string | null;
  approvalPolicy: unknown;
  approvalsReviewer: string | null;
  /** v2 SandboxPolicy, tagged by `type`. */
  sandbox: { type: string; networkAccess?: unknown } | null;
  reasoningEffort: string | null;
}

export type ClientResponse =
  | { method: "thread/start" | "thread/resume" | "thread/fork"; result: ThreadSessionResult }
  | { method: "turn/start"; result: { turn: { id: string } } }
  | { method: "turn/steer"; result: { turnId: string } }
  | { method: "turn/interrupt"; result: Record<string, never> };

/** Why a turn/steer (or turn/start) was refused, when the server knows it in typed form. */
export type ClientErrorType =
  | "no_active_turn"
  | "expected_turn_mismatch"
  | "non_steerable_review"
  | "non_steerable_compact"
  | "empty_input"
  | "input_too_large";

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

// ---------------------------------------------------------------- server -> client

/** The fields every approval request shares (v2 `*RequestApprovalParams`). */
export interface ApprovalTarget {
  threadId: string;
  turnId: string;
  itemId: string;
  /** When the item the approval is about started (ms); null when the request does not say. */
  startedAtMs: number | null;
}

export type ServerRequest =
  | {
      method: "item/commandExecution/requestApproval";
      id: RequestId;
      params: ApprovalTarget & { networkApproval: boolean; additionalPermissions: boolean };
    }
  | { method: "item/fileChange/requestApproval"; id: RequestId; params: ApprovalTarget }
  | { method: "item/permissions/requestApproval"; id: RequestId; params: ApprovalTarget }
  | { method: "item/tool/requestUserInput"; id: RequestId; params: ApprovalTarget & { questionCount: number } };

export type ServerRequestMethod = ServerRequest["method"];

/** Command and file-change decisions; object decisions keep their tag only. */
export type ApprovalDecision =
  | "accept"
  | "acceptForSession"
  | "decline"
  | "cancel"
  | { acceptWithExecpolicyAmendment: true }
  | { applyNetworkPolicyAmendment: { action: "allow" | "deny" | null } };

export type ServerResponse =
  | { method: "item/commandExecution/requestApproval"; id: RequestId; result: { decision: ApprovalDecision } }
  | { method: "item/fileChange/requestApproval"; id: RequestId; result: { decision: ApprovalDecision } }
  | { method: "item/permissions/requestApproval"; id: RequestId; result: { granted: boolean; scope: "turn" | "session" } }
  | { method: "item/tool/requestUserInput"; id: RequestId; result: { answerCount: number } };

// ---------------------------------------------------------------- decoding helpers

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function inputKinds(v: unknown): UserInputKind[] | null {
  if (!Array.isArray(v)) return null;
  return v.map((i) => ({ type: isObj(i) && typeof i.type === "string" ? i.type : "unknown" }));
}

/** Counts the image inputs (`image` and `localImage`) of a turn's input. */
export function countInputImages(input: UserInputKind[]): number {
  let n = 0;
  for (const i of input) if (i.type === "image" || i.type === "localImage") n++;
  return n;
}

/** A client request analytics follows, or null (any other method, or params it cannot read). */
export function decodeClientRequest(method: string, params: unknown): ClientRequest | null {
  if (!isObj(params)) return null;
  const threadId = str(params.threadId);
  if (threadId === null) return null;
  switch (method) {
    case "turn/start": {
      const input = inputKinds(params.input);
      return input ? { method, params: { threadId, input } } : null;
    }
    case "turn/steer": {
      const input = inputKinds(params.input);
      return input ? { method, params: { threadId, expectedTurnId: str(params.expectedTurnId), input } } : null;
    }
    case "turn/interrupt": {
      const turnId = str(params.turnId);
      return turnId !== null ? { method, params: { threadId, turnId } } : null;
    }
    default:
      return null;
  }
}

function decodeThreadSummary(t: unknown): ThreadSummary | null {
  if (!isObj(t)) return null;
  const id = str(t.id);
  if (id === null) return null;
  return {
    id,
    sessionId: str(t.sessionId) ?? id,
    source: t.source ?? null,
    threadSource: str(t.threadSource),
    parentThreadId: str(t.parentThreadId),
    forkedFromId: str(t.forkedFromId),
    ephemeral: t.ephemeral === true,
    createdAt: num(t.createdAt) ?? 0,
    model: str(t.model),
    modelProvider: str(t.modelProvider),
    originator: str(t.originator),
  };
}

/** The answer to a client request analytics follows, or null. */
export function decodeClientResponse(method: string, result: unknown): ClientResponse | null {
  if (!isObj(result)) return null;
  switch (method) {
    case "thread/start":
    case "thread/resume":
    case "thread/fork": {
      const thread = decodeThreadSummary(result.thread);
      if (!thread) return null;
      const sandbox = isObj(result.sandbox) && typeof result.sandbox.type === "string" ? { type: result.sandbox.type, networkAccess: result.sandbox.networkAccess } : null;
      return {
        method,
        result: {
          thread,
          model: str(result.model),
          modelProvider: str(result.modelProvider),
          serviceTier: str(result.serviceTier),
          approvalPolicy: result.approvalPolicy ?? null,
          approvalsReviewer: str(result.approvalsReviewer),
          sandbox,
          reasoningEffort: str(result.reasoningEffort),
        },
      };
    }
    case "turn/start": {
      const id = isObj(result.turn) ? str(result.turn.id) : null;
      return id !== null ? { method, result: { turn: { id } } } : null;
    }
    case "turn/steer": {
      const turnId = str(result.turnId);
      return turnId !== null ? { method, result: { turnId } } : null;
    }
    case "turn/interrupt":
      return { method, result: {} };
    default:
      return null;
  }
}

function approvalTarget(p: Record<string, unknown>): ApprovalTarget | null {
  const threadId = str(p.threadId);
  const turnId = str(p.turnId);
  const itemId = str(p.itemId) ?? str(p.callId);
  if (threadId === null || turnId === null || itemId === null) return null;
  return { threadId, turnId, itemId, startedAtMs: num(p.startedAtMs) };
}

/** A server request analytics follows (approvals and user input), or null. */
export function decodeServerRequest(id: RequestId, method: string, params: unknown): ServerRequest | null {
  if (!isObj(params)) return null;
  const target = approvalTarget(params);
  if (!target) return null;
  switch (method) {
    case "item/commandExecution/requestApproval":
      return {
        method,
        id,
        params: { ...target, networkApproval: params.networkApprovalContext != null, additionalPermissions: params.additionalPermissions != null },
      };
    case "item/fileChange/requestApproval":
    case "item/permissions/requestApproval":
      return { method, id, params: target };
    case "item/tool/requestUserInput":
      return { method, id, params: { ...target, questionCount: Array.isArray(params.questions) ? params.questions.length : 0 } };
    default:
      return null;
  }
}

function decodeDecision(d: unknown): ApprovalDecision | null {
  if (d === "accept" || d === "acceptForSession" || d === "decline" || d === "cancel") return d;
  if (isObj(d)) {
    if ("acceptWithExecpolicyAmendment" in d) return { acceptWithExecpolicyAmendment: true };
    if ("applyNetworkPolicyAmendment" in d) {
      const inner = isObj(d.applyNetworkPolicyAmendment) ? d.applyNetworkPolicyAmendment : {};
      const amendment = isObj(inner.network_policy_amendment) ? inner.network_policy_amendment : isObj(inner.networkPolicyAmendment) ? inner.networkPolicyAmendment : {};
      const action = amendment.action === "allow" || amendment.action === "deny" ? amendment.action : null;
      return { applyNetworkPolicyAmendment: { action } };
    }
  }
  return null;
}

export type ServerResponseDecode = { ok: true; response: ServerResponse } | { ok: false; reason: string };

/**
 * Decodes the client's `result` for `request` into the typed response of that request's method.
 * The JSON-RPC response carries only `{id, result}`: the stored typed request is what says which
 * shape the result has.
 */
export function serverResponseFromResult(request: ServerRequest, result: unknown): ServerResponseDecode {
  const bad = (what: string): ServerResponseDecode => ({ ok: false, reason: `${request.method} ${String(request.id)}: ${what}` });
  if (!isObj(result)) return bad("result is not an object");
  switch (request.method) {
    case "item/commandExecution/requestApproval":
    case "item/fileChange/requestApproval": {
      const decision = decodeDecision(result.decision);
      if (!decision) return bad(`unknown decision ${JSON.stringify(result.decision)}`);
      if (request.method === "item/fileChange/requestApproval" && typeof decision === "object") return bad("file changes take string decisions only");
      return { ok: true, response: { method: request.method, id: request.id, result: { decision } } };
    }
    case "item/permissions/requestApproval": {
      const perms = result.permissions;
      const granted = isObj(perms) ? Object.values(perms).some((v) => v !== null && v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0) && !(isObj(v) && Object.keys(v).length === 0)) : false;
      const scope = result.scope === "session" ? "session" : "turn";
      return { ok: true, response: { method: request.method, id: request.id, result: { granted, scope } } };
    }
    case "item/tool/requestUserInput": {
      if (!isObj(result.answers)) return bad("answers is not an object");
      return { ok: true, response: { method: request.method, id: request.id, result: { answerCount: Object.keys(result.answers).length } } };
    }
  }
}
