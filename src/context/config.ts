// The config.toml keys context building reads: `developer_instructions`, `model_instructions_file`
// (relative to the home), `project_doc_max_bytes`, `project_doc_fallback_filenames`.
import path from "node:path";
import type { WorkspaceContextOptions } from "./workspace-context.js";

type ContextConfigKeys = Pick<WorkspaceContextOptions, "developerInstructions" | "modelInstructionsFile" | "projectDocMaxBytes" | "projectDocFallbackFilenames">;

export function contextOptionsFromConfig(config: Record<string, unknown>, codexHome: string): ContextConfigKeys {
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  const file = str(config.model_instructions_file) ?? str(config.experimental_instructions_file);
  const max = config.project_doc_max_bytes;
  const fallbacks = config.project_doc_fallback_filenames;
  return {
    developerInstructions: str(config.developer_instructions),
    modelInstructionsFile: file ? path.resolve(codexHome, file) : null,
    projectDocMaxBytes: typeof max === "number" && Number.isFinite(max) && max >= 0 ? Math.floor(max) : undefined,
    projectDocFallbackFilenames: Array.isArray(fallbacks) ? fallbacks.filter((f): f is string => typeof f === "string") : undefined,
  };
}
