// thread/inject_items: raw Responses API items appended to a loaded thread's model history, with
// Codex 0.169.0's checks and errors (all -32600), in its order: a malformed id ("invalid thread
// id: <uuid crate's reason>"), a thread that is not loaded ("thread not found: <id>"), then the
// items ("items must not be empty", "items[<i>] is not a valid response item: <reason>").
// The answer is `{}`; the next model request carries the items.
import { z } from "zod";
import type { JsonObject } from "../../rollout/line.js";
import { decodeParams, parseThreadId } from "../params.js";
import { invalidRequest } from "../errors.js";

/** What thread/inject_items needs: a loaded thread's history, by id. */
export interface InjectItemsService {
  /** The loaded thread's history sink, or undefined when the thread is not loaded. */
  historyOf(threadId: string): { injectItems(items: readonly JsonObject[]): Promise<void> } | undefined;
}

interface MethodHost {
  registerThreadScoped(method: string, handler: (params: unknown) => unknown): void;
}

const InjectItemsParams = z.object({ threadId: z.string(), items: z.array(z.unknown()) }).passthrough();

/** Why a value is not a response item (serde's words for the cases a client can hit), or null. */
export function responseItemProblem(v: unknown): string | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    const kind = v === null ? "null" : Array.isArray(v) ? "sequence" : typeof v === "string" ? `string ${JSON.stringify(v)}` : typeof v === "number" ? `integer \`${v}\`` : `boolean \`${v}\``;
    return `invalid type: ${kind}, expected internally tagged enum ResponseItem`;
  }
  const type = (v as { type?: unknown }).type;
  if (type === undefined) return "missing field `type`";
  if (typeof type !== "string") return "invalid type: expected a string for field `type`";
  return null;
}

export function registerInjectItemsMethod(host: MethodHost, service: InjectItemsService): void {
  host.registerThreadScoped("thread/inject_items", async (raw) => {
    const p = decodeParams(InjectItemsParams, raw);
    const threadId = parseThreadId(p.threadId);
    const history = service.historyOf(threadId);
    if (!history) throw invalidRequest(`thread not found: ${p.threadId}`);
    if (p.items.length === 0) throw invalidRequest("items must not be empty");
    p.items.forEach((item, i) => {
      const problem = responseItemProblem(item);
      if (problem) throw invalidRequest(`items[${i}] is not a valid response item: ${problem}`);
    });
    await history.injectItems(p.items as JsonObject[]);
    return {};
  });
}
