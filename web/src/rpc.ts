// The same JSON-RPC over WebSocket every other client speaks; the token travels in the cookie the
// server set when the page was opened with ?token=.
type Handler = (params: any) => void;
type RequestHandler = (id: number | string, method: string, params: any) => void;

export class RpcError extends Error {
  constructor(public code: number, message: string) {
    super(message);
  }
}

export class Rpc {
  private ws!: WebSocket;
  private next = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private listeners = new Set<{ method: string; fn: Handler }>();
  onServerRequest: RequestHandler = () => {};
  onClose: () => void = () => {};

  async connect(): Promise<void> {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(`${proto}//${location.host}/`);
    await new Promise<void>((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = () => reject(new Error("cannot connect (open the URL printed as `web UI:` at server start)"));
    });
    this.ws.onclose = () => this.onClose();
    this.ws.onmessage = (e) => this.dispatch(JSON.parse(String(e.data)));
    await this.request("initialize", { clientInfo: { name: "spool-web", title: "Spool web UI", version: "0.1.0" }, capabilities: { experimentalApi: true } });
    this.ws.send(JSON.stringify({ method: "initialized" }));
  }

  request<T = any>(method: string, params: unknown): Promise<T> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  respond(id: number | string, result: unknown): void {
    this.ws.send(JSON.stringify({ id, result }));
  }

  on(method: string, fn: Handler): () => void {
    const l = { method, fn };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private dispatch(m: any): void {
    if (m.method && m.id !== undefined) return this.onServerRequest(m.id, m.method, m.params);
    if (m.method) {
      for (const l of this.listeners) if (l.method === m.method || l.method === "*") l.fn(l.method === "*" ? m : m.params);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error) p.reject(new RpcError(m.error.code, m.error.message));
    else p.resolve(m.result);
  }
}

export const rpc = new Rpc();
