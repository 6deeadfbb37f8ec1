// Server->client requests (approvals), as Codex keeps them: integer ids from one counter per
// server starting at 0, each request belonging to a thread and sent to every connection
// subscribed to it at send time with the same id; the first answer wins (later ones, and answers
// to unknown ids, are logged and dropped). A request stays pending when a connection goes away,
// so another subscriber can answer it or a connection that resumes the thread gets it replayed.

export interface PendingServerRequest {
  id: number;
  threadId: string;
  method: string;
  params: unknown;
  /** Called once: with the client's answer, or with `null` when the request was cancelled. */
  settle(answer: { result?: unknown; error?: unknown } | null): void;
}

export class ServerRequests {
  private next = 0;
  private readonly pending = new Map<number, PendingServerRequest>();

  nextId(): number {
    return this.next++;
  }

  add(req: PendingServerRequest): void {
    this.pending.set(req.id, req);
  }

  get(id: number): PendingServerRequest | undefined {
    return this.pending.get(id);
  }

  /** Removes and returns the request (undefined when it was already answered or cancelled). */
  take(id: unknown): PendingServerRequest | undefined {
    if (typeof id !== "number") return undefined;
    const req = this.pending.get(id);
    if (req) this.pending.delete(id);
    return req;
  }

  /** The thread's pending requests, oldest first. */
  forThread(threadId: string): PendingServerRequest[] {
    const out: PendingServerRequest[] = [];
    for (const r of this.pending.values()) if (r.threadId === threadId) out.push(r);
    return out.sort((a, b) => a.id - b.id);
  }

  get size(): number {
    return this.pending.size;
  }
}
