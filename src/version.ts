// The version Spool reports; it speaks the protocol of this Codex release.
export const VERSION = "0.1.0";
export const CODEX_PROTOCOL_VERSION = "0.169.0";
