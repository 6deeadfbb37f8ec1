// fuzzyFileSearch: the TUI's `@` file picker (src/files), Codex's params and result shape.
import { fuzzyFileSearch } from "../../files/fuzzy-search.js";
import type { MethodRegistrar } from "./registrar.js";
import { optionalString, paramsObject, requiredString, stringList } from "./serde-params.js";

export function registerFileMethods(r: MethodRegistrar): void {
  r.register("fuzzyFileSearch", async (raw) => {
    const p = paramsObject(raw);
    const query = requiredString(p, "query");
    const roots = stringList(p, "roots", true) ?? [];
    optionalString(p, "cancellationToken");
    return { files: await fuzzyFileSearch(query, roots) };
  });
}
