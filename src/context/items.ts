// The context items of a turn, as response-item payloads in Codex's order and roles:
//   first turn: a developer message [developer_instructions, skills, permissions] and a user
//               message [AGENTS.md, environment context];
//   later turns, only for what changed: the AGENTS.md message again (cwd changed and the
//               instructions differ), permissions (sandbox or approval changed), then the
//               environment context (with cwd and shell when the cwd changed).
// Pure: every input is given (discovery is project-docs.ts and the skills service).
import type { JsonObject } from "../rollout/line.js";
import { agentsMdText } from "./agents-md.js";
import { environmentContextText } from "./environment.js";
import { permissionsText } from "./permissions.js";
import { skillsText } from "./skills-section.js";
import type { ContextSettings, ContextSkill } from "./types.js";

export interface ContextInputs {
  settings: ContextSettings;
  shell: string;
  date: string;
  timezone: string;
  developerInstructions: string | null;
  skills: { list: readonly ContextSkill[]; roots: readonly string[] };
  /** The combined AGENTS.md text for settings.cwd, or null. */
  instructions: string | null;
  writableRoots: readonly string[];
}

const text = (t: string) => ({ type: "input_text", text: t });
const message = (role: "developer" | "user", parts: string[]): JsonObject => ({ type: "message", role, content: parts.map(text) });

function permissions(i: ContextInputs): string {
  return permissionsText({ sandboxMode: i.settings.sandboxMode, approvalPolicy: i.settings.approvalPolicy, writableRoots: i.writableRoots });
}

function environment(i: ContextInputs, withCwd: boolean): string {
  return environmentContextText({ cwd: i.settings.cwd, shell: i.shell, date: i.date, timezone: i.timezone, sandboxMode: i.settings.sandboxMode, withCwd });
}

/** Everything a thread's first turn tells the model. */
export function initialContextItems(i: ContextInputs): JsonObject[] {
  const dev = [i.developerInstructions, skillsText(i.skills.list, i.skills.roots), permissions(i)].filter((s): s is string => !!s);
  const user = [i.instructions === null ? null : agentsMdText(i.settings.cwd, i.instructions), environment(i, true)].filter((s): s is string => !!s);
  return [message("developer", dev), message("user", user)];
}

/** What changed since the model was last told `previous` (empty when nothing did). */
export function contextUpdateItems(previous: { settings: ContextSettings; instructions: string | null }, i: ContextInputs): JsonObject[] {
  const cwdChanged = previous.settings.cwd !== i.settings.cwd;
  const permsChanged = previous.settings.sandboxMode !== i.settings.sandboxMode || previous.settings.approvalPolicy !== i.settings.approvalPolicy;
  if (!cwdChanged && !permsChanged) return [];
  const out: JsonObject[] = [];
  if (cwdChanged && i.instructions !== null && i.instructions !== previous.instructions) out.push(message("user", [agentsMdText(i.settings.cwd, i.instructions, true)]));
  if (permsChanged) out.push(message("developer", [permissions(i)]));
  out.push(message("user", [environment(i, cwdChanged)]));
  return out;
}
