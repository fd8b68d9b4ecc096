import { exports } from "cloudflare:workers";
import { SaxesParser } from "saxes";
import { beforeEach, describe, expect, it } from "vitest";
import { createFeedClient } from "../src/client.ts";
import { BASE, ingest, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

const client = () =>
  createFeedClient({ baseUrl: BASE, fetch: (request) => exports.default.fetch(request) });

describe("feed client syndication", () => {
  it("reads the JSON Feed page by page through next_url's cursor", async () => {
    await ingest(Array.from({ length: 3 }, (_, i) => makeItem(T0 + i, { title: `Post ${i}` })));
    const feed = client();
    const first = await feed.jsonFeed({ limit: 2 });
    expect(first.items.map((item) => item.title)).toEqual(["Post 2", "Post 1"]);
    const cursor = new URL(first.next_url!).searchParams.get("cursor")!;
    const second = await feed.jsonFeed({ limit: 2, cursor });
    expect(second.items.map((item) => item.title)).toEqual(["Post 0"]);
    expect(second.next_url).toBeUndefined();
  });

  it("answers the Atom document as text a strict XML parser accepts", async () => {
    await ingest([makeItem(T0, { title: "<b>bold</b> & more", topic: "go" })]);
    const xml = await client().atomFeed({ topic: "go" });
    const titles: string[] = [];
    let inTitle = false;
    const parser = new SaxesParser();
    parser.on("opentag", (tag) => {
      inTitle = tag.name === "title";
    });
    parser.on("text", (text) => {
      if (inTitle) titles.push(text);
    });
    parser.on("closetag", () => {
      inTitle = false;
    });
    parser.write(xml).close();
    expect(titles).toEqual(["paginated-feed: go", "<b>bold</b> & more"]);
  });
});
