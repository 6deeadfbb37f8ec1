// One thread item, by type: messages, reasoning (collapsed), commands, file changes, web searches.
import { Markdown } from "./Markdown";

/** Codex sends an added file's content as is, and a unified diff for updates. */
function Diff({ diff, kind }: { diff: string; kind: string }) {
  const lines = diff.replace(/\n$/, "").split("\n");
  if (kind === "add") return <pre class="diff">{lines.map((l, i) => <div key={i} class="add">+{l}</div>)}</pre>;
  if (kind === "delete") return <pre class="diff">{lines.map((l, i) => <div key={i} class="del">-{l}</div>)}</pre>;
  return (
    <pre class="diff">
      {lines.map((l, i) => (
        <div key={i} class={l.startsWith("+") && !l.startsWith("+++") ? "add" : l.startsWith("-") && !l.startsWith("---") ? "del" : l.startsWith("@@") ? "hunk" : ""}>{l || " "}</div>
      ))}
    </pre>
  );
}

const userText = (content: any[]) => (content ?? []).map((c) => (c.type === "text" ? c.text : `[${c.type}]`)).join("\n");

export function Item({ item }: { item: any }) {
  switch (item.type) {
    case "userMessage":
      return <div class="item user" data-item="userMessage">{userText(item.content)}</div>;
    case "agentMessage":
      return <div class="item agent" data-item="agentMessage"><Markdown text={item.text ?? ""} /></div>;
    case "reasoning": {
      const text = [...(item.summary ?? []), ...(item.content ?? [])].join("\n\n");
      return (
        <details class="item reasoning" data-item="reasoning">
          <summary>Reasoning</summary>
          <Markdown text={text || "(no summary)"} />
        </details>
      );
    }
    case "commandExecution":
      return (
        <div class="item command" data-item="commandExecution">
          <div class="cmd">
            <code>$ {item.command}</code>
            <span class={`exit ${item.exitCode === 0 ? "ok" : "bad"}`}>{item.exitCode === null || item.exitCode === undefined ? item.status : `exit ${item.exitCode}`}</span>
          </div>
          {item.aggregatedOutput ? <pre class="output">{item.aggregatedOutput}</pre> : null}
        </div>
      );
    case "fileChange":
      return (
        <div class="item filechange" data-item="fileChange">
          {(item.changes ?? []).map((c: any) => {
            const kind = typeof c.kind === "object" ? c.kind.type : c.kind;
            return (
              <div key={c.path}>
                <div class="path">{kind} {c.path} <span class="st">{item.status}</span></div>
                <Diff diff={c.diff ?? ""} kind={kind} />
              </div>
            );
          })}
        </div>
      );
    case "webSearch":
      return <div class="item websearch" data-item="webSearch">Web search: {item.query}</div>;
    default:
      return <div class="item other" data-item={item.type}>{item.type}</div>;
  }
}
