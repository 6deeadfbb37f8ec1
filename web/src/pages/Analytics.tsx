// Analytics: charts over GET /api/analytics (the local analytics.sqlite, read-only).
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

interface Series {
  label: string;
  values: number[];
}

/** A bar chart over categories (days, models, tools): x is the category index. */
function Bars({ title, categories, series }: { title: string; categories: string[]; series: Series[] }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current || categories.length === 0) return;
    const colors = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444"];
    const bars = uPlot.paths.bars!({ size: [0.6 / series.length, 60] });
    const plot = new uPlot(
      {
        width: 520,
        height: 240,
        scales: { x: { time: false, range: [-0.5, categories.length - 0.5] } },
        axes: [{ splits: () => categories.map((_, i) => i), values: (_u, ticks) => ticks.map((t) => categories[t] ?? "") }, {}],
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: colors[i % 4], fill: colors[i % 4] + "99", paths: bars }))],
      },
      [categories.map((_, i) => i), ...series.map((s) => s.values)],
      el.current,
    );
    return () => plot.destroy();
  }, [categories.join("\u0000"), JSON.stringify(series)]);
  return (
    <figure class="chart" data-testid="chart">
      <figcaption>{title}</figcaption>
      {categories.length === 0 ? <p class="empty">No data yet.</p> : <div ref={el} />}
    </figure>
  );
}

export function Analytics() {
  const [r, setR] = useState<any>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetch("/api/analytics", { credentials: "same-origin" })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`${res.status} ${res.statusText}`))))
      .then(setR, (e) => setError(String(e.message)));
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!r) return <p class="status">Loading…</p>;
  const days: string[] = r.days.map((d: any) => d.day);
  const tools = new Map<string, { ms: number; calls: number }>();
  for (const t of r.tools) {
    const x = tools.get(t.tool_name) ?? { ms: 0, calls: 0 };
    x.ms += t.total_ms;
    x.calls += t.calls;
    tools.set(t.tool_name, x);
  }
  const goals = new Map<string, number>();
  for (const g of r.goals) if (typeof g.tokens === "number") goals.set(g.thread_id, g.tokens);
  return (
    <section class="analytics-page">
      <h1>Analytics</h1>
      <div class="charts">
        <Bars title="Tokens per day" categories={days} series={[{ label: "input", values: r.days.map((d: any) => d.input_tokens) }, { label: "output", values: r.days.map((d: any) => d.output_tokens) }]} />
        <Bars title="Tokens per model" categories={r.models.map((m: any) => m.model)} series={[{ label: "tokens", values: r.models.map((m: any) => m.total_tokens) }]} />
        <Bars title="Turns per day" categories={days} series={[{ label: "completed", values: r.days.map((d: any) => d.completed) }, { label: "interrupted", values: r.days.map((d: any) => d.interrupted) }, { label: "failed", values: r.days.map((d: any) => d.failed) }]} />
        <Bars title="Average tool duration (ms)" categories={[...tools.keys()]} series={[{ label: "avg ms", values: [...tools.values()].map((t) => Math.round(t.ms / Math.max(1, t.calls))) }]} />
        <Bars title="Goal tokens accounted" categories={[...goals.keys()].map((id) => id.slice(0, 8))} series={[{ label: "tokens", values: [...goals.values()] }]} />
      </div>
    </section>
  );
}
