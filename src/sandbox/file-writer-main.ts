// The child that applies file writes inside the sandbox (file-writes.ts starts it under bwrap):
// reads the JSON list of writes named by argv[2], applies them in order, and on the first failure
// prints its message to stderr and exits 1.
import { readFileSync } from "node:fs";
import { applyWritesHere, type FileWrite } from "./file-writes.js";

const writes = JSON.parse(readFileSync(process.argv[2], "utf8")) as FileWrite[];
// exitCode, not exit(): stderr is a pipe, and exit() could cut the message short
applyWritesHere(writes).catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exitCode = 1;
});
