// How tool output is shown to the model, in the shapes Codex 0.169.0 uses:
//  - exec_command: "Chunk ID: <6 hex>\nWall time: <s.ssss> seconds\nProcess exited with code N\n
//    Original token count: T\nOutput:\n<output>" (output cut in the middle past the token budget);
//  - apply_patch run through exec_command: "Wall time: … seconds\nOutput:\nExit code: N\n
//    Wall time: S seconds\nOutput:\n<stdout or stderr>";
//  - a command the user declined: exec_command failed: CreateProcess { message: "Rejected(...)" }.
// Tokens are approximated as Codex does: 4 bytes per token, rounded up.
import { chunkId } from "../ids.js";

export const DEFAULT_MAX_OUTPUT_TOKENS = 10_000;
const BYTES_PER_TOKEN = 4;

export function approxTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, "utf8") / BYTES_PER_TOKEN);
}

/** Cuts `text` at a byte offset without splitting a UTF-8 sequence (backs off to a char start). */
function headBytes(buf: Buffer, n: number): string {
  let end = Math.min(n, buf.length);
  while (end > 0 && end < buf.length && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString("utf8");
}
function tailBytes(buf: Buffer, n: number): string {
  let start = Math.max(0, buf.length - n);
  while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString("utf8");
}

/**
 * Keeps the head and tail of `text` within `maxTokens` (half each), with a marker in the middle
 * and a warning header, like Codex's middle truncation. Text within budget comes back unchanged.
 */
export function truncateMiddle(text: string, maxTokens: number): string {
  const buf = Buffer.from(text, "utf8");
  const budget = Math.max(0, Math.floor(maxTokens)) * BYTES_PER_TOKEN;
  if (buf.length <= budget) return text;
  const head = headBytes(buf, Math.floor(budget / 2));
  const tail = tailBytes(buf, budget - Math.floor(budget / 2));
  const removed = buf.length - Buffer.byteLength(head) - Buffer.byteLength(tail);
  const lines = text.split("\n").length;
  const original = approxTokens(text);
  return `Warning: truncated output (original token count: ${original})\nTotal output lines: ${lines}\n\n${head}…${Math.ceil(removed / BYTES_PER_TOKEN)} tokens truncated…${tail}`;
}

const secs4 = (ms: number) => (Math.max(0, ms) / 1000).toFixed(4);

/** The exec_command result as the model reads it. */
export function formatExecOutput(opts: { output: string; exitCode: number | null; wallTimeMs: number; maxOutputTokens?: number; chunk?: string }): string {
  const original = approxTokens(opts.output);
  const shown = truncateMiddle(opts.output, opts.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS);
  const exit = opts.exitCode === null ? "" : `Process exited with code ${opts.exitCode}\n`;
  return `Chunk ID: ${opts.chunk ?? chunkId()}\nWall time: ${secs4(opts.wallTimeMs)} seconds\n${exit}Original token count: ${original}\nOutput:\n${shown}`;
}

/** An apply_patch that went through exec_command. */
export function formatPatchOutput(opts: { exitCode: number; output: string; wallTimeMs: number }): string {
  return `Wall time: ${secs4(opts.wallTimeMs)} seconds\nOutput:\nExit code: ${opts.exitCode}\nWall time: ${Math.round(opts.wallTimeMs / 1000)} seconds\nOutput:\n${opts.output}`;
}

/** What the model reads when the user declined a command (or a patch run as a command). */
export const REJECTED_OUTPUT = 'exec_command failed: CreateProcess { message: "Rejected(\\"rejected by user\\")" }';
