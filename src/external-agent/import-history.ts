// The history of external agent config imports (externalAgentConfig/import/recordHistory and
// readHistories): one JSON line per completed import in <home>/spool/external-agent-imports.jsonl.
import fs from "node:fs";
import path from "node:path";

export interface ImportHistoryEntry {
  importId: string;
  providerId: string;
  completedAtMs: number;
  successes: unknown[];
  failures: unknown[];
}

export class ImportHistory {
  private readonly file: string;
  constructor(home: string) {
    this.file = path.join(home, "spool", "external-agent-imports.jsonl");
  }

  record(entry: ImportHistoryEntry): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  /** Every recorded import, oldest first; a torn last line (a crash mid-append) is skipped. */
  all(): ImportHistoryEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch {
      return [];
    }
    const out: ImportHistoryEntry[] = [];
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as ImportHistoryEntry);
      } catch {
        // torn line
      }
    }
    return out;
  }
}
