/** The README's schedule example, shown by the OpenAPI document next to the Schedule shape. */
export const scheduleExample = {
  id: "5c4f2a8e-3f0e-4d52-9d0c-2b7f1b9c6a11",
  name: "demo feed",
  cron: "* * * * *",
  timezone: "UTC",
  job: {
    type: "ingest",
    payload: {
      feedUrl: "http://127.0.0.1:8790/feed.json",
      topic: "demo",
      maxItems: 1000,
      timeoutMs: 15000,
    },
  },
  paused: false,
  nextRunAt: "2026-11-29T22:01:00.000Z",
  lastRunAt: "2026-11-29T22:00:00.000Z",
  lastJobId: "0e1b6f55-0c43-4b67-a8c2-9b5a3f1d7e20",
  createdAt: "2026-11-29T21:58:12.402Z",
  updatedAt: "2026-11-29T22:00:00.417Z",
};
