// thread/compact/start: compacts a loaded thread's conversation in a turn of its own (progress
// arrives as turn/* and item/* notifications with one contextCompaction item); answers `{}`.
import { z } from "zod";
import { decodeParams, parseThreadId } from "../params.js";
import { invalidRequest } from "../errors.js";
import type { WithFollowUp } from "../follow-up.js";

/** What the handler needs: the loaded thread that compacts. */
export interface CompactionService {
  registerThreadScoped(method: string, handler: (params: unknown) => Promise<unknown>): void;
  loadedThread(threadId: string): { closing: boolean; startCompaction(): Promise<WithFollowUp> } | undefined;
}

const CompactParams = z.object({ threadId: z.string() }).passthrough();

export function registerCompactionMethods(app: CompactionService): void {
  app.registerThreadScoped("thread/compact/start", async (raw) => {
    const p = decodeParams(CompactParams, raw);
    const id = parseThreadId(p.threadId);
    const t = app.loadedThread(id);
    if (!t || t.closing) throw invalidRequest(`thread not found: ${id}`);
    return t.startCompaction();
  });
}
