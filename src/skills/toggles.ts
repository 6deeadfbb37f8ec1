// `[[skills.config]]` in config.toml: skills switched off (or back on) by path or by name, as
// skills/config/write writes them. A new entry is appended as text (the rest of the file, comments
// included, stays as it was); changing an existing entry rewrites the file from its parsed form.
import fs from "node:fs";
import { parse, stringify } from "smol-toml";
import type { Skill, SkillToggle } from "./types.js";

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);

function entriesOf(doc: Table): Table[] {
  const skills = doc.skills;
  const list = isTable(skills) ? skills.config : undefined;
  return Array.isArray(list) ? list.filter(isTable) : [];
}

function toToggle(t: Table): SkillToggle | null {
  if (typeof t.enabled !== "boolean") return null;
  if (typeof t.path === "string") return { path: t.path, enabled: t.enabled };
  if (typeof t.name === "string") return { name: t.name, enabled: t.enabled };
  return null;
}

function readDoc(file: string): { text: string; doc: Table } {
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return { text: "", doc: {} };
  }
  try {
    return { text, doc: parse(text) as Table };
  } catch {
    return { text, doc: {} };
  }
}

/** The toggles config.toml holds, in file order (a later entry wins). */
export function readToggles(file: string): SkillToggle[] {
  return entriesOf(readDoc(file).doc).map(toToggle).filter((t): t is SkillToggle => t !== null);
}

/** Whether a skill is enabled under the toggles (default on; the last matching entry decides). */
export function isEnabled(skill: Pick<Skill, "name" | "path">, toggles: readonly SkillToggle[]): boolean {
  let on = true;
  for (const t of toggles) if ((t.path !== undefined && t.path === skill.path) || (t.name !== undefined && t.name === skill.name)) on = t.enabled;
  return on;
}

const sameSelector = (t: Table, w: SkillToggle) => (w.path !== undefined ? t.path === w.path : t.name === w.name && t.path === undefined);

/** Records a toggle in config.toml. */
export function writeToggle(file: string, w: SkillToggle): void {
  const { text, doc } = readDoc(file);
  const entries = entriesOf(doc);
  const existing = entries.find((t) => sameSelector(t, w));
  if (existing) {
    if (existing.enabled === w.enabled) return;
    existing.enabled = w.enabled;
    fs.writeFileSync(file, stringify(doc));
    return;
  }
  const key = w.path !== undefined ? `path = ${JSON.stringify(w.path)}` : `name = ${JSON.stringify(w.name)}`;
  const sep = text === "" || text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";
  fs.writeFileSync(file, `${text}${sep}[[skills.config]]\n${key}\nenabled = ${w.enabled}\n`);
}
