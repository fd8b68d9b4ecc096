/** The jobs section's HTML: counts, the filtered table, a job's detail and runs timeline. */
import type { Job, JobPage, JobRun, JobStats, JobStatus } from "@edge-async/queue-worker/client";

export const STATUSES: JobStatus[] = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "dead",
  "cancelled",
];
export const TYPES = ["fetch", "ingest", "simulate"] as const;

/** The counts panel, polled every 2 s (the worker answers 304 while they stand still). */
export function Counts(props: { stats: JobStats }) {
  const types = Object.entries(props.stats.byType);
  return (
    <>
      <dl class="counts" aria-label="Jobs by status">
        <div>
          <dt>total</dt>
          <dd data-count="total">{props.stats.total}</dd>
        </div>
        {STATUSES.map((status) => (
          <div>
            <dt>{status}</dt>
            <dd class={`status-${status}`} data-count={status}>
              {props.stats.byStatus[status]}
            </dd>
          </div>
        ))}
      </dl>
      {types.length === 0 ? null : (
        <section class="table-wrap" aria-label="Jobs by type and status" tabindex={0}>
          <table>
            <caption class="visually-hidden">Jobs by type and status</caption>
            <thead>
              <tr>
                <th scope="col">type</th>
                {STATUSES.map((status) => (
                  <th scope="col">{status}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {types.map(([type, counts]) => (
                <tr>
                  <th scope="row">{type}</th>
                  {STATUSES.map((status) => (
                    <td>{counts[status] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}

export function StatusBadge(props: { status: string }) {
  return <span class={`status status-${props.status}`}>{props.status}</span>;
}

/** One page of the table, with a link to the next one that keeps the filters. */
export function JobTable(props: { page: JobPage; filters: URLSearchParams }) {
  const next = new URLSearchParams(props.filters);
  if (props.page.nextCursor !== null) next.set("cursor", props.page.nextCursor);
  return (
    <>
      <section class="table-wrap" aria-label="Jobs, newest first" tabindex={0}>
        <table>
          <caption class="visually-hidden">Jobs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">job</th>
              <th scope="col">type</th>
              <th scope="col">status</th>
              <th scope="col">attempts</th>
              <th scope="col" class="hide-narrow">
                created
              </th>
            </tr>
          </thead>
          <tbody>
            {props.page.items.length === 0 ? (
              <tr>
                <td colspan={5}>No jobs match.</td>
              </tr>
            ) : (
              props.page.items.map((job) => (
                <tr>
                  <td class="mono">
                    <a href={`/jobs/${encodeURIComponent(job.id)}`}>{job.id}</a>
                  </td>
                  <td>{job.type}</td>
                  <td>
                    <StatusBadge status={job.status} />
                  </td>
                  <td>
                    {job.attempts}/{job.maxAttempts}
                  </td>
                  <td class="hide-narrow">{job.createdAt}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </section>
      {props.page.nextCursor === null ? null : (
        <p>
          <button
            id="jobs-next"
            type="button"
            class="secondary"
            hx-get={`/jobs/table?${next}`}
            hx-target="#jobs-table"
            hx-push-url="false"
          >
            Next page
          </button>
        </p>
      )}
    </>
  );
}

const FINAL = new Set(["succeeded", "dead", "cancelled"]);
const CANCELLABLE = new Set(["queued", "running", "failed"]);
const RETRYABLE = new Set(["dead", "cancelled"]);

/**
 * A job's state, its actions, and its runs as a timeline; polled until the job is final.
 * `cancelling`: a cancel was asked for and the running attempt has not stopped yet (it stops at
 * its next heartbeat), so the page says so and offers no second Cancel; the poll carries it on.
 */
export function JobDetail(props: {
  job: Job;
  runs: JobRun[];
  message?: string;
  cancelling?: boolean;
}) {
  const { job } = props;
  const live = !FINAL.has(job.status);
  const cancelling = props.cancelling === true && live;
  const self = `/jobs/${encodeURIComponent(job.id)}`;
  const poll = `${self}/detail${cancelling ? "?cancelling=1" : ""}`;
  return (
    <section
      id="job-detail"
      aria-live="polite"
      {...(live ? { "hx-get": poll, "hx-trigger": "every 2s", "hx-swap": "outerHTML" } : {})}
    >
      <dl class="counts">
        <div>
          <dt>status</dt>
          <dd data-status={job.status}>
            <StatusBadge status={job.status} />
          </dd>
        </div>
        <div>
          <dt>type</dt>
          <dd>{job.type}</dd>
        </div>
        <div>
          <dt>attempts</dt>
          <dd>
            {job.attempts}/{job.maxAttempts}
          </dd>
        </div>
        <div>
          <dt>runs</dt>
          <dd data-runs={String(props.runs.length)}>{props.runs.length}</dd>
        </div>
      </dl>
      {cancelling ? (
        <p role="status" data-cancelling="true">
          Cancel requested: the running attempt stops at its next heartbeat.
        </p>
      ) : null}
      {props.message === undefined ? null : (
        <p class="error" role="alert">
          {props.message}
        </p>
      )}
      <p class="row">
        {CANCELLABLE.has(job.status) ? (
          <button
            id="job-cancel"
            type="button"
            class="danger"
            hx-post={`${self}/cancel`}
            hx-target="#job-detail"
            hx-swap="outerHTML"
            disabled={cancelling}
          >
            {cancelling ? "Cancelling…" : "Cancel job"}
          </button>
        ) : null}
        {RETRYABLE.has(job.status) ? (
          <button
            id="job-retry"
            type="button"
            hx-post={`${self}/retry`}
            hx-target="#job-detail"
            hx-swap="outerHTML"
          >
            Retry job
          </button>
        ) : null}
      </p>
      {job.progress === undefined ? null : (
        <p>
          <label for="job-progress">Progress</label>
          <progress id="job-progress" max="1" value={String(job.progress.fraction)}>
            {Math.round(job.progress.fraction * 100)}%
          </progress>{" "}
          {job.progress.message ?? ""}
        </p>
      )}
      {job.error === undefined ? null : <p class="error">Last error: {job.error}</p>}
      <h2>Runs</h2>
      {props.runs.length === 0 ? (
        <p>No run yet.</p>
      ) : (
        <ol class="timeline" aria-label="Runs, first to last">
          {props.runs.map((run) => (
            <li class={`outcome-${run.outcome}`}>
              <strong>
                Run {run.run}, attempt {run.attempt}: <StatusBadge status={run.outcome} />
              </strong>
              <br />
              <span class="mono">
                {run.startedAt}
                {run.finishedAt === undefined ? " …" : ` → ${run.finishedAt}`}
              </span>
              {run.durationMs === undefined ? null : ` (${run.durationMs} ms)`}
              {run.error === undefined ? null : <div class="error">{run.error}</div>}
            </li>
          ))}
        </ol>
      )}
      <h2>Payload</h2>
      <pre class="mono card">{JSON.stringify(job.payload, null, 2)}</pre>
      {job.result === undefined ? null : (
        <>
          <h2>Result</h2>
          <pre class="mono card">{JSON.stringify(job.result, null, 2)}</pre>
        </>
      )}
    </section>
  );
}
