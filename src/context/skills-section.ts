// The `<skills_instructions>` developer text: the enabled skills with their descriptions and
// where their SKILL.md is, paths shortened through a table of skill roots.
import type { ContextSkill } from "./types.js";

export function skillsText(skills: readonly ContextSkill[], roots: readonly string[]): string | null {
  if (skills.length === 0) return null;
  const short = (p: string): string => {
    const i = roots.findIndex((r) => p.startsWith(`${r}/`));
    return i < 0 ? p : `s${i}${p.slice(roots[i].length)}`;
  };
  const used = roots.filter((r) => skills.some((s) => s.path.startsWith(`${r}/`)));
  const lines = [
    "<skills_instructions>",
    "## Skills",
    "Skills are reusable workflows, each described by a SKILL.md file. When a task matches a skill's description, read that SKILL.md and follow it; load only what the task needs.",
  ];
  if (used.length) {
    lines.push("### Skill roots");
    for (const r of used) lines.push(`- \`s${roots.indexOf(r)}\` = \`${r}\``);
  }
  lines.push("### Available skills");
  for (const s of skills) lines.push(`- ${s.name}: ${s.description} (file: ${short(s.path)})`);
  lines.push("</skills_instructions>");
  return lines.join("\n");
}
