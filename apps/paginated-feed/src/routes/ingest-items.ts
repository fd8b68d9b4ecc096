import { jsonBody } from "@edge-async/http";
import { Hono } from "hono";
import type { IngestResponse } from "../contract.ts";
import { feedDb, upsertItems } from "../db/feed-store.ts";
import type { FeedApp } from "../env.ts";
import { ingestBody } from "../schemas.ts";

/**
 * `POST /v1/items`: stores up to 100 items in one D1 batch, idempotent on `externalKey`;
 * answers the stored id of every item, in request order.
 *
 * @example
 * ```ts
 * const app = new Hono<FeedApp>().route("/v1/items", ingestItems);
 * ```
 */
export const ingestItems = new Hono<FeedApp>().post(
  "/",
  // 100 items at their largest fit well within 2 MiB.
  jsonBody(ingestBody, { maxBytes: 2 * 1024 * 1024 }),
  async (c) => {
    const { items } = c.req.valid("json");
    const outcomes = await upsertItems(feedDb(c.env.DB), items, Date.now());
    const body: IngestResponse = {
      items: outcomes.map((outcome) => ({
        ...outcome,
        publishedAt: new Date(outcome.publishedAt).toISOString(),
      })),
    };
    // Always 200: a batch has no single created resource to point a Location at; `created` says it.
    return c.json(body);
  },
);
