// An answer with what must follow it on the wire (see Connection).
/**
 * A handler's answer plus what must follow it on the wire: `after` runs right after the response
 * has been written (notifications Codex sends after a response: thread/started, the resume
 * replay, a held turn's events…). It runs even when the connection is gone.
 */
export class WithFollowUp {
  constructor(
    readonly result: unknown,
    readonly after: () => void,
  ) {}
}
