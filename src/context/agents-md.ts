// The AGENTS.md user message: the home's instructions, then the project's (from the project root
// down to cwd), under a heading naming the folder they apply to. The heading and the
// `<INSTRUCTIONS>` tags are the markers clients and Codex recognise this message by.
import type { ProjectDocs } from "./types.js";

export const AGENTS_MD_HEADING = "# AGENTS.md instructions for ";
const PROJECT_SEPARATOR = "\n\n--- project-doc ---\n\n";
const REPLACES_NOTE = "The instructions below supersede every AGENTS.md instruction given earlier in this conversation.";

/** The combined instruction text (null when there is none). */
export function instructionsText(docs: ProjectDocs): string | null {
  const project = docs.project.map((d) => d.text).filter((t) => t.trim() !== "").join("\n\n");
  const home = docs.home && docs.home.text.trim() !== "" ? docs.home.text : "";
  if (!home && !project) return null;
  return home && project ? `${home}${PROJECT_SEPARATOR}${project}` : home || project;
}

/** The message text for `cwd`; `replacing` marks an update after a cwd change. */
export function agentsMdText(cwd: string, instructions: string, replacing = false): string {
  const body = replacing ? `${REPLACES_NOTE}\n\n${instructions}` : instructions;
  return `${AGENTS_MD_HEADING}${cwd}\n\n<INSTRUCTIONS>\n${body}\n</INSTRUCTIONS>`;
}
