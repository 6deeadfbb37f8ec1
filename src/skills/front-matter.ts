// SKILL.md front matter: the YAML block between the opening `---` line and the next `---` line,
// parsed with the `yaml` library. Errors are worded like Codex's (skills/list shows them).
import { parse as parseYaml } from "yaml";

export interface SkillFrontMatter {
  name: string | null;
  description: string | null;
  /** `metadata.short-description`. */
  shortDescription: string | null;
}

export class SkillParseError extends Error {}

/** The YAML text between the fences, or null when the file does not start with one. */
export function extractFrontMatter(text: string): string | null {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines[0]?.trim() !== "---") return null;
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === "---");
  return end < 0 ? null : lines.slice(1, end).join("\n");
}

/** Collapses whitespace (newlines included) so a field stays on one line. */
export const singleLine = (s: string): string => s.split(/\s+/).filter(Boolean).join(" ");

const field = (v: unknown, name: string): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new SkillParseError(`invalid YAML: ${name}: expected a string`);
  return singleLine(v);
};

export function parseSkillFrontMatter(text: string): SkillFrontMatter {
  const yamlText = extractFrontMatter(text);
  if (yamlText === null) throw new SkillParseError("missing YAML frontmatter delimited by ---");
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (e) {
    throw new SkillParseError(`invalid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const o = doc && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const meta = o.metadata && typeof o.metadata === "object" && !Array.isArray(o.metadata) ? (o.metadata as Record<string, unknown>) : {};
  const short = field(meta["short-description"], "metadata.short-description");
  return { name: field(o.name, "name"), description: field(o.description, "description"), shortDescription: short === "" ? null : short };
}
