// The running `command/exec` processes a connection named (process ids are connection-scoped,
// as in Codex): lookups for write/resize/terminate, and everything killed when the connection closes.
import type { ExecProcess } from "./process.js";

export class ExecRegistry {
  private readonly byConnection = new Map<number, Map<string, ExecProcess>>();

  has(conn: number, processId: string): boolean {
    return this.byConnection.get(conn)?.has(processId) ?? false;
  }

  get(conn: number, processId: string): ExecProcess | undefined {
    return this.byConnection.get(conn)?.get(processId);
  }

  add(conn: number, processId: string, proc: ExecProcess): void {
    let m = this.byConnection.get(conn);
    if (!m) this.byConnection.set(conn, (m = new Map()));
    m.set(processId, proc);
  }

  remove(conn: number, processId: string, proc: ExecProcess): void {
    const m = this.byConnection.get(conn);
    if (m?.get(processId) === proc) m.delete(processId);
    if (m?.size === 0) this.byConnection.delete(conn);
  }

  /** Kills every process of a closed connection. */
  connectionClosed(conn: number): void {
    for (const p of this.byConnection.get(conn)?.values() ?? []) p.kill();
    this.byConnection.delete(conn);
  }
}
