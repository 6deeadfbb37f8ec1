// Parameter decoding with Codex's error wording ("Invalid request: …", code -32600).
import type { z } from "zod";
import { invalidRequest } from "./errors.js";

export function decodeParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  const r = schema.safeParse(params ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.length ? ` at \`${issue.path.join(".")}\`` : "";
  throw invalidRequest(`Invalid request: ${issue.message}${where}`);
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Thread ids are UUIDs; Codex names a malformed one "invalid thread id". */
export function checkThreadId(id: string): string {
  if (!UUID.test(id)) throw invalidRequest(`invalid thread id: ${JSON.stringify(id)} is not a UUID`);
  return id.toLowerCase();
}

const GROUPS = [8, 4, 4, 4, 12];

/** Why a string is not a UUID, in the uuid crate's words (what Codex's errors quote), or null when it is one. */
export function uuidProblem(s: string): string | null {
  const badChar = (i: number) => `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${[...s][i] ?? ""}\` at ${i + 1}`;
  if (!s.includes("-")) {
    // the uuid crate reports a bad character before a bad length ("zz": found `z` at 1)
    const i = s.search(/[^0-9a-fA-F]/);
    if (i >= 0) return badChar(i);
    return s.length !== 32 ? `invalid length: expected length 32 for simple format, found ${s.length}` : null;
  }
  const i = s.search(/[^0-9a-fA-F-]/);
  if (i >= 0) return badChar(i);
  const groups = s.split("-");
  if (groups.length !== 5) return `invalid group count: expected 5, found ${groups.length}`;
  for (let g = 0; g < 5; g++) if (groups[g].length !== GROUPS[g]) return `invalid group length in group ${g}: expected ${GROUPS[g]}, found ${groups[g].length}`;
  return null;
}

/** A thread id a live method accepts; Codex says "invalid thread id: …" (turns) or "invalid session id: …" (resume). */
export function parseThreadId(id: string, label: "thread" | "session" = "thread"): string {
  const problem = uuidProblem(id);
  if (problem) throw invalidRequest(`invalid ${label} id: ${problem}`);
  return id.toLowerCase();
}
