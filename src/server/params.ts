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
