// Pure: folds live notifications into a thread's turns (the same events every client receives).
import type { Turn } from "../../../src/protocol/v2";

function upsertItem(turns: Turn[], turnId: string, item: any): Turn[] {
  return turns.map((t) => {
    if (t.id !== turnId) return t;
    const i = t.items.findIndex((x: any) => x.id === item.id);
    const items = i < 0 ? [...t.items, item] : t.items.map((x, j) => (j === i ? item : x));
    return { ...t, items };
  });
}

function ensureTurn(turns: Turn[], turnId: string): Turn[] {
  if (turns.some((t) => t.id === turnId)) return turns;
  return [...turns, { id: turnId, rootTurnId: null, items: [], itemsView: "full", status: "inProgress", error: null, startedAt: null, completedAt: null, durationMs: null }];
}

export function applyNotification(turns: Turn[], method: string, p: any): Turn[] {
  switch (method) {
    case "turn/started":
      return ensureTurn(turns, p.turn.id).map((t) => (t.id === p.turn.id ? { ...t, status: "inProgress" } : t));
    case "turn/completed":
      return ensureTurn(turns, p.turn.id).map((t) => (t.id === p.turn.id ? { ...t, status: p.turn.status, error: p.turn.error } : t));
    case "item/started":
    case "item/completed":
      return upsertItem(ensureTurn(turns, p.turnId), p.turnId, p.item);
    case "item/agentMessage/delta":
    case "item/commandExecution/outputDelta": {
      const key = method === "item/agentMessage/delta" ? "text" : "aggregatedOutput";
      return turns.map((t) =>
        t.id !== p.turnId ? t : { ...t, items: t.items.map((x: any) => (x.id === p.itemId ? { ...x, [key]: (x[key] ?? "") + p.delta } : x)) },
      );
    }
    default:
      return turns;
  }
}
