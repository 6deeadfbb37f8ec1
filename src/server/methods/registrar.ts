// What a method module needs from the server to install its handlers (nothing else of it).
import type { MethodHandler } from "../app.js";

export interface MethodRegistrar {
  register(method: string, handler: MethodHandler): void;
}
