// Identifiers the turn engine mints: UUIDv7 for turns and user messages (time-ordered, like the
// ids Codex 0.169.0 writes), and the short hex "chunk ids" of exec_command outputs.
import { randomBytes } from "node:crypto";

let lastMs = 0;
let seq = 0;

/** A UUIDv7 (RFC 9562): 48-bit ms timestamp, version 7, a 12-bit counter within the ms, random rest. */
export function uuidv7(now = Date.now()): string {
  if (now <= lastMs) {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs++;
    now = lastMs;
  } else {
    lastMs = now;
    seq = randomBytes(2).readUInt16BE(0) & 0x3ff;
  }
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | ((seq >> 8) & 0x0f);
  b[7] = seq & 0xff;
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Six lowercase hex digits ("Chunk ID: 4f2a9c"). */
export function chunkId(): string {
  return randomBytes(3).toString("hex");
}
