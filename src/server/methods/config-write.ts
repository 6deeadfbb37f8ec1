// config/value/write and config/batchWrite (the user's config.toml, edited in place keeping its
// comments and layout: src/config/edits.ts, written atomically), experimentalFeature/enablement/set
// and config/mcpServer/reload, with Codex 0.169.0's answers and errors.
import path from "node:path";
import { applyConfigEdits, validKeyPath, type ConfigEdit, type MergeStrategy } from "../../config/edits.js";
import { replaceFileAtomically } from "../../config/config-file.js";
import { layerVersion, parseToml, readTomlText } from "../../config/layers.js";
import { invalidRequest } from "../errors.js";
import type { MethodRegistrar } from "./registrar.js";
import { missingField, optionalString, paramsObject, type Params } from "./serde-params.js";

export interface ConfigWriteService {
  home: string;
}

const STRATEGIES: readonly MergeStrategy[] = ["replace", "upsert"];

const writeError = (code: string, message: string) => invalidRequest(message, { config_write_error_code: code });

function edit(p: Params): ConfigEdit {
  for (const f of ["keyPath", "value", "mergeStrategy"]) if (!(f in p)) throw missingField(f);
  const keyPath = p.keyPath;
  if (typeof keyPath !== "string") throw invalidRequest("Invalid request: invalid type: expected a string for keyPath");
  const mergeStrategy = p.mergeStrategy as MergeStrategy;
  if (!STRATEGIES.includes(mergeStrategy))
    throw invalidRequest(`Invalid request: unknown variant \`${String(mergeStrategy)}\`, expected \`replace\` or \`upsert\``);
  if (!validKeyPath(keyPath)) throw writeError("configPathNotFound", `Invalid key path: ${keyPath}`);
  return { keyPath, value: p.value, mergeStrategy };
}

export function registerConfigWriteMethods(r: MethodRegistrar, svc: ConfigWriteService): void {
  const userFile = path.join(svc.home, "config.toml");

  const write = (p: Params, edits: ConfigEdit[]) => {
    const filePath = optionalString(p, "filePath");
    // only the user layer is writable here (the system layer belongs to the administrator)
    if (filePath !== null && path.resolve(filePath) !== userFile) throw writeError("configLayerReadonly", `Only the user config.toml can be written: ${userFile}`);
    const expected = optionalString(p, "expectedVersion");
    const before = readTomlText(userFile) ?? "";
    if (expected !== null && expected !== layerVersion(parseToml(before)))
      throw writeError("configVersionConflict", "Configuration was modified since last read. Fetch latest version and retry.");
    let after: string;
    try {
      after = applyConfigEdits(before, edits);
    } catch (e) {
      throw writeError("configValidationError", `Invalid configuration: ${(e as Error).message}`);
    }
    // config/read re-reads the file at once; the running server's own settings (model, provider) apply at its next start
    replaceFileAtomically(userFile, after);
    return { status: "ok", version: layerVersion(parseToml(after)), filePath: userFile, overriddenMetadata: null };
  };

  r.register("config/value/write", (raw) => {
    const p = paramsObject(raw);
    return write(p, [edit(p)]);
  });

  r.register("config/batchWrite", (raw) => {
    const p = paramsObject(raw);
    if (!("edits" in p)) throw missingField("edits");
    if (!Array.isArray(p.edits)) throw invalidRequest("Invalid request: invalid type: expected a sequence for edits");
    return write(p, p.edits.map((e) => edit(paramsObject(e))));
  });

  r.register("experimentalFeature/enablement/set", (raw) => {
    const p = paramsObject(raw);
    if (!("enablement" in p)) throw missingField("enablement");
    const e = p.enablement;
    if (typeof e !== "object" || e === null || Array.isArray(e)) throw invalidRequest("Invalid request: invalid type: expected a map for enablement");
    for (const v of Object.values(e)) if (typeof v !== "boolean") throw invalidRequest("Invalid request: invalid type: expected a boolean");
    // Codex toggles only its runtime-switchable features and echoes those it changed; Spool's
    // features (goals, analytics) are set in config.toml, so none changes at run time
    return { enablement: {} };
  });

  // Spool starts no MCP servers (mcpServerStatus/list lists them unstarted): nothing to reload
  r.register("config/mcpServer/reload", () => ({}));
}
