// What a method module needs from the server to install its handlers (nothing else of it).

/** A handler of one method: its params in, its answer (or a thrown RpcError) out. */
export type ParamsHandler = (params: unknown) => Promise<unknown> | unknown;

export interface MethodRegistrar {
  register(method: string, handler: ParamsHandler): void;
}
