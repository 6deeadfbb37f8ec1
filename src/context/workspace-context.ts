// The context a thread's turns give the model, read from the workspace and the home: base
// instructions (the thread's, else `model_instructions_file`, else Spool's), developer
// instructions, enabled skills, AGENTS.md files, permissions and the environment. The turn engine
// asks for the items of each turn (everything on the first, changes after that).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RolloutItem } from "../store/types.js";
import { instructionsText } from "./agents-md.js";
import { SPOOL_BASE_INSTRUCTIONS } from "./base-instructions.js";
import { localDateAndZone } from "./clock.js";
import { contextUpdateItems, initialContextItems, type ContextInputs } from "./items.js";
import { discoverProjectDocs } from "./project-docs.js";
import type { ContextSettings, ContextSkill } from "./types.js";

/** What the context needs from the skills service. */
export interface ContextSkillSource {
  list(cwd: string): { skills: Array<ContextSkill & { enabled: boolean }>; roots: string[] };
}

export interface WorkspaceContextOptions {
  /** The Codex home (home AGENTS.md); null for none. */
  codexHome?: string | null;
  developerInstructions?: string | null;
  /** `model_instructions_file`: replaces the base instructions. */
  modelInstructionsFile?: string | null;
  projectDocMaxBytes?: number;
  projectDocFallbackFilenames?: readonly string[];
  skills?: ContextSkillSource | null;
  env?: NodeJS.ProcessEnv;
}

export class WorkspaceContext {
  constructor(private readonly o: WorkspaceContextOptions = {}) {}

  /** The base instructions for a thread that has none of its own. */
  baseInstructions(): string {
    const file = this.o.modelInstructionsFile;
    if (file) {
      try {
        const text = fs.readFileSync(file, "utf8");
        if (text.trim() !== "") return text;
      } catch {
        // an unreadable file falls back to the default rather than failing every turn
      }
    }
    return SPOOL_BASE_INSTRUCTIONS;
  }

  /** The combined AGENTS.md text that applies in `cwd`, or null. */
  instructions(cwd: string): string | null {
    return instructionsText(discoverProjectDocs(cwd, { codexHome: this.o.codexHome ?? null, maxBytes: this.o.projectDocMaxBytes, fallbackFilenames: this.o.projectDocFallbackFilenames }));
  }

  private inputs(s: ContextSettings, now: Date): ContextInputs {
    const { date, timezone } = localDateAndZone(now);
    const listed = this.o.skills?.list(s.cwd) ?? { skills: [], roots: [] };
    const shellPath = (this.o.env ?? process.env).SHELL;
    const tmp = [...new Set([os.tmpdir(), "/tmp"])];
    return {
      settings: s,
      shell: shellPath ? path.basename(shellPath) : "bash",
      date,
      timezone,
      developerInstructions: this.o.developerInstructions || null,
      skills: { list: listed.skills.filter((k) => k.enabled), roots: listed.roots },
      instructions: this.instructions(s.cwd),
      writableRoots: [s.cwd, ...tmp.filter((t) => t !== s.cwd)],
    };
  }

  /** The items for a turn run with `next`: the full context when `previous` is null, else what changed. */
  items(next: ContextSettings, previous: ContextSettings | null, now: Date): RolloutItem[] {
    const i = this.inputs(next, now);
    const payloads = previous ? contextUpdateItems({ settings: previous, instructions: previous.cwd === next.cwd ? i.instructions : this.instructions(previous.cwd) }, i) : initialContextItems(i);
    return payloads.map((payload) => ({ type: "response_item", payload }));
  }
}
