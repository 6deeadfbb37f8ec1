// Account answers from the stored login and the configured provider (pure). Codex reports an
// account only when the provider needs OpenAI auth (the built-in `openai`, or a provider with
// `requires_openai_auth = true`); for any other provider the account is null even when
// auth.json holds a key.
import type { StoredAuth } from "./auth-file.js";

export interface ProviderAuthNeeds {
  requiresOpenaiAuth: boolean;
}

/** Whether the provider `id` (with its config table, if any) logs in with an OpenAI account. */
export function requiresOpenaiAuth(id: string, table: Record<string, unknown> | null): boolean {
  if (table) return table.requires_openai_auth === true;
  return id === "openai";
}

export function accountRead(auth: StoredAuth | null, needs: ProviderAuthNeeds) {
  const account = needs.requiresOpenaiAuth && auth?.apiKey ? { type: "apiKey" as const } : null;
  return { account, userId: null, requiresOpenaiAuth: needs.requiresOpenaiAuth, workspaceRouting: null };
}

export function authStatus(auth: StoredAuth | null, needs: ProviderAuthNeeds, includeToken: boolean) {
  const active = needs.requiresOpenaiAuth && auth?.apiKey ? auth : null;
  return {
    authMethod: active ? "apikey" : null,
    authToken: active && includeToken ? active.apiKey : null,
    requiresOpenaiAuth: needs.requiresOpenaiAuth,
  };
}

/** Codex's -32600 message for account/rateLimits/read: rate limits exist only for ChatGPT logins. */
export function rateLimitsError(auth: StoredAuth | null): string {
  return auth ? "chatgpt authentication required to read rate limits" : "codex account authentication required to read rate limits";
}
