// view_image: the model looks at a local image. The file (relative to the turn's cwd) goes back as
// the call's output, an `input_image` content item with a data URL, as Codex sends it; the client
// sees an imageView item. A file that cannot be read answers Codex's message.
import fs from "node:fs";
import path from "node:path";
import type { JsonObject } from "../../rollout/line.js";
import type { ThreadItem } from "../../protocol/v2.js";
import type { FunctionTool, ToolContext } from "./registry.js";

export const VIEW_IMAGE_SPEC: JsonObject = {
  type: "function",
  name: "view_image",
  description: "Look at an image file on the local disk (a screenshot, a diagram, a rendered page) when seeing it helps with the task.",
  strict: false,
  parameters: {
    type: "object",
    properties: { path: { type: "string", description: "Path of the image file, absolute or relative to the working directory." } },
    required: ["path"],
    additionalProperties: false,
  },
};

const MIME: Record<string, string> = { ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".bmp": "image/bmp" };

/** The io error text as Codex (Rust) words it. */
function ioMessage(e: NodeJS.ErrnoException): string {
  if (e.code === "ENOENT") return "No such file or directory (os error 2)";
  if (e.code === "EACCES") return "Permission denied (os error 13)";
  if (e.code === "EISDIR") return "Is a directory (os error 21)";
  return e.message;
}

export function viewImageTool(): FunctionTool {
  return {
    name: "view_image",
    spec: VIEW_IMAGE_SPEC,
    async handle(args: JsonObject, ctx: ToolContext) {
      if (typeof args.path !== "string") return { output: "failed to parse function arguments: missing field `path`" };
      const abs = path.resolve(ctx.cwd, args.path);
      let bytes: Buffer;
      try {
        if (fs.statSync(abs).isDirectory()) return { output: `image path \`${abs}\` is not a file` };
        bytes = fs.readFileSync(abs);
      } catch (e) {
        return { output: `unable to locate image at \`${abs}\`: ${ioMessage(e as NodeJS.ErrnoException)}` };
      }
      const at = ctx.now();
      const item = { type: "imageView", id: ctx.callId, path: abs } as ThreadItem;
      ctx.notify({ method: "item/started", params: { item: { ...item, startedAtMs: at, completedAtMs: null } as ThreadItem, threadId: ctx.threadId, turnId: ctx.turnId, startedAtMs: at } });
      ctx.notify({ method: "item/completed", params: { item: { ...item, startedAtMs: at, completedAtMs: at } as ThreadItem, threadId: ctx.threadId, turnId: ctx.turnId, contentTokenCount: null, completedAtMs: at } });
      const mime = MIME[path.extname(abs).toLowerCase()] ?? "application/octet-stream";
      return { output: abs, contentItems: [{ type: "input_image", image_url: `data:${mime};base64,${bytes.toString("base64")}`, detail: "high" }] };
    },
  };
}
