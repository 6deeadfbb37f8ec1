// Running a turn's tool calls: the model's function calls go through the session's ToolRegistry
// one after another, each output recorded as its function_call_output. Every call recorded in
// the conversation needs an output before the conversation goes back to the model, so a call is
// tracked from when it is recorded (`recorded`) until it is answered; an ending turn answers the
// rest "aborted" (`answerUnanswered`). A handler's approval request goes to the session's
// ApprovalHandler (declined without one) and is abandoned when the turn stops.
import type { Json, JsonObject } from "../rollout/line.js";
import type { RolloutItem } from "../store/types.js";
import type { ApprovalDecision, ApprovalHandler, ApprovalKind } from "./events.js";
import * as R from "./rollout-items.js";
import type { AgentSession } from "./session.js";
import type { ToolContext } from "./tools/registry.js";
import type { TurnControl } from "./turn-control.js";
import type { TurnOutput } from "./turn-output.js";
import { TurnDiff } from "./turn-diff.js";

/** Command timeout when neither the call nor the session gives one. */
export const DEFAULT_EXEC_TIMEOUT_MS = 10 * 60_000;

export class ToolCalls {
  /** function calls recorded without an output yet (call id -> custom?) */
  private readonly unanswered = new Map<string, boolean>();
  /** What the turn's patches changed (turn-diff.ts), made with the first patch. */
  private diff: TurnDiff | null = null;

  constructor(
    private readonly session: AgentSession,
    private readonly control: TurnControl,
    private readonly output: TurnOutput,
    private readonly now: () => number,
  ) {}

  /** Sends the turn's aggregated diff (`turn/diff/updated`) when its patches changed anything. */
  async notifyDiff(): Promise<void> {
    const diff = await this.diff?.render();
    if (diff) this.output.notify({ method: "turn/diff/updated", params: { threadId: this.session.threadId, turnId: this.output.turnId, diff } });
  }

  /** A call is in the conversation and waits for its output. */
  recorded(callId: string, custom: boolean): void {
    this.unanswered.set(callId, custom);
  }

  /** Runs the calls in order; a tool's failure is its output, the turn's interrupt is thrown. */
  async run(calls: JsonObject[]): Promise<void> {
    for (const call of calls) {
      this.control.throwIfStopped();
      const callId = String(call.call_id);
      const custom = call.type === "custom_tool_call";
      const name = typeof call.name === "string" ? call.name : String(call.type);
      let output: string | Json[];
      let interrupt = false;
      let success = false;
      const telemetry = this.session.internals.opts.onTelemetry;
      const ids = { threadId: this.session.threadId, turnId: this.output.turnId, callId, name };
      telemetry?.({ type: "toolCallStarted", ...ids, atMs: this.now() });
      const tool = call.type === "function_call" ? this.session.tools.get(name) : undefined;
      if (custom) output = `unsupported custom tool call: ${name}`;
      else if (!tool) output = `unsupported call: ${name}`;
      else {
        let args: JsonObject | null = null;
        try {
          const raw = typeof call.arguments === "string" && call.arguments.trim() !== "" ? JSON.parse(call.arguments) : {};
          if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new Error("arguments must be a JSON object");
          args = raw as JsonObject;
          output = "";
        } catch (e) {
          output = `failed to parse function arguments: ${(e as Error).message}`;
        }
        if (args) {
          try {
            const r = await tool.handle(args, this.context(callId));
            output = r.contentItems ?? r.output;
            interrupt = r.interruptTurn === true;
            success = r.success !== false;
          } catch (e) {
            if (this.control.stopped) throw e;
            output = `${name} failed: ${(e as Error).message}`;
          }
        }
      }
      telemetry?.({ type: "toolCallEnded", ...ids, atMs: this.now(), success });
      this.unanswered.delete(callId);
      await this.output.emit([R.functionCallOutput(callId, output, custom)]);
      // an approval answered "cancel": the output is recorded first, then the turn stops
      if (interrupt) this.control.stop();
    }
  }

  /** "aborted" outputs for the calls still waiting (the conversation must stay answerable). */
  answerUnanswered(): RolloutItem[] {
    const out = [...this.unanswered].map(([callId, custom]) => R.functionCallOutput(callId, "aborted", custom));
    this.unanswered.clear();
    return out;
  }

  private context(callId: string): ToolContext {
    const opts = this.session.internals.opts;
    const s = this.session.settings;
    return {
      threadId: this.session.threadId,
      turnId: this.output.turnId,
      callId,
      cwd: s.cwd,
      signal: this.control.signal,
      approvalPolicy: s.approvalPolicy,
      sandboxMode: s.sandboxMode,
      workspaceWrite: s.workspaceWrite,
      sessionApprovals: this.session.sessionApprovals,
      execPolicy: opts.execPolicy,
      fileChanges: {
        before: (paths) => (this.diff ??= new TurnDiff(s.cwd)).before(paths),
        applied: () => this.notifyDiff(),
      },
      env: opts.env ?? process.env,
      execTimeoutMs: opts.execTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
      now: () => this.now(),
      notify: (n) => this.output.notify(n),
      emitRollout: (items) => this.output.emit(items),
      collaborationMode: s.collaborationMode,
      requestUserInput: (params) => this.requestUserInput(params),
      requestApproval: (kind, params) => this.requestApproval(kind, params),
    };
  }

  private async requestUserInput(params: JsonObject): Promise<JsonObject | null> {
    const handler = this.session.internals.opts.requestUserInput;
    if (!handler) return null;
    return await this.control.untilStopped((signal) => handler(params, { signal }));
  }

  private async requestApproval(kind: ApprovalKind, params: Parameters<ApprovalHandler>[1]): Promise<ApprovalDecision> {
    const handler = this.session.internals.opts.requestApproval;
    if (!handler) return "decline";
    return await this.control.untilStopped((signal) => handler(kind, params, { signal }));
  }
}
