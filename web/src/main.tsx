// The web UI: a hash router over three pages, one WebSocket connection, pending approvals.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { rpc } from "./rpc";
import { ThreadList } from "./pages/ThreadList";
import { ThreadView } from "./pages/ThreadView";
import { Analytics } from "./pages/Analytics";
import { approvals } from "./approvals";
import "./style.css";

function useRoute(): string {
  const [hash, setHash] = useState(location.hash || "#/");
  useEffect(() => {
    const f = () => setHash(location.hash || "#/");
    addEventListener("hashchange", f);
    return () => removeEventListener("hashchange", f);
  }, []);
  return hash;
}

function App() {
  const [state, setState] = useState<"connecting" | "ready" | string>("connecting");
  const route = useRoute();
  useEffect(() => {
    rpc.onServerRequest = (id, method, params) => approvals.add({ id, method, params });
    rpc.onClose = () => setState("disconnected from the server");
    rpc.connect().then(() => setState("ready"), (e) => setState(String(e.message ?? e)));
  }, []);
  const thread = /^#\/thread\/(.+)$/.exec(route);
  return (
    <>
      <header>
        <a href="#/" class="brand">Spool</a>
        <nav>
          <a href="#/" class={route === "#/" ? "on" : ""}>Threads</a>
          <a href="#/analytics" class={route === "#/analytics" ? "on" : ""}>Analytics</a>
        </nav>
      </header>
      <main>
        {state !== "ready" ? <p class="status" role="status">{state}</p> :
          thread ? <ThreadView key={thread[1]} threadId={decodeURIComponent(thread[1])} /> :
          route === "#/analytics" ? <Analytics /> : <ThreadList />}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
