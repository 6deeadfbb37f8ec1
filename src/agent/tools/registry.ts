// The tools a turn offers the model. A FunctionTool is a Responses API tool definition plus a
// handler; the registry also carries hosted tools the model runs itself (web_search), which
// have a definition and no handler. Extra tools (the goal tools, see goals.ts) are registered by
// whoever owns them; a tool registered under an existing name replaces it.
import type { Json, JsonObject } from "../../rollout/line.js";
import type { RolloutItem } from "../../store/types.js";
import type { ApprovalPolicy, CollaborationMode, SandboxMode, WorkspaceWriteOptions } from "../config.js";
import type { ApprovalDecision, ApprovalKind, CommandApprovalParams, FileChangeApprovalParams, SessionApprovals, TurnNotification } from "../events.js";
import type { ExecPolicy } from "../execpolicy.js";

/** What a handler can see and do while it runs one call. */
export interface ToolContext {
  threadId: string;
  turnId: string;
  callId: string;
  /** The turn's working directory. */
  cwd: string;
  /** Aborted when the turn is interrupted: stop work and return. */
  signal: AbortSignal;
  approvalPolicy: ApprovalPolicy;
  sandboxMode: SandboxMode;
  /** `[sandbox_workspace_write]`, for commands run under workspace-write. */
  workspaceWrite: WorkspaceWriteOptions;
  sessionApprovals: SessionApprovals;
  /** The turn's aggregated diff: told before a patch writes its paths, and after it did (`turn/diff/updated`). */
  fileChanges?: { before(paths: readonly string[]): Promise<void>; applied(): Promise<void> };
  /** Commands allowed without asking (Codex's execpolicy rules); none when absent. */
  execPolicy?: ExecPolicy;
  /** Environment for child processes. */
  env: NodeJS.ProcessEnv;
  /** Default command timeout. */
  execTimeoutMs: number;
  now(): number;
  /** Sends a notification to the turn's listener. */
  notify(n: TurnNotification): void;
  /** Records rollout items (in order, before the call's function_call_output). */
  emitRollout(items: RolloutItem[]): Promise<void>;
  /** The turn's collaboration mode (request_user_input works in "plan" only). */
  collaborationMode: CollaborationMode;
  /** Asks the user (`item/tool/requestUserInput` params); the client's answer, or null when cancelled. */
  requestUserInput(params: JsonObject): Promise<JsonObject | null>;
  /** Asks the client; rejects with the abort reason if the turn is interrupted meanwhile. */
  requestApproval(kind: ApprovalKind, params: CommandApprovalParams | FileChangeApprovalParams): Promise<ApprovalDecision>;
}

export interface FunctionToolResult {
  /** The function_call_output text the model reads. */
  output: string;
  /** Content items sent instead of the text (an `input_image`…). */
  contentItems?: Json[];
  /** The user chose "cancel": the turn is interrupted after this output is recorded. */
  interruptTurn?: boolean;
  /** False when the output reports a failure (analytics); a handler that throws failed too. */
  success?: boolean;
}

export interface FunctionTool {
  name: string;
  /** The Responses API definition (`{type: "function", name, description, strict, parameters}`). */
  spec: JsonObject;
  handle(args: JsonObject, ctx: ToolContext): Promise<FunctionToolResult>;
}

/** What a hosted tool's definition may depend on. */
export interface HostedToolSettings {
  sandboxMode: SandboxMode;
}

type HostedSpec = JsonObject | ((s: HostedToolSettings) => JsonObject | null);

export class ToolRegistry {
  private readonly functions = new Map<string, FunctionTool>();
  private readonly hosted = new Map<string, HostedSpec>();

  constructor(tools: FunctionTool[] = []) {
    for (const t of tools) this.register(t);
  }

  register(...tools: FunctionTool[]): this {
    for (const t of tools) this.functions.set(t.name, t);
    return this;
  }

  /** A tool the model runs itself (e.g. `{type: "web_search"}`), keyed by its type; a function decides per turn (null: not offered). */
  registerHosted(type: string, spec: HostedSpec): this {
    this.hosted.set(type, spec);
    return this;
  }

  unregister(name: string): boolean {
    return this.functions.delete(name) || this.hosted.delete(name);
  }

  get(name: string): FunctionTool | undefined {
    return this.functions.get(name);
  }

  names(): string[] {
    return [...this.functions.keys(), ...this.hosted.keys()];
  }

  /** The `tools` array of a request: function tools in registration order, then hosted tools. */
  specs(settings: HostedToolSettings = { sandboxMode: "workspace-write" }): Json[] {
    const hosted = [...this.hosted.values()].map((h) => (typeof h === "function" ? h(settings) : h)).filter((h): h is JsonObject => h !== null);
    return [...[...this.functions.values()].map((t) => t.spec), ...hosted];
  }
}
