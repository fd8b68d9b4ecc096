/**
 * The feed section: items newest first with infinite scroll that follows the feed's cursors, a
 * topic filter, an item's detail, and the NDJSON export passed through.
 */

import { parseInput, text } from "@edge-async/http";
import type { FeedItem } from "@edge-async/paginated-feed/client";
import { type Context, Hono } from "hono";
import * as z from "zod";
import { route } from "../access.ts";
import { feedClient } from "../clients.ts";
import type { ConsoleEnv } from "../env.ts";
import { failureFragment, failurePage } from "../views/failure.tsx";
import { FeedItems, FeedPage, ItemDetail } from "../views/feed.tsx";

export const feedRoutes = new Hono<ConsoleEnv>();

/** Items per request of the scroll. */
export const FEED_PAGE_SIZE = 20;

const topic = text("topic")
  .max(64, "topic must be at most 64 characters")
  .regex(/^[^\p{Cc}]*$/u, "topic must not contain control characters")
  .transform((value) => (value === "" ? undefined : value))
  .optional();
const listQuery = z.strictObject({
  topic,
  cursor: z.string().min(1).max(2048, "cursor must be at most 2048 characters").optional(),
});
// Parsed as an object so a refusal names the parameter `id`, not the whole path.
const itemParams = z.object({
  id: z.string().regex(/^[1-9][0-9]{0,14}$/, "id must be a positive integer"),
});

const feed = (c: Context<ConsoleEnv>) => feedClient(c.env, c.var.session.key);

route(feedRoutes, "GET", "/feed", "session", async (c) => {
  const { topic } = parseInput(listQuery.omit({ cursor: true }), c.req.query(), "query");
  try {
    const page = await feed(c).page(
      { limit: FEED_PAGE_SIZE, ...(topic === undefined ? {} : { topic }) },
      { signal: c.req.raw.signal },
    );
    return c.html(<FeedPage page={page} topic={topic} />);
  } catch (error) {
    return failurePage(c, error, { title: "Feed", section: "feed" });
  }
});

route(feedRoutes, "GET", "/feed/items", "session", async (c) => {
  const { topic, cursor } = parseInput(listQuery, c.req.query(), "query");
  try {
    const page = await feed(c).page(
      {
        limit: FEED_PAGE_SIZE,
        ...(topic === undefined ? {} : { topic }),
        ...(cursor === undefined ? {} : { cursor }),
      },
      { signal: c.req.raw.signal },
    );
    return c.html(<FeedItems page={page} topic={topic} />);
  } catch (error) {
    return failureFragment(c, error, "li");
  }
});

route(feedRoutes, "GET", "/feed/export", "session", async (c) => {
  const { topic } = parseInput(listQuery.omit({ cursor: true }), c.req.query(), "query");
  const target = new URL("https://paginated-feed/v1/items/export");
  if (topic !== undefined) target.searchParams.set("topic", topic);
  const upstream = await c.env.FEED.fetch(
    new Request(target, {
      headers: { authorization: `Bearer ${c.var.session.key}` },
      signal: c.req.raw.signal,
    }),
  );
  const headers = new Headers({
    "content-type": upstream.headers.get("content-type") ?? "application/x-ndjson",
    "cache-control": "no-store",
  });
  if (upstream.ok) {
    headers.set(
      "content-disposition",
      `attachment; filename="feed${topic ? `-${topic.replace(/[^A-Za-z0-9_-]/g, "_")}` : ""}.ndjson"`,
    );
  }
  return new Response(upstream.body, { status: upstream.status, headers });
});

route(feedRoutes, "GET", "/feed/items/:id", "session", async (c) => {
  const { id } = parseInput(itemParams, c.req.param(), "param");
  let item: FeedItem;
  try {
    item = await feed(c).item(Number(id), { signal: c.req.raw.signal });
  } catch (error) {
    return failurePage(c, error, { title: "Feed item", section: "feed" });
  }
  return c.html(<ItemDetail item={item} />);
});
