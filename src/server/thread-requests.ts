// The server requests of one loaded thread (approvals, request_user_input): each gets an id from
// the server's counter and goes to every subscriber through the thread's ordered output; the
// first answer wins and is followed by `serverRequest/resolved`. Turn starts and ends cancel what
// is still pending (announced the same way); an unload drops them silently; a connection that
// rejoins gets the ones already sent replayed with the same ids.
import type { ApprovalDecision } from "../agent/index.js";
import type { Connection } from "./connection.js";
import type { PendingServerRequest, ServerRequests } from "./server-requests.js";

export const USER_INPUT_METHOD = "item/tool/requestUserInput";

type Answer = { result?: unknown; error?: unknown } | null;

/** What the broker needs from its thread. */
export interface ThreadRequestsHost {
  readonly threadId: string;
  readonly requests: ServerRequests;
  readonly subscribers: Iterable<Connection>;
  readonly tracker?: {
    trackServerRequest(connId: number, id: number, method: string, params: unknown, opts?: { replayed?: boolean }): void;
    trackServerRequestAborted(id: number): void;
  };
  /** Runs `fn` in the thread's output order (after everything queued before it). */
  inOrder(fn: () => void): void;
  /** Sends a notification to the thread's subscribers (call from inside `inOrder`). */
  toSubscribers(method: string, params: unknown): void;
  /** The number of pending requests changed (the thread's status may change). */
  pendingChanged(): void;
  /** A request was settled (the thread may go idle). */
  settled(): void;
}

export class ThreadRequests {
  private pending = 0;
  /** Requests already written to the subscribers (the ones a rejoining connection gets replayed). */
  private readonly sent = new Set<number>();

  constructor(private readonly host: ThreadRequestsHost) {}

  get pendingCount(): number {
    return this.pending;
  }

  /** Kinds of what is pending: a question for the user waits on user input, anything else on an approval. */
  waitingFlags(): Array<"waitingOnApproval" | "waitingOnUserInput"> {
    const pending = this.host.requests.forThread(this.host.threadId);
    const flags: Array<"waitingOnApproval" | "waitingOnUserInput"> = [];
    if (pending.some((r) => r.method !== USER_INPUT_METHOD) || pending.length === 0) flags.push("waitingOnApproval");
    if (pending.some((r) => r.method === USER_INPUT_METHOD)) flags.push("waitingOnUserInput");
    return flags;
  }

  /** A server request to every subscriber; resolves with the first answer, or null when it was cancelled (interrupt, turn end). */
  send(method: string, params: object, opts: { signal: AbortSignal }): Promise<Answer> {
    const { requests, tracker, threadId } = this.host;
    const id = requests.nextId();
    return new Promise((resolve) => {
      let settled = false;
      const onAbort = () => requests.take(id)?.settle(null);
      const req: PendingServerRequest = {
        id,
        threadId,
        method,
        params,
        settle: (answer) => {
          if (settled) return;
          settled = true;
          if (answer === null) tracker?.trackServerRequestAborted(id);
          this.sent.delete(id);
          opts.signal.removeEventListener("abort", onAbort);
          this.host.inOrder(() => this.host.toSubscribers("serverRequest/resolved", { threadId, requestId: id }));
          this.pending--;
          this.host.pendingChanged();
          resolve(answer);
          this.host.settled();
        },
      };
      if (opts.signal.aborted) return resolve(null);
      opts.signal.addEventListener("abort", onAbort, { once: true });
      requests.add(req);
      this.pending++;
      this.host.pendingChanged();
      this.host.inOrder(() => {
        if (requests.get(id) !== req) return;
        this.sent.add(id);
        for (const c of this.host.subscribers) if (c.sendRequest(id, method, params)) tracker?.trackServerRequest(c.id, id, method, params);
      });
    });
  }

  /** Cancels the pending requests (turn transitions): each ends with serverRequest/resolved. */
  cancelAll(): void {
    for (const r of this.host.requests.forThread(this.host.threadId)) if (this.host.requests.take(r.id)) r.settle(null);
  }

  /** Re-sends the still-pending requests to a connection that rejoined (same ids and params), in order. */
  replay(conn: Connection): void {
    // only the ones already sent: a request still queued reaches every subscriber when it goes out
    for (const r of this.host.requests.forThread(this.host.threadId)) {
      if (this.sent.has(r.id) && conn.sendRequest(r.id, r.method, r.params)) this.host.tracker?.trackServerRequest(conn.id, r.id, r.method, r.params, { replayed: true });
    }
  }

  /** Drops the pending requests without telling anyone (unload). */
  dropAll(): void {
    for (const r of this.host.requests.forThread(this.host.threadId)) if (this.host.requests.take(r.id)) this.host.tracker?.trackServerRequestAborted(r.id);
    this.sent.clear();
    this.pending = 0;
  }
}

/** An approval answer as the engine's decision: no answer is a cancel, an error a decline. */
export function decisionOf(answer: Answer): ApprovalDecision {
  if (!answer || answer.error !== undefined) return answer ? "decline" : "cancel";
  const d = (answer.result as { decision?: unknown } | null | undefined)?.decision;
  if (d === "accept" || d === "acceptForSession" || d === "decline" || d === "cancel") return d;
  if (d && typeof d === "object" && !Array.isArray(d)) return d as ApprovalDecision;
  return "decline";
}
