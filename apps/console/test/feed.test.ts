import { describe, expect, it } from "vitest";
import { grantingWorkers, json, send, signIn, stubWorker } from "./helpers.ts";

const item = (id: number, topic = "rust") => ({
  id,
  externalKey: `k${id}`,
  topic,
  title: `Item <${id}>`,
  url: `https://example.com/${id}`,
  author: id % 2 === 0 ? "Ada" : null,
  summary: null,
  publishedAt: "2026-11-29T10:00:00.000Z",
  createdAt: "2026-11-29T10:00:00.000Z",
  updatedAt: "2026-11-29T10:00:00.000Z",
});

/** A feed stand-in: two pages of items, one item by id, and an export. */
function feedWorker() {
  return stubWorker((request) => {
    const url = new URL(request.url);
    if (url.pathname === "/v1/items") {
      const second = url.searchParams.get("cursor") === "p2";
      return json({
        items: second ? [item(3)] : [item(5), item(4)],
        nextCursor: second ? null : "p2",
        prevCursor: second ? "p1" : null,
        hasMore: !second,
      });
    }
    if (url.pathname === "/v1/items/export") {
      return new Response(`${JSON.stringify(item(5))}\n`, {
        headers: { "content-type": "application/x-ndjson" },
      });
    }
    if (url.pathname === "/v1/items/5") return json(item(5));
    return json({ title: "Not Found", status: 404, detail: "no item 9" }, 404);
  });
}

async function session() {
  const feed = feedWorker();
  const workers = grantingWorkers({ FEED: feed.fetcher });
  return { workers, feed, cookie: await signIn(workers) };
}

describe("the feed page", () => {
  it("lists items newest first, escaped, with a sentinel that loads the next page when revealed", async () => {
    const { workers, cookie } = await session();
    const html = await (await send("/feed", { headers: { cookie } }, workers)).text();
    expect(html.indexOf('data-item="5"')).toBeLessThan(html.indexOf('data-item="4"'));
    expect(html).toContain("Item &lt;5&gt;");
    expect(html).toContain('hx-get="/feed/items?cursor=p2"');
    expect(html).toContain('hx-trigger="revealed"');
    expect(html).toContain('<label for="topic">Topic</label>');
    expect(html).toContain('href="/feed/export"');
  });

  it("keeps the topic in the scroll's requests and in the export link", async () => {
    const { workers, cookie, feed } = await session();
    const html = await (await send("/feed?topic=rust", { headers: { cookie } }, workers)).text();
    expect(new URL(feed.seen.at(-1)?.url ?? "").searchParams.get("topic")).toBe("rust");
    expect(html).toContain('hx-get="/feed/items?cursor=p2&amp;topic=rust"');
    expect(html).toContain('href="/feed/export?topic=rust"');
  });

  it("answers the next page as list items, ending the scroll on the last page", async () => {
    const { workers, cookie, feed } = await session();
    const html = await (
      await send("/feed/items?cursor=p2", { headers: { cookie } }, workers)
    ).text();
    expect(new URL(feed.seen.at(-1)?.url ?? "").searchParams.get("cursor")).toBe("p2");
    expect(html).toContain('data-item="3"');
    expect(html).toContain("End of the feed.");
    expect(html).not.toContain("revealed");
  });

  it("refuses a topic with control characters as a problem naming it", async () => {
    const { workers, cookie } = await session();
    const response = await send("/feed/items?topic=a%00b", { headers: { cookie } }, workers);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { parameter?: string }[] };
    expect(problem.errors[0]?.parameter).toBe("topic");
  });

  it("shows an item's detail, and the worker's 404 for a missing one", async () => {
    const { workers, cookie } = await session();
    const found = await send("/feed/items/5", { headers: { cookie } }, workers);
    expect(await found.text()).toContain("https://example.com/5");
    const missing = await send("/feed/items/9", { headers: { cookie } }, workers);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("no item 9");
    for (const id of ["0x1", "abc", "-1", "99999999999999999999"]) {
      const bad = await send(`/feed/items/${id}`, { headers: { cookie } }, workers);
      expect(bad.status, id).toBe(400);
      const problem = (await bad.json()) as { errors: { parameter?: string; detail: string }[] };
      expect(problem.errors).toEqual([
        { parameter: "id", detail: "id must be a positive integer" },
      ]);
    }
  });

  it("passes the export through as an NDJSON download", async () => {
    const { workers, cookie } = await session();
    const response = await send("/feed/export?topic=rust", { headers: { cookie } }, workers);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="feed-rust.ndjson"',
    );
    expect(JSON.parse((await response.text()).trim())).toEqual(item(5));
  });
});
