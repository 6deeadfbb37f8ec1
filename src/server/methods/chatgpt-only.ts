// Methods that need a ChatGPT account (usage, workspace messages, credits, the remote plugin
// catalog). Spool signs in with API keys only, so it refuses them as Codex does without one:
// -32600 with Codex's wording.
import { invalidRequest } from "../errors.js";
import type { MethodRegistrar } from "./registrar.js";
import { paramsObject } from "./serde-params.js";

const REFUSALS: Record<string, string> = {
  "account/usage/read": "codex account authentication required to read token usage",
  "account/workspaceMessages/read": "codex account authentication required to read workspace messages",
  "account/rateLimitResetCredit/consume": "codex account authentication required for rate limit reset credits",
  "account/sendAddCreditsNudgeEmail": "codex account authentication required to notify workspace owner",
  "plugin/share/list": "list remote plugin shares: chatgpt authentication required for remote plugin catalog",
  "plugin/share/save": "save remote plugin share: chatgpt authentication required for remote plugin catalog",
  "plugin/share/updateTargets": "update remote plugin share targets: chatgpt authentication required for remote plugin catalog",
  "plugin/share/checkout": "checkout plugin share: chatgpt authentication required for remote plugin catalog",
  "plugin/share/delete": "delete remote plugin share: chatgpt authentication required for remote plugin catalog",
};

export function registerChatgptOnlyMethods(r: MethodRegistrar): void {
  for (const [method, message] of Object.entries(REFUSALS))
    r.register(method, (raw) => {
      paramsObject(raw);
      throw invalidRequest(message);
    });
}
