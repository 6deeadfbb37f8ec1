#!/usr/bin/env node
// The `spool` command line.
import { Command, InvalidArgumentError } from "commander";
import { resolveHome } from "../config/home.js";
import { VERSION } from "../version.js";
import { registerAnalytics } from "./analytics.js";
import { runAppServer } from "./app-server.js";
import { runIndexRebuild } from "./index-rebuild.js";
import { runProjectionsRebuild } from "./projections-rebuild.js";
import { registerSandbox } from "./sandbox.js";

const program = new Command();
program.name("spool").description("A thread server for coding agents, wire-compatible with the Codex app-server").version(VERSION);

function listenUrl(v: string): string {
  if (v === "stdio://" || /^ws:\/\/[^/]+:\d+\/?$/.test(v)) return v;
  throw new InvalidArgumentError("expected stdio:// or ws://HOST:PORT");
}

program
  .command("app-server")
  .description("Serve the app-server JSON-RPC protocol (stdio by default)")
  .option("--home <dir>", "home directory (default: $SPOOL_HOME or ~/.spool)")
  .option("--listen <url>", "stdio:// or ws://HOST:PORT", listenUrl, "stdio://")
  .option("--memory-index", "keep the thread index in memory only")
  .action(async (opts: { home?: string; listen: string; memoryIndex?: boolean }) => {
    await runAppServer({ home: resolveHome(opts.home), listen: opts.listen, memoryIndex: opts.memoryIndex });
  });

const index = program.command("index").description("Spool's SQLite index of the home's rollouts");
index
  .command("rebuild")
  .description("Throw the index away and rebuild it from the JSONL files")
  .option("--home <dir>", "home directory (default: $SPOOL_HOME or ~/.spool)")
  .action(async (opts: { home?: string }) => {
    await runIndexRebuild(resolveHome(opts.home));
  });

const projections = program.command("projections").description("Spool's projections of thread history (items, turn summaries, lifecycle outbox)");
projections
  .command("rebuild")
  .description("Throw the projections away and rebuild them from the JSONL files")
  .option("--home <dir>", "home directory (default: $SPOOL_HOME or ~/.spool)")
  .action(async (opts: { home?: string }) => {
    await runProjectionsRebuild(resolveHome(opts.home));
  });

registerAnalytics(program);
registerSandbox(program);

program.parseAsync().catch((e: Error) => {
  process.stderr.write(`spool: ${e.message}\n`);
  process.exit(1);
});
