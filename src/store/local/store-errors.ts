// How failures leave the local store: errno codes of Node I/O errors, and the mapping of any
// failure to a ThreadStoreError.
import { ThreadStoreError } from "../types.js";

/** The code (ENOENT, EEXIST, …) of a Node I/O error. */
export const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** Every failure leaves the store as a ThreadStoreError; I/O and SQLite failures are "internal". */
export function toStoreError(op: string, e: unknown): ThreadStoreError {
  if (e instanceof ThreadStoreError) return e;
  const err = new ThreadStoreError("internal", `${op} failed: ${(e as Error)?.message ?? String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}
