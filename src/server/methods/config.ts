// config/read (the effective layered config, src/config/effective.ts, with each setting's origin
// and, on request, the layers), configRequirements/read, and what Codex sends a connection right
// after `initialize`: `configWarning` for each config problem, then `remoteControl/status/changed`.
// The config is re-read from disk on every request, as Codex does, so edits show at once.
import { hostname } from "node:os";
import { join } from "node:path";
import { diagnoseConfig, type ConfigWarning } from "../../config/diagnostics.js";
import { effectiveConfig } from "../../config/effective.js";
import { installationId } from "../../config/installation-id.js";
import { originsOf, readLayers, readTomlText } from "../../config/layers.js";
import { INTERNAL_ERROR, RpcError } from "../errors.js";
import type { MethodRegistrar } from "./registrar.js";
import { optionalBool, optionalString, paramsObject } from "./serde-params.js";

export interface ConfigService {
  home: string;
}

function diagnose(home: string) {
  const file = join(home, "config.toml");
  return diagnoseConfig(file, readTomlText(file));
}

export function registerConfigMethods(r: MethodRegistrar, svc: ConfigService): void {
  r.register("config/read", (raw) => {
    const p = paramsObject(raw);
    const includeLayers = optionalBool(p, "includeLayers") ?? false;
    // project layers (`.codex/config.toml` in trusted projects) are not read: `cwd` changes nothing yet
    optionalString(p, "cwd");
    const { invalid } = diagnose(svc.home);
    if (invalid) throw new RpcError(INTERNAL_ERROR, invalid.readError);
    const layers = readLayers(svc.home);
    const answer = { config: effectiveConfig(layers), origins: originsOf(layers) };
    // Codex leaves `layers` out unless asked for
    return includeLayers ? { ...answer, layers } : answer;
  });

  r.register("configRequirements/read", () => ({
    // Spool has no service tiers, so no speed modes to set apart from the model
    supportsIndependentSpeedModes: false,
    // no administrator requirements (Codex reads them from managed config Spool does not have)
    requirements: null,
  }));
}

/** The notifications Codex sends a connection after its `initialize` answer, in order. */
export function greetingNotifications(svc: ConfigService): Array<{ method: string; params: unknown }> {
  const d = diagnose(svc.home);
  const warnings: ConfigWarning[] = d.invalid ? [d.invalid.warning] : d.warnings;
  return [
    ...warnings.map((w) => ({ method: "configWarning", params: w })),
    // remote control (pairing this server with ChatGPT) is Codex's cloud feature: always disabled here
    { method: "remoteControl/status/changed", params: { status: "disabled", serverName: hostname(), installationId: installationId(svc.home), environmentId: null } },
  ];
}
