// Server requests waiting for the user (command and file-change approvals), shared by the pages.
export interface Pending {
  id: number | string;
  method: string;
  params: any;
}

class Approvals {
  list: Pending[] = [];
  private subs = new Set<() => void>();
  add(p: Pending): void {
    this.list = [...this.list, p];
    this.subs.forEach((f) => f());
  }
  remove(id: number | string): void {
    this.list = this.list.filter((p) => p.id !== id);
    this.subs.forEach((f) => f());
  }
  subscribe(f: () => void): () => void {
    this.subs.add(f);
    return () => this.subs.delete(f);
  }
}

export const approvals = new Approvals();
