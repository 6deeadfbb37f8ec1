// Context building: what the model is told besides the conversation (instructions, AGENTS.md,
// skills, permissions, environment). Pure builders in items.ts and its parts; file discovery in
// project-docs.ts; workspace-context.ts puts them together for a thread.
export { WorkspaceContext, type ContextSkillSource, type WorkspaceContextOptions } from "./workspace-context.js";
export { SPOOL_BASE_INSTRUCTIONS } from "./base-instructions.js";
export { localDateAndZone } from "./clock.js";
export { AGENTS_MD_HEADING } from "./agents-md.js";
export type { ContextSettings } from "./types.js";
export { contextOptionsFromConfig } from "./config.js";
