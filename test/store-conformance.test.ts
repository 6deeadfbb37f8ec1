// Every ThreadStore passes the same conformance suite (test/helpers/store-conformance.ts).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runStoreConformance } from "./helpers/store-conformance.js";
import { InMemoryThreadStore } from "../src/store/memory/memory-store.js";
import { LocalThreadStore } from "../src/store/local/local-store.js";

runStoreConformance("memory", () => ({ store: new InMemoryThreadStore() }));

runStoreConformance("local", () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "spool-store-"));
  return {
    store: new LocalThreadStore({ home, defaultProvider: "openai" }),
    cleanup: () => fs.rmSync(home, { recursive: true, force: true }),
  };
});
