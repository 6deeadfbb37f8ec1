// Wires the methods a client calls at start (account, config, models, catalogs, file search)
// to this server's home, config and threads, and greets each new connection the way Codex does
// (configWarning, remoteControl/status/changed) right after its `initialize` answer.
import { readAuth } from "../account/auth-file.js";
import { resolveProvider } from "../agent/config.js";
import { goalsEnabled, type SpoolConfig } from "../config/config.js";
import type { ModelsEndpoint } from "../models/provider-models.js";
import { WithFollowUp } from "./follow-up.js";
import type { MethodRegistrar } from "./methods/registrar.js";
import { registerAccountMethods } from "./methods/account.js";
import { registerCatalogMethods } from "./methods/catalog.js";
import { greetingNotifications, registerConfigMethods } from "./methods/config.js";
import { registerConfigWriteMethods } from "./methods/config-write.js";
import { registerFileMethods } from "./methods/files.js";
import { registerFsMethods, type FsRegistrar } from "./methods/fs.js";
import { registerIntegrationMethods } from "./methods/integrations.js";
import { registerChatgptOnlyMethods } from "./methods/chatgpt-only.js";
import { ImportHistory } from "../external-agent/import-history.js";
import { registerModelMethods } from "./methods/models.js";

type Table = Record<string, unknown>;

/** What the bootstrap methods use of the server (the AppServer provides it). */
export interface BootstrapHost extends MethodRegistrar {
  readonly home: string;
  readonly config: SpoolConfig;
  /** The home's thread index: brought up to date, then asked for a thread. */
  readonly index: { ensureFresh(): Promise<unknown>; get(threadId: string): unknown };
  readonly analytics: { readonly enabled: boolean };
  broadcast(method: string, params: unknown): void;
  /** The loaded threads, when a write method has started them. */
  threadsIfStarted(): { get(threadId: string): unknown } | null;
  /** Runs `fn` for each connection right after its `initialize` answer. */
  onConnectionInitialized(fn: (conn: { notify(method: string, params: unknown): void }) => void): void;
}

function providerTables(app: BootstrapHost): Record<string, Table> {
  const t = app.config.model_providers;
  return t && typeof t === "object" ? (t as Record<string, Table>) : {};
}

/** The provider's `/models` endpoint with its credentials (env_key, bearer token, or the stored API key for OpenAI). */
function modelsEndpoint(app: BootstrapHost, id: string, env: NodeJS.ProcessEnv): ModelsEndpoint | null {
  try {
    const p = resolveProvider(app.config, id, env);
    const token = (p.envKey ? env[p.envKey] : null) || p.bearerToken || (id === "openai" ? readAuth(app.home)?.apiKey : null);
    const headers: Record<string, string> = { ...p.httpHeaders };
    for (const [h, envName] of Object.entries(p.envHttpHeaders)) if (env[envName]) headers[h] = env[envName]!;
    if (token) headers.authorization = `Bearer ${token}`;
    return { baseUrl: p.baseUrl, headers, queryParams: p.queryParams };
  } catch {
    return null;
  }
}

export function registerClientBootstrap(app: BootstrapHost & FsRegistrar, env: NodeJS.ProcessEnv = process.env): void {
  const home = app.home;
  registerAccountMethods(app, {
    home,
    provider: () => ({ id: app.config.modelProvider, table: providerTables(app)[app.config.modelProvider] ?? null }),
    broadcast: (method, params) => app.broadcast(method, params),
    afterResponse: (result, fn) => new WithFollowUp(result, fn),
  });
  registerConfigMethods(app, { home });
  registerConfigWriteMethods(app, { home });
  registerModelMethods(app, {
    model: () => (typeof app.config.model === "string" ? app.config.model : null),
    reasoningEffort: () => {
      const e = (app.config as Table).model_reasoning_effort;
      return typeof e === "string" ? e : null;
    },
    defaultProvider: () => app.config.modelProvider,
    providerTables: () => providerTables(app),
    endpoint: (id) => modelsEndpoint(app, id, env),
  });
  registerCatalogMethods(app, {
    goalsEnabled: () => goalsEnabled(app.config),
    analyticsEnabled: () => app.analytics.enabled,
    sessionCwd: () => process.cwd(),
    mcpServerNames: () => {
      const t = (app.config as Table).mcp_servers;
      return t && typeof t === "object" ? Object.keys(t) : [];
    },
    threadExists: async (id) => {
      if (app.threadsIfStarted()?.get(id)) return true;
      await app.index.ensureFresh();
      return app.index.get(id) != null;
    },
  });
  registerFileMethods(app);
  registerFsMethods(app);
  registerChatgptOnlyMethods(app);
  registerIntegrationMethods(app, {
    provider: () => {
      const id = app.config.modelProvider;
      const name = providerTables(app)[id]?.name;
      return { id, name: typeof name === "string" ? name : id === "openai" ? "OpenAI" : id };
    },
    imports: new ImportHistory(home),
    broadcast: (method, params) => app.broadcast(method, params),
    afterResponse: (result, fn) => new WithFollowUp(result, fn),
  });
  app.onConnectionInitialized((conn) => {
    for (const n of greetingNotifications({ home })) conn.notify(n.method, n.params);
  });
}
