/** The README's examples, shown by the OpenAPI document and the docs page next to each shape. */

const jobId = "b65d775f-9301-4895-bd3f-707978d11863";

export const examples = {
  jobId,
  enqueued: { id: "1c0657ed-5ccb-4722-83e8-fdf279cce942", status: "queued" },
  enqueuedBatch: {
    jobs: [
      { id: "f72d34cb-7404-4cda-ab6c-e5c012cc890d", status: "queued", created: true },
      { id: "067698bd-b245-41af-8ef6-b7bf860472f6", status: "queued", created: true },
    ],
  },
  deadJob: {
    id: jobId,
    type: "simulate",
    status: "dead",
    attempts: 5,
    maxAttempts: 5,
    payload: { durationMs: 50, failureRate: 1 },
    error:
      "gave up after 5 attempt(s); last error: Error: simulated failure (failureRate 1, attempt 5)",
    timeoutMs: 30000,
    runAt: "2026-11-24T01:14:51.168Z",
    createdAt: "2026-11-24T01:14:51.168Z",
    updatedAt: "2026-11-24T01:15:15.479Z",
    finishedAt: "2026-11-24T01:15:15.479Z",
  },
  runs: {
    items: [
      {
        run: 1,
        attempt: 1,
        outcome: "failed",
        error: "Error: simulated failure (failureRate 1, attempt 1)",
        startedAt: "2026-11-24T01:14:51.201Z",
        finishedAt: "2026-11-24T01:14:51.254Z",
        durationMs: 53,
      },
      {
        run: 2,
        attempt: 2,
        outcome: "running",
        startedAt: "2026-11-24T01:14:52.310Z",
      },
    ],
  },
  stats: {
    total: 14,
    byStatus: { queued: 0, running: 0, succeeded: 12, failed: 0, dead: 2, cancelled: 0 },
    byType: {
      fetch: { queued: 0, running: 0, succeeded: 4, failed: 0, dead: 0, cancelled: 0 },
      ingest: { queued: 0, running: 0, succeeded: 6, failed: 0, dead: 0, cancelled: 0 },
      simulate: { queued: 0, running: 0, succeeded: 2, failed: 0, dead: 2, cancelled: 0 },
    },
  },
  /** Request bodies of `POST /v1/jobs`, one per job type (OpenAPI `examples` of the media type). */
  newJobs: {
    fetch: {
      summary: "Fetch a URL, idempotently",
      value: {
        type: "fetch",
        payload: { url: "http://127.0.0.1:8790/hello.txt" },
        idempotencyKey: "hello-fetch-1",
      },
    },
    ingest: {
      summary: "Post a JSON Feed's items to paginated-feed",
      value: {
        type: "ingest",
        payload: { feedUrl: "http://127.0.0.1:8790/feed.json", topic: "edge-notes" },
      },
    },
    simulate: {
      summary: "Sleep, then always fail (dead after 5 runs)",
      value: { type: "simulate", payload: { durationMs: 50, failureRate: 1 } },
    },
  },
  batch: {
    summary: "Two jobs, the second delayed 5 s",
    value: {
      jobs: [
        { type: "simulate", payload: { durationMs: 20 } },
        {
          type: "fetch",
          payload: { url: "http://127.0.0.1:8790/hello.txt" },
          delaySeconds: 5,
        },
      ],
    },
  },
} as const;
