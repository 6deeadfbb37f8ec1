// JSON-RPC errors with Codex's codes (codex-rs/app-server/src/error_code.rs).
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
export const OVERLOADED = -32001;
export const PARSE_ERROR = -32700;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

export const invalidRequest = (message: string, data?: unknown) => new RpcError(INVALID_REQUEST, message, data);
