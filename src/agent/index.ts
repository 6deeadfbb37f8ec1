// The turn engine's public surface (see session.ts for the session, turn.ts for how a turn runs).
export { AgentSession, type AgentSessionOptions, type TurnAttribution, type TurnRef, type TurnSettings, type TurnStartOptions, type UserInput } from "./session.js";
export { RunningTurn, type TurnResult } from "./turn.js";
export { DEFAULT_EXEC_TIMEOUT_MS } from "./tool-calls.js";
export { defaultToolRegistry } from "./tools/defaults.js";
export { resolveAgentConfig, resolveProvider, type AgentConfig, type ApprovalPolicy, type ProviderConfig, type SandboxMode, type WebSearchMode } from "./config.js";
export { ResponsesClient, ModelError, type ModelClient, type ModelRequest, type ModelStreamEvent } from "./model-client.js";
export {
  SessionApprovals,
  approvalMethod,
  type ApprovalDecision,
  type ApprovalHandler,
  type ApprovalKind,
  type CommandApprovalParams,
  type FileChangeApprovalParams,
  type TurnNotification,
  type TurnNotificationMethod,
} from "./events.js";
export { ToolRegistry, type FunctionTool, type FunctionToolResult, type ToolContext } from "./tools/registry.js";
export { goalTools, GOAL_TOOL_NAMES, type GoalToolHost } from "./tools/goals.js";
export { execCommandTool, EXEC_COMMAND_SPEC } from "./tools/exec-command.js";
export { uuidv7 } from "./ids.js";
export type { TurnTelemetry, TurnTelemetrySink } from "./telemetry.js";
export type { TurnContextSource } from "./context-source.js";
export { fallbackModelInfo, modelInfoFromCatalogue, type ModelInfo } from "./model-info.js";
