// Turn methods on a loaded thread: turn/start (answers at once with the new in-progress turn;
// while a turn runs, the input joins it, as Codex does), turn/steer, and turn/interrupt (answered
// once the turn has really stopped, just before its interrupted `turn/completed`).
import path from "node:path";
import { z } from "zod";
import type { AppServer } from "../app.js";
import { decodeParams, parseThreadId } from "../params.js";
import { invalidRequest, RpcError, INVALID_PARAMS } from "../errors.js";
import { uuidv7 } from "../../agent/ids.js";
import type { TurnSettings, UserInput } from "../../agent/index.js";
import type { Json } from "../../rollout/line.js";
import type { LoadedThread } from "../loaded-thread.js";
import { approvalPolicyOf, sandboxModeOf, workspaceWriteOf } from "../thread-view.js";

/** Codex's limit on the text of one turn's input (2^20 characters). */
export const MAX_INPUT_CHARS = 1 << 20;

const TextElement = z.unknown();
const UserInputSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string(), text_elements: z.array(TextElement).optional(), textElements: z.array(TextElement).optional() }).passthrough(),
  z.object({ type: z.literal("image"), url: z.string() }).passthrough(),
  z.object({ type: z.literal("localImage"), path: z.string() }).passthrough(),
  z.object({ type: z.literal("skill"), name: z.string(), path: z.string() }).passthrough(),
  z.object({ type: z.literal("mention"), name: z.string(), path: z.string() }).passthrough(),
]);

const TurnStartParams = z
  .object({
    threadId: z.string(),
    input: z.array(UserInputSchema),
    cwd: z.string().nullish(),
    approvalPolicy: z.unknown().optional(),
    sandboxPolicy: z.unknown().optional(),
    permissions: z.string().nullish(),
    model: z.string().nullish(),
    effort: z.string().nullish(),
    summary: z.string().nullish(),
    collaborationMode: z.object({ mode: z.enum(["default", "plan"]) }).passthrough().nullish(),
  })
  .passthrough();

const TurnSteerParams = z.object({ threadId: z.string(), input: z.array(UserInputSchema), expectedTurnId: z.string() }).passthrough();
const TurnInterruptParams = z.object({ threadId: z.string(), turnId: z.string() }).passthrough();

type RawInput = z.infer<typeof UserInputSchema>;

/** The engine's input: skills and mentions become text the model reads (Spool has neither). */
function engineInput(input: RawInput[]): UserInput[] {
  let chars = 0;
  const out: UserInput[] = [];
  for (const i of input) {
    if (i.type === "text") {
      chars += i.text.length;
      out.push({ type: "text", text: i.text, text_elements: (i.text_elements ?? i.textElements ?? []) as Json[] });
    } else if (i.type === "image") out.push({ type: "image", url: i.url });
    else if (i.type === "localImage") out.push({ type: "localImage", path: i.path });
    else out.push({ type: "text", text: `[${i.type}: ${i.name}](${i.path})` });
  }
  if (chars > MAX_INPUT_CHARS)
    throw new RpcError(INVALID_PARAMS, `Input exceeds the maximum length of ${MAX_INPUT_CHARS} characters.`, { input_error_code: "input_too_large", max_chars: MAX_INPUT_CHARS, actual_chars: chars });
  return out;
}

export function registerTurnMethods(app: AppServer): void {
  /**
   * A loaded thread, or Codex's "thread not found"; when another process is the thread's writer,
   * a conflict naming it (the thread exists, it is just not this server's to run).
   */
  async function loaded(threadId: string): Promise<LoadedThread> {
    const id = parseThreadId(threadId);
    const t = app.threadsIfStarted()?.get(id);
    if (t && !t.closing) return t;
    const foreign = await app.foreignWriter(id);
    if (foreign) throw invalidRequest(foreign);
    throw invalidRequest(`thread not found: ${id}`);
  }

  app.registerThreadScoped("turn/start", async (raw) => {
    const p = decodeParams(TurnStartParams, raw);
    const t = await loaded(p.threadId);
    if (p.sandboxPolicy != null && p.permissions != null) throw invalidRequest("`sandboxPolicy` and `permissions` cannot both be set");
    const input = engineInput(p.input);
    const o: Partial<TurnSettings> = {};
    if (p.cwd) o.cwd = path.resolve(t.settings.cwd, p.cwd);
    const approval = approvalPolicyOf(p.approvalPolicy);
    if (approval) o.approvalPolicy = approval;
    const sandbox = sandboxModeOf(p.sandboxPolicy);
    if (sandbox) o.sandboxMode = sandbox;
    const workspaceWrite = workspaceWriteOf(p.sandboxPolicy);
    if (workspaceWrite) o.workspaceWrite = workspaceWrite;
    if (p.model) o.model = p.model;
    if (p.effort) o.reasoningEffort = p.effort;
    if (p.summary) o.reasoningSummary = p.summary;
    if (p.collaborationMode) o.collaborationMode = p.collaborationMode.mode;
    return t.startTurn(input, o, uuidv7());
  });

  app.registerThreadScoped("turn/steer", async (raw) => {
    const p = decodeParams(TurnSteerParams, raw);
    const t = await loaded(p.threadId);
    return t.steer(engineInput(p.input), p.expectedTurnId);
  });

  // serialized up to the interrupt request only: the answer waits for the turn to stop, the
  // thread's next requests do not
  app.register("turn/interrupt", async (raw) => {
    const p = decodeParams(TurnInterruptParams, raw);
    const { wait } = await app.serializeThread(p.threadId.toLowerCase(), async () => ({ wait: (await loaded(p.threadId)).interrupt(p.turnId) }));
    return wait;
  });
}
