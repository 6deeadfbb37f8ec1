// Skills: SKILL.md discovery (roots.ts, discovery.ts), config toggles, and the service the server uses.
export { SkillsService, type ListedSkill, type SkillsForCwd, type SkillsServiceOptions } from "./service.js";
export type { Skill, SkillError, SkillScope, SkillToggle } from "./types.js";
