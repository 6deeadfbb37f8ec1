// model/list (the provider's own `/models` list, else the configured model: src/models),
// modelProvider/list and modelProvider/capabilities/read, from config.toml's providers plus
// the built-in `openai`, with Codex 0.169.0's shapes and errors.
import { fetchProviderModelIds, modelList, type ModelsEndpoint } from "../../models/provider-models.js";
import { RpcError, INVALID_REQUEST } from "../errors.js";
import type { MethodRegistrar } from "./registrar.js";
import { optionalBool, optionalCount, optionalString, pageOf, paramsObject } from "./serde-params.js";

type Table = Record<string, unknown>;

export interface ModelsService {
  /** The configured model (null: none set). */
  model(): string | null;
  reasoningEffort(): string | null;
  /** The default provider's id. */
  defaultProvider(): string;
  /** config.toml's `[model_providers.*]` tables. */
  providerTables(): Record<string, Table>;
  /** How to reach provider `id`'s `/models`, or null when it cannot be reached (no base URL…). */
  endpoint(id: string): ModelsEndpoint | null;
  fetchModelIds?: (ep: ModelsEndpoint) => Promise<string[] | null>;
}

const BUILT_IN = "openai";

function notConfigured(id: string): RpcError {
  return new RpcError(
    INVALID_REQUEST,
    `This chat uses model provider “${id}”, which is no longer configured. Restore this provider’s configuration to continue.`,
    { type: "modelProviderNotConfigured", modelProvider: id },
  );
}

function providerSummary(id: string, t: Table) {
  const envKey = typeof t.env_key === "string" ? t.env_key : null;
  return {
    id,
    name: typeof t.name === "string" ? t.name : id,
    canEdit: true,
    baseUrl: typeof t.base_url === "string" ? t.base_url : null,
    settings: { type: "customGateway", auth: envKey ? { mode: "environmentVariable", envKey } : { mode: "none" } },
  };
}

export function registerModelMethods(r: MethodRegistrar, svc: ModelsService): void {
  const fetchIds = svc.fetchModelIds ?? fetchProviderModelIds;

  r.register("model/list", async (raw) => {
    const p = paramsObject(raw);
    const id = optionalString(p, "modelProvider") ?? svc.defaultProvider();
    const cursor = optionalString(p, "cursor");
    const limit = optionalCount(p, "limit");
    const includeHidden = optionalBool(p, "includeHidden") ?? false;
    if (id !== BUILT_IN && !(id in svc.providerTables())) throw notConfigured(id);
    const ep = svc.endpoint(id);
    const ids = ep ? await fetchIds(ep) : null;
    // the configured model belongs to the default provider only
    const configured = id === svc.defaultProvider() ? svc.model() : null;
    const models = modelList(ids, configured, svc.reasoningEffort()).filter((m) => includeHidden || !m.hidden);
    return pageOf(models, cursor, limit);
  });

  r.register("modelProvider/list", () => {
    const tables = svc.providerTables();
    const data: unknown[] = Object.entries(tables)
      .filter(([id]) => id !== BUILT_IN)
      .map(([id, t]) => providerSummary(id, t));
    data.push({ id: BUILT_IN, name: "OpenAI", canEdit: false, baseUrl: null, settings: { type: "openai" } });
    return { data, defaultProviderId: svc.defaultProvider(), canChangeDefault: true };
  });

  r.register("modelProvider/capabilities/read", () => ({
    // the agent has a web_search tool but no image generation tool
    imageGeneration: false,
    webSearch: true,
  }));
}
