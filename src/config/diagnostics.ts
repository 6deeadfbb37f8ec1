// What is wrong with a home's config.toml, as Codex reports it in `configWarning` after
// `initialize` (and in config/read's error): a file that does not parse or a setting with a value
// outside its enumeration makes the config invalid ("Invalid configuration; using defaults.", with
// the file position); unknown keys are only ignored ("Codex is ignoring N unrecognized
// configuration setting(s)…"). Pure: text in, findings out.
import { CONFIG_ENUMS } from "./codex-defaults.js";
import { unknownKeys } from "./effective.js";
import { parseToml } from "./layers.js";

export interface TextPosition {
  line: number;
  column: number;
}

/** The params of a `configWarning` notification. */
export interface ConfigWarning {
  summary: string;
  details: string | null;
  path?: string;
  range?: { start: TextPosition; end: TextPosition };
}

/** Why a config cannot be used, with config/read's error message. */
export interface ConfigInvalid {
  warning: ConfigWarning;
  /** The -32603 message config/read answers with. */
  readError: string;
}

export interface ConfigDiagnosis {
  invalid: ConfigInvalid | null;
  warnings: ConfigWarning[];
}

const INVALID_SUMMARY = "Invalid configuration; using defaults.";

/** The first line of a TOML parser message, without the parser's own prefix. */
const parserReason = (message: string): string => message.split("\n")[0].replace(/^Invalid TOML document:\s*/, "");

/** The 1-based line and value span of a top-level `key = value` (before any table header). */
function valueSpan(text: string, key: string): { start: TextPosition; end: TextPosition } | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*\[/.test(lines[i])) return undefined;
    const m = new RegExp(`^(\\s*${key}\\s*=\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[^\\s#]+)`).exec(lines[i]);
    if (m) return { start: { line: i + 1, column: m[1].length + 1 }, end: { line: i + 1, column: m[1].length + m[2].length } };
  }
  return undefined;
}

/** Diagnoses the user layer `file` with text `text` (null: no file, nothing to say). */
export function diagnoseConfig(file: string, text: string | null): ConfigDiagnosis {
  if (text === null) return { invalid: null, warnings: [] };
  let table: Record<string, unknown>;
  try {
    table = parseToml(text);
  } catch (e) {
    const err = e as Error & { line?: number; column?: number };
    const at = { line: err.line ?? 1, column: err.column ?? 1 };
    const where = `${file}:${at.line}:${at.column}: ${parserReason(err.message)}`;
    return {
      invalid: { warning: { summary: INVALID_SUMMARY, details: where, path: file, range: { start: at, end: at } }, readError: `failed to read configuration layers: ${where}` },
      warnings: [],
    };
  }
  for (const [key, allowed] of Object.entries(CONFIG_ENUMS)) {
    const v = table[key];
    if (v === undefined || (typeof v === "string" && allowed.includes(v))) continue;
    const reason =
      typeof v === "string"
        ? `unknown variant \`${v}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(", ")}`
        : `invalid type: ${typeof v}, expected a string`;
    const range = valueSpan(text, key);
    const at = range ? `${file}:${range.start.line}:${range.start.column}` : file;
    return {
      invalid: { warning: { summary: INVALID_SUMMARY, details: `${at}: ${reason}`, path: file, ...(range ? { range } : {}) }, readError: `invalid configuration: ${reason}\nin \`${key}\`\n` },
      warnings: [],
    };
  }
  const unknown = unknownKeys(table);
  if (unknown.length === 0) return { invalid: null, warnings: [] };
  const n = unknown.length;
  const summary =
    `Codex is ignoring ${n} unrecognized configuration setting${n === 1 ? "" : "s"}. Check for typos or deprecated settings.` +
    unknown.map((k) => `\n  user (${file}): \`${k}\` is ignored.`).join("");
  return { invalid: null, warnings: [{ summary, details: null }] };
}
