import { chunk, retry, withTimeout } from "@edge-async/async-utils";
import { isRetryableStatus, type TargetPolicy } from "@edge-async/http";
import {
  ApiError,
  createFeedClient,
  type FeedClient,
  type IngestItem,
} from "@edge-async/paginated-feed/client";
import * as z from "zod";
import { MAX_QUEUE_DELAY_SECONDS } from "../backoff.ts";
import type { Env } from "../env.ts";
import { PermanentJobError, RetryableJobError } from "../errors.ts";
import { fetchOutbound } from "../outbound.ts";
import { httpRetryOptions, responseError } from "./http-status.ts";
import { defineJobType } from "./job-type.ts";

// paginated-feed accepts at most this many items per `POST /v1/items` (MAX_INGEST_ITEMS of its
// contract, which its client does not export).
const FEED_POST_LIMIT = 100;

// JSON Feed 1.1 (https://jsonfeed.org/version/1.1), read leniently: an item that cannot be mapped
// is skipped and counted rather than failing the whole feed.
const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
const jsonFeedItem = z.object({
  id: z.union([z.string().min(1), z.number()]),
  url: z.string().optional(),
  external_url: z.string().optional(),
  title: z.string().optional(),
  summary: z.string().optional(),
  content_text: z.string().optional(),
  date_published: z.string().optional(),
  date_modified: z.string().optional(),
  authors: z.array(z.object({ name: z.string().optional() })).optional(),
  author: z.object({ name: z.string().optional() }).optional(),
});
const jsonFeed = z.object({ items: z.array(z.unknown()) });

/**
 * Maps one JSON Feed item to a paginated-feed item, or `undefined` when it lacks an id, an
 * http(s) link, a title or a valid date (years 0000-9999). The external key is `<feed host>:<item id>`: JSON Feed
 * requires ids to be stable within a feed, so ingesting the same feed twice creates nothing new,
 * and the host keeps two sites' `"1"` apart.
 */
export function toFeedItem(raw: unknown, topic: string, keyPrefix: string): IngestItem | undefined {
  const parsed = jsonFeedItem.safeParse(raw);
  if (!parsed.success) return undefined;
  const item = parsed.data;
  const url = [item.url, item.external_url].find((link) => httpUrl.safeParse(link).success);
  const title = item.title?.trim();
  const date = new Date(item.date_published ?? item.date_modified ?? Number.NaN);
  if (url === undefined || !title || !isFourDigitYear(date)) return undefined;
  const author = (item.authors?.[0]?.name ?? item.author?.name)?.trim();
  const summary = (item.summary ?? item.content_text)?.trim();
  return {
    externalKey: `${keyPrefix}:${item.id}`.slice(0, 256),
    topic,
    title: title.slice(0, 300),
    url,
    ...(author ? { author: author.slice(0, 200) } : {}),
    ...(summary ? { summary: summary.slice(0, 1000) } : {}),
    publishedAt: date.toISOString(),
  };
}

// toISOString() writes years outside 0000-9999 in the extended `+275760-…` form, which the
// feed (rightly) refuses as ISO-8601: one such item would fail its whole batch of 100.
function isFourDigitYear(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 0 && year <= 9999;
}

/**
 * `ingest`: fetches a JSON Feed, maps its items and posts them to paginated-feed through the FEED
 * service binding in chunks of at most 100. Idempotent: paginated-feed dedupes on `externalKey`,
 * so a run repeated after a partial failure only creates what is missing. The feed URL and each
 * redirect hop must pass the outbound policy; a refused one kills the job.
 */
export const ingestJob = defineJobType({
  name: "ingest",
  description: "Fetches a JSON Feed and posts its items to paginated-feed (FEED binding).",
  payload: z.strictObject({
    feedUrl: z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" }).max(2048),
    topic: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be a lowercase slug of 1-64 characters"),
    maxItems: z.number().int().min(1).max(5_000).default(1_000),
    timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
  }),
  outboundUrls: (payload) => ({ "/feedUrl": payload.feedUrl }),
  async run(payload, { env, outbound: policy, signal }) {
    const feedService = feedClient(env);
    const feed = await retry(
      () =>
        withTimeout(
          (trySignal) => readFeed(payload.feedUrl, policy, trySignal),
          payload.timeoutMs,
          {
            signal,
            message: `reading ${payload.feedUrl} took longer than ${payload.timeoutMs} ms`,
          },
        ),
      httpRetryOptions(2, signal),
    );
    const raw = feed.items.slice(0, payload.maxItems);
    const keyPrefix = new URL(payload.feedUrl).host;
    const items = raw.flatMap((item) => toFeedItem(item, payload.topic, keyPrefix) ?? []);
    let created = 0;
    let posted = 0;
    for await (const group of chunk(items, FEED_POST_LIMIT, { signal })) {
      const answer = await retry(
        () =>
          withTimeout((trySignal) => postItems(feedService, group, trySignal), payload.timeoutMs, {
            signal,
            message: `paginated-feed took longer than ${payload.timeoutMs} ms`,
          }),
        httpRetryOptions(2, signal),
      );
      posted += group.length;
      created += answer.filter((item) => item.created).length;
    }
    return {
      feedUrl: payload.feedUrl,
      topic: payload.topic,
      feedItems: feed.items.length,
      mapped: items.length,
      skipped: raw.length - items.length,
      posted,
      created,
    };
  },
});

async function readFeed(
  feedUrl: string,
  policy: TargetPolicy,
  signal: AbortSignal,
): Promise<{ items: unknown[] }> {
  const { response } = await fetchOutbound(
    feedUrl,
    { signal, headers: { accept: "application/feed+json, application/json" } },
    policy,
  );
  if (!response.ok) throw await responseError(response, feedUrl);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new PermanentJobError(`${feedUrl} is not JSON`);
  }
  const parsed = jsonFeed.safeParse(body);
  if (!parsed.success)
    throw new PermanentJobError(`${feedUrl} is not a JSON Feed (no items array)`);
  return parsed.data;
}

/**
 * paginated-feed's typed client over the FEED service binding. It does not retry on its own: the
 * job's retry policy is the only one, and a `Retry-After` too long for this run reaches the queue
 * uncut (up to the queue's longest delay), so the redelivery waits as long as the feed asked.
 */
function feedClient(env: Env): FeedClient {
  return createFeedClient({
    baseUrl: "https://paginated-feed",
    fetch: (request) => env.FEED.fetch(request),
    retries: 0,
    maxRetryDelayMs: MAX_QUEUE_DELAY_SECONDS * 1000,
  });
}

/** Posts one chunk; an answer outside 2xx becomes the error that tells the job what to do next. */
async function postItems(feed: FeedClient, items: IngestItem[], signal: AbortSignal) {
  try {
    return await feed.ingest(items, { signal });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const detail = error.problem === undefined ? "" : `: ${JSON.stringify(error.problem)}`;
    const message = `paginated-feed answered ${error.status}${detail}`.slice(0, 500);
    if (!isRetryableStatus(error.status)) throw new PermanentJobError(message);
    throw new RetryableJobError(message, { retryAfterMs: error.retryAfterMs });
  }
}
