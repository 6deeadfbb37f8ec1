// Thread list: thread/list pages loaded as the virtual list nears its end; search and archived filter.
import { useEffect, useRef, useState } from "preact/hooks";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { Thread } from "../../../src/protocol/v2";
import { rpc } from "../rpc";
import { timeAgo } from "../format";

const PAGE = 100;

export function ThreadList() {
  const [threads, setThreads] = useState<Thread[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [search, setSearch] = useState("");
  const [archived, setArchived] = useState(false);
  const gen = useRef(0);
  const scroller = useRef<HTMLDivElement>(null);

  const load = async (reset: boolean) => {
    const g = reset ? ++gen.current : gen.current;
    setLoading(true);
    const params: Record<string, unknown> = { limit: PAGE, archived, cursor: reset ? null : cursor };
    if (search.trim()) params.searchTerm = search.trim();
    const r = await rpc.request<{ data: Thread[]; nextCursor: string | null }>("thread/list", params);
    if (g !== gen.current) return; // a newer search won
    setThreads((old) => (reset ? r.data : [...old, ...r.data]));
    setCursor(r.nextCursor);
    setLoading(false);
  };
  useEffect(() => {
    const t = setTimeout(() => void load(true), search ? 150 : 0);
    return () => clearTimeout(t);
  }, [search, archived]);

  const v = useVirtualizer({ count: threads.length, getScrollElement: () => scroller.current, estimateSize: () => 64, overscan: 10 });
  const items = v.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (last && last.index >= threads.length - 20 && cursor && !loading) void load(false);
  }, [last?.index, cursor, loading]);

  const newThread = async () => {
    const r = await rpc.request("thread/start", {});
    location.hash = `#/thread/${r.thread.id}`;
  };

  return (
    <section class="list-page">
      <div class="toolbar">
        <input type="search" placeholder="Search threads" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} aria-label="Search threads" />
        <label><input type="checkbox" checked={archived} onChange={(e) => setArchived((e.target as HTMLInputElement).checked)} /> Archived</label>
        <button onClick={newThread}>New thread</button>
      </div>
      <div class="threads" ref={scroller} data-testid="thread-list">
        <div style={{ height: `${v.getTotalSize()}px`, position: "relative" }}>
          {items.map((it) => {
            const t = threads[it.index];
            return (
              <a key={t.id} class="thread-row" href={`#/thread/${t.id}`} style={{ transform: `translateY(${it.start}px)`, height: `${it.size}px` }}>
                <div class="title">{t.name || t.preview || "(no messages)"}</div>
                <div class="meta">
                  <span>{timeAgo(t.updatedAt)}</span>
                  <span class="model">{t.model ?? t.modelProvider}</span>
                  <span class="cwd">{t.cwd}</span>
                </div>
              </a>
            );
          })}
        </div>
        {!loading && threads.length === 0 && <p class="empty">No threads.</p>}
      </div>
    </section>
  );
}
