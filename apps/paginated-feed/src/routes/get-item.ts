import { HttpProblem, params } from "@edge-async/http";
import { Hono } from "hono";
import { etag } from "hono/etag";
import { feedDb, findItem } from "../db/feed-store.ts";
import type { FeedApp } from "../env.ts";
import { toFeedItem } from "../item-json.ts";
import { itemParams } from "../schemas.ts";

/**
 * `GET /v1/items/:id`: one item, with an ETag for conditional requests.
 *
 * @example
 * ```ts
 * const app = new Hono<FeedApp>().route("/v1/items", getItem);
 * ```
 */
export const getItem = new Hono<FeedApp>().get(
  "/:id",
  etag({ weak: true }),
  params(itemParams),
  async (c) => {
    const { id } = c.req.valid("param");
    const row = await findItem(feedDb(c.env.DB), id);
    if (row === undefined) {
      throw new HttpProblem(404, "item-not-found", "Item not found", {
        detail: `There is no item with id ${id}.`,
      });
    }
    c.header("cache-control", "private, no-cache");
    return c.json(toFeedItem(row));
  },
);
