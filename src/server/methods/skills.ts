// skills/list, skills/extraRoots/set and skills/config/write with Codex 0.169.0's shapes and
// errors: a relative path is "Invalid request: AbsolutePathBuf deserialized without a base path"
// (-32600); config/write needs exactly one of `path` and `name` (-32602). skills/list without
// cwds lists for the server's own working directory; each cwd is answered as given.
import path from "node:path";
import { z } from "zod";
import type { ListedSkill, SkillError, SkillToggle } from "../../skills/index.js";
import { decodeParams } from "../params.js";
import { invalidRequest, INVALID_PARAMS, RpcError } from "../errors.js";

/** What the skills methods need. */
export interface SkillMethodsService {
  list(cwd: string, forceReload: boolean): { skills: ListedSkill[]; errors: SkillError[] };
  setExtraRoots(roots: readonly string[]): void;
  write(toggle: SkillToggle): boolean;
}

interface MethodHost {
  register(method: string, handler: (params: unknown) => unknown): void;
}

const ListParams = z.object({ cwds: z.array(z.string()).nullish(), forceReload: z.boolean().nullish() }).passthrough();
const ExtraRootsParams = z.object({ extraRoots: z.array(z.string()) }).passthrough();
const WriteParams = z.object({ path: z.string().nullish(), name: z.string().nullish(), enabled: z.boolean() }).passthrough();

function absolute(p: string): string {
  if (!path.isAbsolute(p)) throw invalidRequest("Invalid request: AbsolutePathBuf deserialized without a base path");
  return path.normalize(p);
}

/** The v2 SkillMetadata of a listed skill (optional fields only when present). */
function skillMetadata(s: ListedSkill) {
  const out: Record<string, unknown> = { name: s.name, description: s.description };
  if (s.shortDescription) out.shortDescription = s.shortDescription;
  Object.assign(out, { path: s.path, scope: s.scope, enabled: s.enabled, pluginId: null });
  return out;
}

export function registerSkillMethods(host: MethodHost, skills: SkillMethodsService, serverCwd: () => string = () => process.cwd()): void {
  host.register("skills/list", (params) => {
    const p = decodeParams(ListParams, params);
    const cwds = p.cwds && p.cwds.length ? p.cwds : [serverCwd()];
    return {
      data: cwds.map((cwd) => {
        const r = skills.list(path.resolve(serverCwd(), cwd), p.forceReload === true);
        return { cwd, skills: r.skills.map(skillMetadata), errors: r.errors };
      }),
    };
  });
  host.register("skills/extraRoots/set", (params) => {
    const p = decodeParams(ExtraRootsParams, params);
    skills.setExtraRoots(p.extraRoots.map(absolute));
    return {};
  });
  host.register("skills/config/write", (params) => {
    const p = decodeParams(WriteParams, params);
    // a relative path fails while decoding, before the selector check (as in Codex)
    const file = typeof p.path === "string" ? absolute(p.path) : null;
    const name = typeof p.name === "string" ? p.name : null;
    if ((file === null) === (name === null)) throw new RpcError(INVALID_PARAMS, "skills/config/write requires exactly one of path or name");
    const toggle: SkillToggle = file !== null ? { path: file, enabled: p.enabled } : { name: name!, enabled: p.enabled };
    return { effectiveEnabled: skills.write(toggle) };
  });
}
