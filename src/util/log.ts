// One process-wide logger to stderr (stdout belongs to the JSON-RPC stream).
import { pino } from "pino";

export const log = pino({ name: "spool", level: process.env.SPOOL_LOG ?? "warn" }, pino.destination(2));
export type Logger = typeof log;
