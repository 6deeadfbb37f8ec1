// One running turn of an AgentSession (session.ts): it records the input, then loops: send the
// conversation to the model (model-round.ts), run the function calls the response asked for
// (tool-calls.ts) and feed their outputs back, until the model answers without calling a tool and
// no steered input is waiting (turn-control.ts). What the turn says goes out through
// turn-output.ts, as notifications and rollout items.
//
// Endings: completed (`task_complete`), failed (a model error: `task_complete` with `error`, an
// `error` notification, the turn's TurnError), interrupted (`interrupt()`, or an approval answered
// "cancel": streaming stops, running commands are killed, calls left without output get
// "aborted", then `<turn_aborted>` and `turn_aborted`). `done` always resolves (never rejects).
import fs from "node:fs";
import path from "node:path";
import type { Json, JsonObject } from "../rollout/line.js";
import type { ThreadItem, Turn, TurnError, TurnStatus } from "../protocol/v2.js";
import type { RolloutItem } from "../store/types.js";
import { turnErrorFrom } from "../history/turn-error.js";
import { uuidv7 } from "./ids.js";
import { autoCompactLimit, compactConversation } from "./compaction.js";
import { ModelError } from "./model-client.js";
import { ModelRounds } from "./model-round.js";
import * as R from "./rollout-items.js";
import type { TurnAttribution, UserInput } from "./rollout-items.js";
import type { AgentSession, AgentSessionOptions, TurnSettings } from "./session.js";
import { ToolCalls } from "./tool-calls.js";
import { TurnControl, type Queued } from "./turn-control.js";
import { TurnOutput } from "./turn-output.js";

export interface TurnResult {
  turnId: string;
  status: Exclude<TurnStatus, "inProgress">;
  error: TurnError | null;
  lastAgentMessage: string | null;
  /** The v2 Turn as `turn/completed` carries it. */
  turn: Turn;
}

function mimeOf(p: string): string {
  const ext = path.extname(p).toLowerCase();
  return ext === ".png" ? "image/png" : ext === ".gif" ? "image/gif" : ext === ".webp" ? "image/webp" : "image/jpeg";
}

export class RunningTurn {
  readonly id: string;
  /** The root of the turn's chain (itself, unless it continues another turn). */
  readonly rootTurnId: string;
  readonly done: Promise<TurnResult>;
  private resolveDone!: (r: TurnResult) => void;
  private readonly control = new TurnControl();
  private readonly output: TurnOutput;
  private readonly calls: ToolCalls;
  private readonly rounds: ModelRounds;
  private started = false;
  private startedMs = 0;
  private startedAt = 0;

  private readonly rawInput: RolloutItem[] | null;
  private readonly attribution: TurnAttribution | null;
  private readonly compact: boolean;

  constructor(
    private readonly session: AgentSession,
    id: string,
    private readonly input: UserInput[],
    opts: { rawInput?: RolloutItem[]; attribution?: TurnAttribution | null; rootTurnId?: string; compact?: boolean } = {},
  ) {
    this.id = id;
    this.rootTurnId = opts.rootTurnId ?? id;
    this.rawInput = opts.rawInput ?? null;
    this.attribution = opts.attribution ?? null;
    this.compact = opts.compact ?? false;
    this.done = new Promise((r) => (this.resolveDone = r));
    const now = () => this.now();
    this.output = new TurnOutput(session.internals.opts, session.internals.conversation, session.threadId, id);
    this.calls = new ToolCalls(session, this.control, this.output, now);
    this.rounds = new ModelRounds(session, this.control, this.output, this.calls, now, () => this.now() - this.startedMs);
  }

  /** Whether the turn is still running. */
  get running(): boolean {
    return this.control.open;
  }

  /** @internal */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.run().then(this.resolveDone, (e) => this.resolveDone(this.fallbackResult(e)));
  }

  /** Queues raw response items for the next model request; false once the turn is ending. */
  inject(items: readonly JsonObject[]): boolean {
    return this.control.inject(items);
  }

  steer(input: UserInput[]): boolean {
    return this.control.steer(input);
  }

  /** Stops the turn (streaming, commands, approvals) and resolves once it has really stopped. */
  interrupt(): Promise<TurnResult> {
    this.control.stop();
    return this.done;
  }

  // ---------------------------------------------------------------------------------------------

  private get o(): AgentSessionOptions {
    return this.session.internals.opts;
  }
  private get s(): TurnSettings {
    return this.session.settings;
  }
  private now(): number {
    return (this.o.now ?? Date.now)();
  }
  private get threadId(): string {
    return this.session.threadId;
  }

  private turnView(status: TurnStatus, items: ThreadItem[], itemsView: Turn["itemsView"], error: TurnError | null, completedAt: number | null, durationMs: number | null): Turn {
    return { id: this.id, rootTurnId: this.rootTurnId, items, itemsView, status, error, startedAt: this.startedAt, completedAt, durationMs };
  }

  private async run(): Promise<TurnResult> {
    this.startedMs = this.now();
    this.startedAt = Math.floor(this.startedMs / 1000);
    try {
      const head: RolloutItem[] = [
        R.taskStarted(this.id, this.startedAt, this.s.contextWindow, { rootTurnId: this.rootTurnId, attribution: this.attribution, collaborationMode: this.s.collaborationMode }),
        // what the model is told besides the conversation: all of it on a thread's first turn, then what changed
        ...this.session.internals.contextItems(new Date(this.startedMs)),
        R.turnContext({
          turnId: this.id,
          rootTurnId: this.rootTurnId,
          cwd: this.s.cwd,
          approvalPolicy: this.s.approvalPolicy,
          sandboxMode: this.s.sandboxMode,
          model: this.s.model,
          effort: this.s.reasoningEffort,
          summary: this.s.reasoningSummary,
          now: new Date(this.startedMs),
        }),
      ];
      await this.output.emit(head);
      this.o.onTelemetry?.({ type: "turnStarted", threadId: this.threadId, turnId: this.id, trigger: this.attribution?.trigger ?? null });
      this.output.notify({ method: "turn/started", params: { threadId: this.threadId, turn: this.turnView("inProgress", [], "notLoaded", null, null, null) } });
      if (this.compact || this.contextFull()) {
        const c = await compactConversation(this.session, this.output, () => this.now(), this.control.signal);
        this.o.onTelemetry?.({ type: "compacted", threadId: this.threadId, turnId: this.id, trigger: this.compact ? "manual" : "auto", tokensBefore: c.tokensBefore, startedAtMs: c.startedAtMs, completedAtMs: c.completedAtMs });
        if (this.compact) {
          this.control.close();
          return await this.complete();
        }
      }
      if (this.rawInput) await this.output.emit(this.rawInput);
      else await this.recordUserInput(this.input);
      for (;;) {
        this.control.throwIfStopped();
        while (this.control.hasSteered) await this.recordQueued(this.control.takeSteered()!);
        await this.beforeModelRequest();
        this.control.throwIfStopped();
        const calls = await this.rounds.next();
        this.control.throwIfStopped();
        if (calls.length > 0) {
          await this.calls.run(calls);
          // Codex re-sends the turn's diff once the round's tools are done
          await this.calls.notifyDiff();
          continue;
        }
        if (!this.control.hasSteered) {
          this.control.close();
          break;
        }
      }
      return await this.complete();
    } catch (e) {
      this.control.close();
      if (this.control.stopped) return this.interrupted();
      return this.failed(e);
    }
  }

  /** Whether the last request filled the context up to the auto-compaction limit. */
  private contextFull(): boolean {
    const last = this.session.tokenUsage().last;
    return last !== null && last.total_tokens >= autoCompactLimit(this.o.autoCompactTokenLimit, this.s.contextWindow);
  }

  /** The caller's items for the next model request (recorded, no round of their own). */
  private async beforeModelRequest(): Promise<void> {
    const hook = this.o.beforeModelRequest;
    if (!hook) return;
    let items: RolloutItem[];
    try {
      items = await hook(this.id);
    } catch {
      return; // the caller's failure is not the turn's
    }
    if (items.length) await this.output.emit(items);
  }

  private async recordQueued(q: Queued): Promise<void> {
    if (q.kind === "input") await this.recordUserInput(q.input);
    else await this.output.emit(q.items.map(R.ri));
  }

  private async recordUserInput(input: UserInput[]): Promise<void> {
    const at = this.now();
    const built = R.userMessage(this.threadId, this.id, uuidv7(at), input, at, (p) => this.imageUrl(p));
    await this.output.emit(built.items);
    this.output.itemStarted({ ...built.item, completedAtMs: null }, at);
    this.output.itemCompleted(built.item, at);
  }

  /** A local image as a data URL (null if it cannot be read: the message says so instead). */
  private imageUrl(p: string): string | null {
    try {
      const abs = path.resolve(this.s.cwd, p);
      return `data:${mimeOf(abs)};base64,${fs.readFileSync(abs).toString("base64")}`;
    } catch {
      return null;
    }
  }

  // ------------------------------------------------------------------------------- endings

  /** When the turn ends: `completedAt` in seconds, its duration in milliseconds. */
  private ending(): { completedAt: number; durationMs: number } {
    const endMs = this.now();
    return { completedAt: Math.floor(endMs / 1000), durationMs: endMs - this.startedMs };
  }

  private async complete(): Promise<TurnResult> {
    const { completedAt, durationMs } = this.ending();
    const { lastAgentMessage, lastAgentItem, firstTokenMs } = this.rounds;
    await this.output.emit([
      R.taskComplete({ turnId: this.id, rootTurnId: this.rootTurnId, lastAgentMessage, error: null, startedAt: this.startedAt, completedAt, durationMs, timeToFirstTokenMs: firstTokenMs }),
    ]);
    await this.calls.notifyDiff();
    const items = lastAgentItem ? [lastAgentItem] : [];
    // a compaction turn reports no items (Codex: itemsView notLoaded)
    const turn = this.turnView("completed", items, this.compact ? "notLoaded" : "summary", null, completedAt, durationMs);
    this.output.notify({ method: "turn/completed", params: { threadId: this.threadId, turn } });
    return { turnId: this.id, status: "completed", error: null, lastAgentMessage, turn };
  }

  private async failed(e: unknown): Promise<TurnResult> {
    const message = e instanceof Error ? e.message : String(e);
    const info: Json = e instanceof ModelError ? e.codexErrorInfo : "other";
    this.o.onTelemetry?.({ type: "turnFailed", threadId: this.threadId, turnId: this.id, codexErrorInfo: info, httpStatus: e instanceof ModelError ? e.httpStatus : null });
    const snake: JsonObject = { message, codex_error_info: info };
    const error = turnErrorFrom(snake);
    const { completedAt, durationMs } = this.ending();
    const lastAgentMessage = this.rounds.lastAgentMessage;
    try {
      await this.output.emit(this.calls.answerUnanswered());
      await this.output.emit([R.taskComplete({ turnId: this.id, rootTurnId: this.rootTurnId, lastAgentMessage, error: snake, startedAt: this.startedAt, completedAt, durationMs, timeToFirstTokenMs: null })]);
    } catch {
      // persistence is what failed: the caller hears it from the notifications
    }
    this.output.notify({ method: "error", params: { error, willRetry: false, threadId: this.threadId, turnId: this.id } });
    const turn = this.turnView("failed", [], "notLoaded", error, completedAt, durationMs);
    this.output.notify({ method: "turn/completed", params: { threadId: this.threadId, turn } });
    return { turnId: this.id, status: "failed", error, lastAgentMessage, turn };
  }

  private async interrupted(): Promise<TurnResult> {
    const { completedAt, durationMs } = this.ending();
    try {
      await this.output.emit([...this.calls.answerUnanswered(), ...R.turnAborted({ turnId: this.id, rootTurnId: this.rootTurnId, startedAt: this.startedAt, completedAt, durationMs })]);
    } catch {
      // see failed()
    }
    const turn = this.turnView("interrupted", [], "notLoaded", null, completedAt, durationMs);
    this.output.notify({ method: "turn/completed", params: { threadId: this.threadId, turn } });
    return { turnId: this.id, status: "interrupted", error: null, lastAgentMessage: this.rounds.lastAgentMessage, turn };
  }

  /** A result for a turn whose ending itself threw (`done` must still resolve). */
  private fallbackResult(e: unknown): TurnResult {
    const error = turnErrorFrom({ message: e instanceof Error ? e.message : String(e), codex_error_info: "other" });
    const turn = this.turnView("failed", [], "notLoaded", error, Math.floor(this.now() / 1000), this.now() - this.startedMs);
    return { turnId: this.id, status: "failed", error, lastAgentMessage: null, turn };
  }
}
