/** The jobs page and its enqueue form (with the form's validation). */
import * as z from "zod";
import { STATUSES, TYPES } from "./jobs.tsx";
import { Layout } from "./layout.tsx";

/** The enqueue form's fields: a simulate job (duration, failure rate) or a fetch job (URL). */
export const enqueueFields = z.discriminatedUnion(
  "type",
  [
    z.object({
      type: z.literal("simulate"),
      durationMs: z.coerce
        .number({ error: "must be a number" })
        .int("must be a whole number")
        .min(0, "must be at least 0")
        .max(600_000, "must be at most 600000"),
      failureRate: z.coerce
        .number({ error: "must be a number" })
        .min(0, "must be at least 0")
        .max(1, "must be at most 1"),
      url: z.string().optional(),
    }),
    z.object({
      type: z.literal("fetch"),
      url: z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" }),
      durationMs: z.string().optional(),
      failureRate: z.string().optional(),
    }),
  ],
  { error: "must be simulate or fetch" },
);

/** The form, with what the last submission did (an id, or why it was refused). */
export function EnqueueForm(props: { enqueued?: string; error?: string }) {
  return (
    <form id="enqueue" class="card" hx-post="/jobs" hx-target="#enqueue" hx-swap="outerHTML">
      <div class="row">
        <div>
          <label for="enqueue-type">Job type</label>
          <select id="enqueue-type" name="type">
            <option value="simulate">simulate</option>
            <option value="fetch">fetch</option>
          </select>
        </div>
        <div>
          <label for="enqueue-duration">Duration (ms, simulate)</label>
          <input
            id="enqueue-duration"
            name="durationMs"
            type="number"
            min="0"
            max="600000"
            value="2000"
          />
        </div>
        <div>
          <label for="enqueue-failure">Failure rate (0-1, simulate)</label>
          <input
            id="enqueue-failure"
            name="failureRate"
            type="number"
            min="0"
            max="1"
            step="0.05"
            value="0"
          />
        </div>
        <div>
          <label for="enqueue-url">URL (fetch)</label>
          <input id="enqueue-url" name="url" type="url" placeholder="https://example.com/" />
        </div>
        <div>
          <button id="enqueue-submit" type="submit">
            Enqueue job
          </button>
        </div>
      </div>
      <div aria-live="polite">
        {props.enqueued === undefined ? null : (
          <p>
            Enqueued{" "}
            <a class="mono" id="enqueued-link" href={`/jobs/${encodeURIComponent(props.enqueued)}`}>
              {props.enqueued}
            </a>
          </p>
        )}
        {props.error === undefined ? null : (
          <p class="error" role="alert">
            {props.error}
          </p>
        )}
      </div>
    </form>
  );
}

/** The jobs page: counts (polled), the chart, the enqueue form and the filtered table. */
export function JobsPage() {
  return (
    <Layout title="Jobs" section="jobs" signedIn>
      <section aria-labelledby="counts-title">
        <h2 id="counts-title">Counts</h2>
        <div id="counts" hx-get="/jobs/counts" hx-trigger="load, every 2s" aria-live="off">
          <p>Loading…</p>
        </div>
      </section>
      <section aria-labelledby="chart-title">
        <h2 id="chart-title">Jobs finished per second, last 5 minutes</h2>
        <div
          id="throughput"
          class="chart"
          data-src="/jobs/throughput.json?minutes=5"
          role="img"
          aria-label="Chart of jobs finished per second over the last 5 minutes"
        />
      </section>
      <section aria-labelledby="enqueue-title">
        <h2 id="enqueue-title">Enqueue a job</h2>
        <EnqueueForm />
      </section>
      <section aria-labelledby="table-title">
        <h2 id="table-title">Jobs</h2>
        <form class="row" hx-get="/jobs/table" hx-target="#jobs-table" hx-trigger="change, submit">
          <div>
            <label for="filter-status">Filter by status</label>
            <select id="filter-status" name="status">
              <option value="">any</option>
              {STATUSES.map((status) => (
                <option value={status}>{status}</option>
              ))}
            </select>
          </div>
          <div>
            <label for="filter-type">Filter by type</label>
            <select id="filter-type" name="type">
              <option value="">any</option>
              {TYPES.map((type) => (
                <option value={type}>{type}</option>
              ))}
            </select>
          </div>
          <div>
            <button type="submit" class="secondary">
              Refresh
            </button>
          </div>
        </form>
        <div id="jobs-table" hx-get="/jobs/table" hx-trigger="load" aria-live="polite">
          <p>Loading…</p>
        </div>
      </section>
    </Layout>
  );
}
