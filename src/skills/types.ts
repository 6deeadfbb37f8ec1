// A skill as discovered on disk (SKILL.md front matter + where it was found), and the
// `skills/list` shapes built from it.

export type SkillScope = "repo" | "user" | "system" | "admin";

export interface SkillRoot {
  path: string;
  scope: SkillScope;
}

export interface Skill {
  name: string;
  description: string;
  shortDescription: string | null;
  /** Absolute path of the SKILL.md (symlinks resolved). */
  path: string;
  scope: SkillScope;
}

export interface SkillError {
  path: string;
  message: string;
}

export interface SkillScan {
  skills: Skill[];
  errors: SkillError[];
  /** The roots that gave at least one skill, in scan order (the model's skill list abbreviates paths with them). */
  roots: string[];
}

/** One `[[skills.config]]` entry of config.toml: a skill switched on or off by path or by name. */
export interface SkillToggle {
  path?: string;
  name?: string;
  enabled: boolean;
}
