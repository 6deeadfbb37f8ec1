// request_user_input: the model asks the user one to three short multiple-choice questions and
// waits. The question goes to the client as Codex's server request `item/tool/requestUserInput`
// (every question gets a free-form "other" answer), and the client's answer
// (`{"answers": {"<id>": {"answers": [...]}}}`) is the tool's output. Like Codex, it is only
// available in Plan mode; other modes, missing options and a cancelled request answer the model
// with Codex's messages.
import type { JsonObject } from "../../rollout/line.js";
import type { FunctionTool, ToolContext } from "./registry.js";

export const REQUEST_USER_INPUT_SPEC: JsonObject = {
  type: "function",
  name: "request_user_input",
  description:
    "Ask the user one to three short multiple-choice questions and wait for the answers. Tell the user in a message what you need decided and why before calling it. Only works in Plan mode.",
  strict: false,
  parameters: {
    type: "object",
    properties: {
      questions: {
        type: "array",
        description: "The questions, usually one and never more than three.",
        items: {
          type: "object",
          properties: {
            header: { type: "string", description: "A label of at most 12 characters shown above the question." },
            id: { type: "string", description: "A snake_case id the answer is keyed by." },
            options: {
              type: "array",
              description: "Two or three distinct choices, the recommended one first with \"(Recommended)\" after its label. The user can always answer in their own words, so no \"Other\" choice.",
              items: {
                type: "object",
                properties: {
                  description: { type: "string", description: "One sentence on what choosing this means." },
                  label: { type: "string", description: "The choice, in one to five words." },
                },
                required: ["label", "description"],
                additionalProperties: false,
              },
            },
            question: { type: "string", description: "The question, in one sentence." },
          },
          required: ["id", "header", "question", "options"],
          additionalProperties: false,
        },
      },
    },
    required: ["questions"],
    additionalProperties: false,
  },
};

/** A v2 ToolRequestUserInputQuestion. */
interface Question extends JsonObject {
  id: string;
  header: string;
  question: string;
  isOther: boolean;
  isSecret: boolean;
  options: Array<{ label: string; description: string }> | null;
}

const isObj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Decodes the questions like Codex's serde struct (a missing field is an error the model reads). */
function questionsOf(args: JsonObject): Question[] {
  if (!Array.isArray(args.questions)) throw new Error("missing field `questions`");
  return args.questions.map((q) => {
    if (!isObj(q)) throw new Error("invalid type: expected struct RequestUserInputQuestion");
    for (const f of ["id", "header", "question"]) if (typeof q[f] !== "string") throw new Error(`missing field \`${f}\``);
    const options = Array.isArray(q.options) ? q.options.filter(isObj).map((o) => ({ label: String(o.label ?? ""), description: String(o.description ?? "") })) : null;
    return { id: q.id as string, header: q.header as string, question: q.question as string, isOther: true, isSecret: q.isSecret === true, options };
  });
}

const MODE_NAMES: Record<string, string> = { default: "Default", plan: "Plan" };

export function requestUserInputTool(): FunctionTool {
  return {
    name: "request_user_input",
    spec: REQUEST_USER_INPUT_SPEC,
    async handle(args: JsonObject, ctx: ToolContext) {
      if (ctx.collaborationMode !== "plan") return { output: `request_user_input is unavailable in ${MODE_NAMES[ctx.collaborationMode] ?? ctx.collaborationMode} mode` };
      let questions: Question[];
      try {
        questions = questionsOf(args);
      } catch (e) {
        return { output: `failed to parse function arguments: ${(e as Error).message}` };
      }
      if (questions.some((q) => !q.options || q.options.length === 0)) return { output: "request_user_input requires non-empty options for every question" };
      const answer = await ctx.requestUserInput({ threadId: ctx.threadId, turnId: ctx.turnId, itemId: ctx.callId, questions, isBlocking: true, autoResolutionMs: null });
      if (!answer) return { output: "request_user_input was cancelled before receiving a response" };
      return { output: JSON.stringify({ answers: isObj(answer.answers) ? answer.answers : {} }) };
    },
  };
}
