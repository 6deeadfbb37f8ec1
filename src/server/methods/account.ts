// account/read, getAuthStatus, account/login/start (API keys), account/logout,
// account/rateLimits/read, account/bedrock/checkGovCloudRequirements: from `<home>/auth.json`
// (src/account) and the configured provider, with Codex 0.169.0's shapes, notifications
// (`account/login/completed`, then `account/updated`; a logout always sends `account/updated`)
// and errors.
import { accountRead, authStatus, rateLimitsError, requiresOpenaiAuth } from "../../account/account.js";
import { readAuth, removeAuth, writeApiKeyAuth } from "../../account/auth-file.js";
import { invalidRequest } from "../errors.js";
import type { MethodRegistrar } from "./registrar.js";
import { optionalBool, paramsObject, requiredString, variantTag } from "./serde-params.js";

export interface AccountService {
  home: string;
  /** The configured provider: its id and its config.toml table (null for a built-in). */
  provider(): { id: string; table: Record<string, unknown> | null };
  /** A notification to every initialized connection. */
  broadcast(method: string, params: unknown): void;
  /** Runs `fn` after the current answer is written. */
  afterResponse(result: unknown, fn: () => void): unknown;
}

const LOGIN_TYPES = ["apiKey", "chatgpt", "chatgptDeviceCode", "chatgptAuthTokens", "amazonBedrock", "amazonBedrockAccessKeys"] as const;

export function registerAccountMethods(r: MethodRegistrar, svc: AccountService): void {
  const needs = () => {
    const p = svc.provider();
    return { requiresOpenaiAuth: requiresOpenaiAuth(p.id, p.table) };
  };

  r.register("account/read", (raw) => {
    optionalBool(paramsObject(raw), "refreshToken");
    return accountRead(readAuth(svc.home), needs());
  });

  r.register("getAuthStatus", (raw) => {
    const p = paramsObject(raw);
    const includeToken = optionalBool(p, "includeToken") ?? false;
    optionalBool(p, "refreshToken");
    return authStatus(readAuth(svc.home), needs(), includeToken);
  });

  r.register("account/login/start", (raw) => {
    const p = paramsObject(raw);
    const type = variantTag(p, LOGIN_TYPES);
    // Spool stores API keys only: the ChatGPT and cloud logins need OpenAI's / AWS's services
    if (type !== "apiKey") throw invalidRequest(`login type \`${type}\` is not supported by this server; log in with an API key`);
    const apiKey = requiredString(p, "apiKey");
    if (apiKey.trim() === "") throw invalidRequest("API key must not be empty");
    writeApiKeyAuth(svc.home, apiKey);
    return svc.afterResponse({ type: "apiKey" }, () => {
      svc.broadcast("account/login/completed", { loginId: null, success: true, error: null, onboardingEntrypoint: null });
      svc.broadcast("account/updated", { authMode: "apikey", planType: null });
    });
  });

  r.register("account/logout", () => {
    removeAuth(svc.home);
    return svc.afterResponse({}, () => svc.broadcast("account/updated", { authMode: null, planType: null }));
  });

  r.register("account/rateLimits/read", (raw) => {
    const p = paramsObject(raw);
    optionalBool(p, "supportsLunaReserve");
    optionalBool(p, "excludeResetCreditDetails");
    throw invalidRequest(rateLimitsError(readAuth(svc.home)));
  });

  r.register("account/bedrock/checkGovCloudRequirements", () => {
    // GovCloud applies to an Amazon Bedrock provider in a us-gov region; Spool serves no Bedrock provider
    const aws = svc.provider().table?.aws as { region?: unknown } | undefined;
    const isGovCloud = typeof aws?.region === "string" && aws.region.startsWith("us-gov-");
    return { isGovCloud, shouldWarn: false };
  });
}
