// Execpolicy amendments, as Codex 0.169.0 offers them with a command approval: "accept, and don't
// ask again for commands that start with …". Codex proposes the first plain command of the
// script (`touch ../a.txt` for `touch ../a.txt && echo hi`), or the whole argv when the script is
// not plain words (redirects, substitutions, variables, globs); choosing it appends a rule to
// `<home>/rules/default.rules` in its Starlark form:
//   prefix_rule(pattern=["touch", "../a.txt"], decision="allow")
// Codex reads that file, so Spool keeps its amendments there too, and reads every
// `<home>/rules/*.rules` back: a command whose plain commands all start with an allowed prefix
// (or whose whole argv does) runs without asking. Only `prefix_rule` lines with a literal string
// list are understood; anything else in those files is left alone.
import fs from "node:fs";
import path from "node:path";
import { parse } from "shell-quote";

const JOINERS = new Set(["&&", "||", ";", "|"]);

/** The plain commands of a shell script (words joined by &&, ||, ; or |), or null when it has anything else. */
export function plainCommands(script: string): string[][] | null {
  // variables and substitutions would be expanded by shell-quote: not plain
  if (/[$`]/.test(script)) return null;
  let tokens: ReturnType<typeof parse>;
  try {
    tokens = parse(script);
  } catch {
    return null;
  }
  const out: string[][] = [[]];
  for (const t of tokens) {
    if (typeof t === "string") out[out.length - 1].push(t);
    else if ("op" in t && JOINERS.has(t.op)) out.push([]);
    else return null;
  }
  return out.every((c) => c.length > 0) ? out : null;
}

/** `[shell, -c|-lc, script]`'s script, or null for any other argv. */
function scriptOf(argv: readonly string[]): string | null {
  return argv.length === 3 && (argv[1] === "-c" || argv[1] === "-lc") ? argv[2] : null;
}

/** The prefix Codex proposes to allow for this argv. */
export function proposedAmendment(argv: readonly string[]): string[] {
  const script = scriptOf(argv);
  const plain = script === null ? null : plainCommands(script);
  return plain ? plain[0] : [...argv];
}

const startsWith = (words: readonly string[], prefix: readonly string[]) => prefix.length > 0 && prefix.length <= words.length && prefix.every((w, i) => words[i] === w);

/** Whether allowed prefixes cover the argv: each of its script's plain commands, else the argv itself. */
export function allowedBy(prefixes: readonly (readonly string[])[], argv: readonly string[]): boolean {
  const script = scriptOf(argv);
  const plain = script === null ? null : plainCommands(script);
  const commands = plain ?? [argv];
  return commands.every((c) => prefixes.some((p) => startsWith(c, p)));
}

const RULE = /^\s*prefix_rule\(\s*pattern\s*=\s*(\[[^\]]*\])\s*,\s*decision\s*=\s*"(allow|prompt|forbidden)"\s*\)\s*$/;

/** The `allow` prefixes of a rules file's text (Codex's Starlark; string lists are JSON-compatible). */
export function parseAllowRules(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split("\n")) {
    const m = RULE.exec(line);
    if (!m || m[2] !== "allow") continue;
    try {
      const words: unknown = JSON.parse(m[1]);
      if (Array.isArray(words) && words.length > 0 && words.every((w) => typeof w === "string")) out.push(words);
    } catch {
      // not a literal string list: not ours to understand
    }
  }
  return out;
}

/** One rule line as Codex writes it. */
export function formatAllowRule(prefix: readonly string[]): string {
  return `prefix_rule(pattern=[${prefix.map((w) => JSON.stringify(w)).join(", ")}], decision="allow")\n`;
}

/** What the exec tool needs: whether a command is allowed, and recording a new allowed prefix. */
export interface ExecPolicy {
  allows(argv: readonly string[]): boolean;
  allow(prefix: readonly string[]): void;
}

/** The rules under `<home>/rules`, read afresh on every check (they are small, and Codex may add some too). */
export class HomeExecPolicy implements ExecPolicy {
  private readonly dir: string;

  constructor(home: string) {
    this.dir = path.join(home, "rules");
  }

  private prefixes(): string[][] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith(".rules"));
    } catch {
      return [];
    }
    return names.sort().flatMap((n) => {
      try {
        return parseAllowRules(fs.readFileSync(path.join(this.dir, n), "utf8"));
      } catch {
        return [];
      }
    });
  }

  allows(argv: readonly string[]): boolean {
    return allowedBy(this.prefixes(), argv);
  }

  allow(prefix: readonly string[]): void {
    fs.mkdirSync(this.dir, { recursive: true });
    fs.appendFileSync(path.join(this.dir, "default.rules"), formatAllowRule(prefix));
  }
}
