// What Codex answers offline about integrations Spool does not run, from Spool's real state:
// apps and plugins (none installed, nothing to upgrade or reconcile), the Windows sandbox (not on
// this platform), account security notices and gateway OAuth (the configured provider needs
// none), and external agent config imports (recorded in the home, src/external-agent/).
import { randomUUID } from "node:crypto";
import type { ImportHistory } from "../../external-agent/import-history.js";
import { invalidRequest } from "../errors.js";
import type { MethodRegistrar } from "./registrar.js";
import { missingField, optionalString, paramsObject, requiredString, stringList } from "./serde-params.js";

export interface IntegrationsService {
  /** The configured provider's id and display name. */
  provider(): { id: string; name: string };
  imports: ImportHistory;
  broadcast(method: string, params: unknown): void;
  /** The answer, with `fn` to run once it is sent. */
  afterResponse(result: unknown, fn: () => void): unknown;
}

const SANDBOX_MODES = ["elevated", "unelevated"];

export function registerIntegrationMethods(r: MethodRegistrar, svc: IntegrationsService): void {
  r.register("app/read", (raw) => {
    const ids = stringList(paramsObject(raw), "appIds", true)!;
    // no app is installed, so every requested id is missing
    return { apps: [], missingAppIds: ids };
  });
  r.register("app/installed", () => ({ apps: [] }));

  r.register("marketplace/upgrade", (raw) => {
    const name = optionalString(paramsObject(raw), "marketplaceName");
    if (name !== null) throw invalidRequest(`marketplace \`${name}\` is not configured as a Git marketplace`);
    return { selectedMarketplaces: [], upgradedRoots: [], errors: [] };
  });
  r.register("plugin/reconcile", () => ({ changedPlugins: [], failedRemotePluginIds: [], failedMaterializationRemotePluginIds: [] }));

  r.register("windowsSandbox/readiness", () => ({ status: "notConfigured" }));
  r.register("windowsSandbox/setupStart", (raw) => {
    const mode = requiredString(paramsObject(raw), "mode");
    if (!SANDBOX_MODES.includes(mode)) throw invalidRequest(`Invalid request: unknown variant \`${mode}\`, expected \`elevated\` or \`unelevated\``);
    // like Codex off Windows: the setup starts, then reports that it cannot run here (unelevated is Codex's legacy setup)
    if (process.platform === "win32") throw invalidRequest("the Windows sandbox setup is not supported by this server");
    return svc.afterResponse({ started: true }, () =>
      svc.broadcast("windowsSandbox/setupCompleted", { mode, success: false, error: `${mode === "elevated" ? "elevated" : "legacy"} Windows sandbox setup is only supported on Windows` }),
    );
  });

  r.register("account/securitySetup/read", () => ({ notice: null }));
  r.register("account/gatewayOAuth/read", () => {
    const p = svc.provider();
    return { providerId: p.id, providerName: p.name, required: false, supportsDeviceAuth: false, status: null, error: null };
  });
  r.register("account/gatewayOAuth/cancel", () => ({}));

  r.register("externalAgentConfig/import", (raw) => {
    const p = paramsObject(raw);
    if (!("migrationItems" in p)) throw missingField("migrationItems");
    if (!Array.isArray(p.migrationItems)) throw invalidRequest("Invalid request: invalid type: expected a sequence for migrationItems");
    if (p.migrationItems.length) throw invalidRequest("importing external agent configs is not supported by this server");
    return { importId: randomUUID() };
  });
  r.register("externalAgentConfig/import/recordHistory", (raw) => {
    const p = paramsObject(raw);
    const providerId = requiredString(p, "providerId");
    if (!("itemTypeResults" in p)) throw missingField("itemTypeResults");
    if (!Array.isArray(p.itemTypeResults)) throw invalidRequest("Invalid request: invalid type: expected a sequence for itemTypeResults");
    const results = p.itemTypeResults as Array<{ successes?: unknown[]; failures?: unknown[] }>;
    const importId = randomUUID();
    svc.imports.record({ importId, providerId, completedAtMs: Date.now(), successes: results.flatMap((t) => t.successes ?? []), failures: results.flatMap((t) => t.failures ?? []) });
    return { importId };
  });
  r.register("externalAgentConfig/import/readHistories", () => ({ data: svc.imports.all(), connectors: [] }));
}
