// `<home>/installation_id`: a UUID naming this installation, shared with Codex (same file, same
// format: the bare UUID, no newline). Created on first use when the home has none.
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function installationId(home: string): string {
  const file = join(home, "installation_id");
  try {
    const id = readFileSync(file, "utf8").trim();
    if (UUID.test(id)) return id.toLowerCase();
  } catch {
    // none yet
  }
  const id = randomUUID();
  try {
    writeFileSync(file, id, { flag: "wx" });
    return id;
  } catch {
    // another process made one first: use it
    try {
      const other = readFileSync(file, "utf8").trim();
      if (UUID.test(other)) return other.toLowerCase();
    } catch {
      // unreadable home: the id lives for this process only
    }
    return id;
  }
}
