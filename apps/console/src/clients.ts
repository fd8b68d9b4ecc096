/** The other workers' typed clients, over their service bindings, with the session's key. */
import { createAggregatorClient } from "@edge-async/fetch-aggregator/client";
import { createFeedClient } from "@edge-async/paginated-feed/client";
import { createQueueClient } from "@edge-async/queue-worker/client";

// A service binding ignores the host; these names only make logs and errors readable.
const via = (binding: Fetcher, host: string, key: string) => ({
  baseUrl: `https://${host}`,
  fetch: (request: Request) => binding.fetch(request),
  headers: { authorization: `Bearer ${key}` },
  // The console answers a person waiting: a refused call shows at once instead of retrying.
  retries: 0,
});

export const jobsClient = (env: Env, key: string) =>
  createQueueClient(via(env.JOBS_API, "queue-worker", key));
export const feedClient = (env: Env, key: string) =>
  createFeedClient(via(env.FEED, "paginated-feed", key));
export const aggregatorClient = (env: Env, key: string) =>
  createAggregatorClient(via(env.AGGREGATOR, "fetch-aggregator", key));
