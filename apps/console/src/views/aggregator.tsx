/** The aggregator page: the view picker, the fan-out request editor, and the waterfall. */
import type { ViewInfo } from "@edge-async/fetch-aggregator/client";
import { Layout } from "./layout.tsx";

const EXAMPLE = {
  requests: [{ id: "one", url: "https://example.com/", timeoutMs: 1000, retries: 0 }],
  concurrency: 6,
  deadlineMs: 2000,
};

export function AggregatorPage(props: { views: ViewInfo[]; problem: string | undefined }) {
  const first = props.views[0];
  return (
    <Layout title="Aggregator" section="aggregator" signedIn>
      {props.problem === undefined ? null : (
        <p role="alert" class="error">
          {props.problem}
        </p>
      )}
      <div class="row forms">
        <form id="run-view" class="card" action="/aggregator/view" method="post">
          <h2>Run a view</h2>
          <label for="view">View</label>
          <select id="view" name="view">
            {props.views.map((view) => (
              <option value={view.name}>
                {view.name}
                {view.parameters.length === 0 ? "" : ` (${view.parameters.join(", ")})`}
              </option>
            ))}
          </select>
          <label for="view-params">Parameters (a query string)</label>
          <input
            id="view-params"
            name="params"
            value={first === undefined ? "" : first.parameters.map((name) => `${name}=7`).join("&")}
            placeholder="userId=7"
          />
          <p>
            <button type="submit">Run view</button>
          </p>
          <p class="hint">Its parts stream in as each finishes, against the view's deadline.</p>
        </form>
        <form id="run-request" class="card" action="/aggregator/run" method="post">
          <h2>Run a fan-out request</h2>
          <label for="request">Request (JSON, as POST /v1/aggregate takes it)</label>
          <textarea id="request" name="request" rows={10}>
            {JSON.stringify(EXAMPLE, null, 2)}
          </textarea>
          <p>
            <button type="submit">Run request</button>
          </p>
          <p class="hint">Results stream in as each upstream call finishes.</p>
        </form>
      </div>
      <section aria-labelledby="waterfall-title">
        <h2 id="waterfall-title">Waterfall</h2>
        <p id="waterfall-status" role="status">
          Nothing run yet.
        </p>
        <div id="waterfall" class="waterfall" hidden />
      </section>
    </Layout>
  );
}
