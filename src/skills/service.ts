// The home's skills as the server and the turn engine see them: discovery per cwd (cached until a
// forced reload or a change of extra roots), the client's extra roots, and the config.toml toggles.
import os from "node:os";
import path from "node:path";
import { scanSkills } from "./discovery.js";
import { skillRoots } from "./roots.js";
import { isEnabled, readToggles, writeToggle } from "./toggles.js";
import type { Skill, SkillError, SkillToggle } from "./types.js";

export interface ListedSkill extends Skill {
  enabled: boolean;
}

export interface SkillsForCwd {
  skills: ListedSkill[];
  errors: SkillError[];
  /** The roots that gave skills, in scan order. */
  roots: string[];
}

export interface SkillsServiceOptions {
  codexHome: string;
  /** `$HOME` for `~/.agents/skills` (default: the OS home directory). */
  userHome?: string | null;
}

export class SkillsService {
  private extraRoots: string[] = [];
  private readonly cache = new Map<string, { skills: Skill[]; errors: SkillError[]; roots: string[] }>();
  private readonly userHome: string | null;

  constructor(private readonly opts: SkillsServiceOptions) {
    this.userHome = opts.userHome === undefined ? os.homedir() : opts.userHome;
  }

  get configFile(): string {
    return path.join(this.opts.codexHome, "config.toml");
  }

  setExtraRoots(roots: readonly string[]): void {
    this.extraRoots = [...roots];
    this.cache.clear();
  }

  /** The skills for a cwd, with their enabled state from config.toml. */
  list(cwd: string, forceReload = false): SkillsForCwd {
    let scan = forceReload ? undefined : this.cache.get(cwd);
    if (!scan) {
      const roots = skillRoots({ codexHome: this.opts.codexHome, cwd: path.resolve(cwd), userHome: this.userHome, extraRoots: this.extraRoots });
      scan = scanSkills(roots);
      this.cache.set(cwd, scan);
    }
    const toggles = readToggles(this.configFile);
    return { skills: scan.skills.map((s) => ({ ...s, enabled: isEnabled(s, toggles) })), errors: scan.errors, roots: scan.roots };
  }

  /** Switches a skill on or off (by path or name); the state it now has. */
  write(toggle: SkillToggle): boolean {
    writeToggle(this.configFile, toggle);
    return toggle.enabled;
  }
}
