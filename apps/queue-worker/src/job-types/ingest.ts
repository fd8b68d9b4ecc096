import { chunk, deadlineSignal, retry, withTimeout } from "@edge-async/async-utils";
import {
  isRetryableStatus,
  keptAsSent,
  type TargetPolicy,
  text,
  tracedFetch,
} from "@edge-async/http";
import {
  ApiError,
  createFeedClient,
  type FeedClient,
  type IngestItem,
} from "@edge-async/paginated-feed/client";
import * as z from "zod";
import { MAX_QUEUE_DELAY_SECONDS } from "../backoff.ts";
import { feedApiKeyOf } from "../config.ts";
import type { Env } from "../env.ts";
import { PermanentJobError, RetryableJobError } from "../errors.ts";
import { fetchOutbound } from "../outbound.ts";
import { httpRetryOptions, responseError } from "./http-status.ts";
import { jobUrl } from "./http-url.ts";
import { defineJobType } from "./job-type.ts";

// paginated-feed accepts at most this many items per `POST /v1/items` (MAX_INGEST_ITEMS of its
// contract, which its client does not export).
const FEED_POST_LIMIT = 100;

// JSON Feed 1.1 (https://jsonfeed.org/version/1.1), read leniently: an item that cannot be mapped
// is skipped and counted rather than failing the whole feed. A link is used only as paginated-feed
// would store it (well-formed, not rewritten by URL parsing), or one item would fail its batch.
const httpUrl = keptAsSent(
  text("url")
    .max(2048)
    .pipe(z.url({ protocol: /^https?$/ })),
);
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
 * The one spelling of a feed's host that its items' keys use, so one feed cannot be ingested
 * twice under two spellings: lower case (as `URL` gives it), no trailing dots, an IPv4-mapped
 * IPv6 literal as its IPv4 address (`[::ffff:127.0.0.1]` is `127.0.0.1`), and no port when it is
 * 80 or 443 (the scheme is not part of the key either: `http://` and `https://` are one feed).
 */
export function canonicalFeedHost(feedUrl: string): string {
  const url = new URL(feedUrl);
  let host = url.hostname.replace(/\.+$/, "");
  // URL writes an IPv4-mapped address as [::ffff:hhhh:hhhh], however it was spelled.
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (mapped !== null) {
    const [high, low] = [mapped[1], mapped[2]].map((group) => Number.parseInt(group as string, 16));
    host = [
      (high as number) >> 8,
      (high as number) & 0xff,
      (low as number) >> 8,
      (low as number) & 0xff,
    ].join(".");
  }
  const port = url.port === "" || url.port === "80" || url.port === "443" ? "" : `:${url.port}`;
  return `${host}${port}`;
}

/**
 * Text from a feed as paginated-feed can store it: lone surrogates replaced with U+FFFD
 * (`toWellFormed`) and at most `max` UTF-16 code units, cut between code points, never inside a
 * surrogate pair. The one place this worker changes text it passes on: the feed's text is not
 * ours to refuse, and one bad item would fail its whole batch.
 */
export function feedText(value: string, max: number): string {
  const wellFormed = value.toWellFormed();
  if (wellFormed.length <= max) return wellFormed;
  const last = wellFormed.charCodeAt(max - 1);
  return wellFormed.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/**
 * The external key of an item: `<topic>@<canonical feed host>/<item id>`. JSON Feed requires ids
 * to be stable within a feed, so ingesting the same feed again creates nothing new; the host keeps
 * two sites' `"1"` apart; the topic makes an item's topic part of its identity, so ingesting a
 * feed under another topic adds its items to that topic and never moves the ones already stored
 * under the first (paginated-feed updates an existing key's topic in place). `@` and `/` appear in
 * neither a topic nor a host, so two different items never share a key.
 */
export function externalKey(topic: string, host: string, id: string | number): string {
  return feedText(`${topic}@${host}/${id}`, 256);
}

/**
 * Maps one JSON Feed item to a paginated-feed item, or `undefined` when it lacks an id, an
 * http(s) link paginated-feed would store as sent, a title or a valid date (years 0000-9999).
 * Text is passed through {@link feedText}; the key is {@link externalKey}.
 */
export function toFeedItem(raw: unknown, topic: string, host: string): IngestItem | undefined {
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
    externalKey: externalKey(topic, host, item.id),
    topic,
    title: feedText(title, 300),
    url,
    ...(author ? { author: feedText(author, 200) } : {}),
    ...(summary ? { summary: feedText(summary, 1000) } : {}),
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
    feedUrl: jobUrl("feedUrl"),
    topic: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be a lowercase slug of 1-64 characters"),
    maxItems: z.number().int().min(1).max(5_000).default(1_000),
    timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
  }),
  outboundUrls: (payload) => ({ "/feedUrl": payload.feedUrl }),
  async run(payload, { env, outbound: policy, signal }) {
    const feedService = feedClient(env, feedApiKey(env));
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
    const host = canonicalFeedHost(payload.feedUrl);
    const items = raw.flatMap((item) => toFeedItem(item, payload.topic, host) ?? []);
    let created = 0;
    let posted = 0;
    for await (const group of chunk(items, FEED_POST_LIMIT, { signal })) {
      const answer = await retry(
        () =>
          // A deadline-carrying signal: the client sends what is left of it to paginated-feed as
          // request-timeout-ms, so the feed stops working on a post this run gave up on.
          withTimeout(
            (trySignal) =>
              postItems(
                feedService,
                group,
                deadlineSignal(payload.timeoutMs, { signal: trySignal }),
              ),
            payload.timeoutMs,
            {
              signal,
              message: `paginated-feed took longer than ${payload.timeoutMs} ms`,
            },
          ),
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
function feedClient(env: Env, apiKey: string): FeedClient {
  return createFeedClient({
    baseUrl: "https://paginated-feed",
    // The request id travels to paginated-feed too (traceparent).
    fetch: tracedFetch(env.FEED),
    headers: { authorization: `Bearer ${apiKey}` },
    retries: 0,
    maxRetryDelayMs: MAX_QUEUE_DELAY_SECONDS * 1000,
  });
}

/** The key to post with; refused at enqueue when missing, so only a since-changed config lands here. */
function feedApiKey(env: Env): string {
  const key = feedApiKeyOf(env);
  if (key === undefined) {
    throw new PermanentJobError(
      "FEED_API_KEY is not set, so this job cannot post to paginated-feed",
    );
  }
  return key;
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
