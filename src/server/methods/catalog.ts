// The catalogs a client reads at start, answered from what Spool really has (Codex 0.169.0's
// shapes): collaboration mode presets, the built-in permission profiles (Spool's sandbox modes),
// Spool's feature switches, and the empty lists of what Spool does not run: hooks, plugins and
// marketplaces, apps, MCP servers (listed, never started), importable external agent configs, background terminals
// (empty until interactive exec exists).
import { parseThreadId } from "../params.js";
import { invalidRequest } from "../errors.js";
import type { MethodRegistrar } from "./registrar.js";
import { optionalBool, optionalCount, optionalString, pageOf, paramsObject, requiredString, stringList } from "./serde-params.js";

export interface CatalogService {
  /** Whether thread goals are on (`[goals] enabled`). */
  goalsEnabled(): boolean;
  /** Whether local analytics are on (`[analytics] enabled`, SPOOL_ANALYTICS). */
  analyticsEnabled(): boolean;
  /** The server's working directory (hooks/list without cwds). */
  sessionCwd(): string;
  /** The names of config.toml's `[mcp_servers.*]`. */
  mcpServerNames(): string[];
  /** Whether a thread with this (lowercase) id exists. */
  threadExists(threadId: string): Promise<boolean>;
}

/** Codex's two collaboration presets; Spool runs both as ordinary turns. */
const COLLABORATION_MODES = [
  { name: "Plan", mode: "plan", model: null, reasoning_effort: "medium" },
  { name: "Default", mode: "default", model: null, reasoning_effort: null },
];

/** The built-in profiles: one per sandbox mode the agent enforces. */
const PERMISSION_PROFILES = [":read-only", ":workspace", ":danger-full-access"].map((id) => ({ id, description: null, allowed: true }));

const MCP_NOT_STARTED = "MCP servers are not started by this server (Spool has no MCP client)";

function feature(name: string, enabled: boolean) {
  return { name, stage: "stable", displayName: null, description: null, announcement: null, enabled, defaultEnabled: true };
}

export function registerCatalogMethods(r: MethodRegistrar, svc: CatalogService): void {
  r.register("collaborationMode/list", () => ({ data: COLLABORATION_MODES }));

  r.register("permissionProfile/list", (raw) => {
    const p = paramsObject(raw);
    optionalString(p, "cwd");
    return pageOf(PERMISSION_PROFILES, optionalString(p, "cursor"), optionalCount(p, "limit"));
  });

  r.register("experimentalFeature/list", (raw) => {
    const p = paramsObject(raw);
    optionalString(p, "threadId");
    const features = [feature("goals", svc.goalsEnabled()), feature("analytics", svc.analyticsEnabled())];
    return pageOf(features, optionalString(p, "cursor"), optionalCount(p, "limit"));
  });

  r.register("hooks/list", (raw) => {
    const p = paramsObject(raw);
    const cwds = stringList(p, "cwds", false);
    if (cwds && optionalString(p, "threadId")) throw invalidRequest("hooks/list accepts either cwds or threadId, not both");
    const dirs = cwds && cwds.length ? cwds : [svc.sessionCwd()];
    // Spool runs no lifecycle hooks, so every directory has none
    return { data: dirs.map((cwd) => ({ cwd, hooks: [], warnings: [], errors: [] })) };
  });

  r.register("plugin/installed", (raw) => {
    const p = paramsObject(raw);
    stringList(p, "cwds", false);
    stringList(p, "installSuggestionPluginNames", false);
    return { marketplaces: [], marketplaceLoadErrors: [] };
  });

  r.register("plugin/list", (raw) => {
    stringList(paramsObject(raw), "cwds", false);
    return { marketplaces: [], marketplaceLoadErrors: [], featuredPluginIds: [] };
  });

  r.register("app/list", (raw) => {
    const p = paramsObject(raw);
    optionalBool(p, "forceRefetch");
    return pageOf([], optionalString(p, "cursor"), optionalCount(p, "limit"));
  });

  r.register("mcpServerStatus/list", (raw) => {
    const p = paramsObject(raw);
    // configured servers are listed as they are: never started, so without tools
    const servers = [...svc.mcpServerNames()].sort().map((name) => ({
      name,
      authStatus: "unsupported",
      httpOrigin: null,
      pluginId: null,
      resourceTemplates: [],
      resources: [],
      runtimeStatus: null,
      serverCapabilities: null,
      serverInfo: null,
      toolListMeta: null,
      tools: {},
      toolsError: MCP_NOT_STARTED,
    }));
    return pageOf(servers, optionalString(p, "cursor"), optionalCount(p, "limit"));
  });

  r.register("externalAgentConfig/detect", (raw) => {
    const p = paramsObject(raw);
    optionalBool(p, "includeHome");
    stringList(p, "cwds", false);
    return { items: [], connectors: [] };
  });

  r.register("thread/backgroundTerminals/list", async (raw) => {
    const p = paramsObject(raw);
    const id = parseThreadId(requiredString(p, "threadId"));
    if (!(await svc.threadExists(id))) throw invalidRequest(`thread not found: ${id}`);
    return pageOf([], optionalString(p, "cursor"), optionalCount(p, "limit"));
  });
}
