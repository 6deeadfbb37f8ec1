// Shell-joining of an argv the way Codex renders `commandExecution.command`: each word is left
// bare when it only has safe characters, otherwise quoted, and words are separated by one space.
// Quoting follows POSIX-shell rules conservative enough for bash, zsh and fish:
//   - bare:   ASCII letters, digits and + - . / : @ ] _
//   - single: anything but ' ^ \   (wrapped in '...')
//   - double: anything but ` $ ! ^  (wrapped in "...", with " and \ backslash-escaped)
// A word that no single strategy covers is split into chunks that are quoted independently.

const BARE = new Uint8Array(128);
for (const ch of "+-./:@]_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") BARE[ch.charCodeAt(0)] = 1;

const OK_BARE = 1;
const OK_SINGLE = 2;
const OK_DOUBLE = 4;

function charOk(c: number): number {
  if (c >= 0x80) return OK_SINGLE | OK_DOUBLE;
  let ok = 0;
  if (BARE[c]) ok |= OK_BARE;
  if (c !== 0x27 /* ' */ && c !== 0x5e /* ^ */ && c !== 0x5c /* \ */) ok |= OK_SINGLE;
  if (c !== 0x60 /* ` */ && c !== 0x24 /* $ */ && c !== 0x21 /* ! */ && c !== 0x5e /* ^ */) ok |= OK_DOUBLE;
  return ok;
}

/** Quotes one word; returns null when it holds a NUL (the caller then falls back to a plain join). */
export function shellQuote(word: string): string | null {
  if (word.length === 0) return "''";
  if (word.indexOf("\0") >= 0) return null;
  let out = "";
  let pos = 0;
  const n = word.length;
  while (pos < n) {
    let allowed = OK_BARE | OK_SINGLE | OK_DOUBLE;
    let i = pos;
    // a leading ^ can only be single-quoted, and only right after the opening quote
    if (word.charCodeAt(i) === 0x5e) {
      allowed = OK_SINGLE;
      i++;
    }
    while (i < n) {
      const cur = allowed & charOk(word.charCodeAt(i));
      if (cur === 0) break;
      allowed = cur;
      i++;
    }
    const chunk = word.slice(pos, i);
    if (allowed & OK_BARE) {
      if (pos === 0 && i === n) return word;
      out += chunk;
    } else if (allowed & OK_SINGLE) {
      out += "'" + chunk + "'";
    } else {
      out += '"' + chunk.replace(/["\\$`]/g, "\\$&") + '"';
    }
    pos = i;
  }
  return out;
}

/** Joins argv into one shell command line; falls back to a plain space join if a word has NUL. */
export function shellJoin(argv: readonly string[]): string {
  const parts: string[] = [];
  for (const w of argv) {
    const q = shellQuote(w);
    if (q === null) return argv.join(" ");
    parts.push(q);
  }
  return parts.join(" ");
}
