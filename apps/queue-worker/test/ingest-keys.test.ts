import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalFeedHost, externalKey, feedText, toFeedItem } from "../src/job-types/ingest.ts";
import { deliver, getJob, insertJob } from "./fixtures/jobs.ts";

// What the stand-in paginated-feed (test/outbound/upstream.ts) holds under an externalKey prefix.
async function storedItems(prefix: string) {
  const response = await fetch(
    `https://upstream.test/feed-items?prefix=${encodeURIComponent(prefix)}`,
  );
  return (await response.json()) as { id: number; externalKey: string; topic: string }[];
}

async function ingest(feedUrl: string, topic: string) {
  const id = await insertJob({ type: "ingest", payload: { feedUrl, topic } });
  await deliver([id]);
  const job = await getJob(id);
  expect(job.status, job.error ?? "").toBe("succeeded");
  return JSON.parse(job.result ?? "null") as { mapped: number; created: number };
}

describe("the canonical host of a feed", () => {
  it.each([
    ["http://127.0.0.1:8790/feed.json", "127.0.0.1:8790"],
    ["http://[::ffff:127.0.0.1]:8790/feed.json", "127.0.0.1:8790"],
    ["http://[0:0:0:0:0:ffff:7f00:1]:8790/feed.json", "127.0.0.1:8790"],
    ["HTTPS://Blog.Example./feed.json", "blog.example"],
    ["https://blog.example..:443/feed.json", "blog.example"],
    ["http://blog.example:80/feed.json", "blog.example"],
    ["http://blog.example:443/feed.json", "blog.example"],
    ["https://blog.example:8443/feed.json", "blog.example:8443"],
    ["http://[::1]:8080/feed.json", "[::1]:8080"],
    ["http://0x7f.1:8790/feed.json", "127.0.0.1:8790"],
  ])("of %s is %s", (url, host) => {
    expect(canonicalFeedHost(url)).toBe(host);
  });
});

describe("externalKey", () => {
  it("is <topic>@<host>/<id>, and different (topic, host, id) never share one", () => {
    expect(externalKey("rust", "blog.example:8443", "a:b")).toBe("rust@blog.example:8443/a:b");
    const topic = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
    const host = fc.oneof(
      fc.domain(),
      fc.tuple(fc.domain(), fc.integer({ min: 1, max: 65535 })).map(([d, p]) => `${d}:${p}`),
    );
    const id = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(fc.tuple(topic, host, id), fc.tuple(topic, host, id), (a, b) => {
        fc.pre(a.join("\u0000") !== b.join("\u0000"));
        fc.pre(`${a[0]}@${a[1]}/${a[2]}`.length <= 256 && `${b[0]}@${b[1]}/${b[2]}`.length <= 256);
        expect(externalKey(...a)).not.toBe(externalKey(...b));
      }),
      { numRuns: 200 },
    );
  });
});

describe("feedText", () => {
  it("is well-formed, at most max code units, and a code-point prefix of the well-formed text", () => {
    const units = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: fc.constantFrom("a", "😀", "\ud800", "\udc00", "é") }),
    );
    fc.assert(
      fc.property(units, fc.integer({ min: 1, max: 40 }), (value, max) => {
        const out = feedText(value, max);
        expect(out.isWellFormed()).toBe(true);
        expect(out.length).toBeLessThanOrEqual(max);
        const whole = value.toWellFormed();
        expect(whole.startsWith(out)).toBe(true);
        // Cut only where a whole code point would not fit.
        if (out.length < whole.length) expect(out.length).toBeGreaterThanOrEqual(max - 1);
      }),
      { numRuns: 200 },
    );
  });

  it("replaces lone surrogates with U+FFFD and never splits a pair", () => {
    expect(feedText("a\ud800b", 10)).toBe("a\ufffdb");
    expect(feedText("ab😀", 3)).toBe("ab");
    expect(feedText("ab😀", 4)).toBe("ab😀");
  });

  it("makes a feed item posted as paginated-feed can store it", () => {
    const item = toFeedItem(
      {
        id: "x\ud800",
        url: "https://blog.example/1",
        title: `x${"😀".repeat(200)}`,
        summary: "\udc00 summary",
        authors: [{ name: "Ada\ud800" }],
        date_published: "2026-01-01T00:00:00Z",
      },
      "news",
      "blog.example",
    );
    expect(item).toMatchObject({
      externalKey: "news@blog.example/x\ufffd",
      title: `x${"😀".repeat(149)}`,
      summary: "\ufffd summary",
      author: "Ada\ufffd",
    });
  });

  it("skips an item whose only link paginated-feed would store altered", () => {
    const item = {
      id: 1,
      url: " https://blog.example/1\n",
      title: "T",
      date_published: "2026-01-01T00:00:00Z",
    };
    expect(toFeedItem(item, "news", "blog.example")).toBeUndefined();
    expect(toFeedItem({ ...item, external_url: "https://blog.example/1" }, "news", "h")?.url).toBe(
      "https://blog.example/1",
    );
  });
});

describe("an ingest run", () => {
  it("posts a feed holding lone surrogates and cut pairs instead of dying on a 400", async () => {
    const tag = crypto.randomUUID();
    const result = await ingest(`https://upstream.test/odd-feed.json?tag=${tag}`, "odd");
    expect(result).toMatchObject({ mapped: 1, created: 1 });
  });

  it("stores one feed once, however its host is spelled", async () => {
    const prefix = `spell-${crypto.randomUUID().slice(0, 8)}`;
    const spellings = [
      `https://upstream.test/feed.json?items=3&prefix=${prefix}`,
      `https://UPSTREAM.test./feed.json?items=3&prefix=${prefix}`,
      `https://upstream.test:443/feed.json?items=3&prefix=${prefix}`,
    ];
    const created = [];
    for (const url of spellings) created.push((await ingest(url, "spelling")).created);
    expect(created).toEqual([3, 0, 0]);
    expect(await storedItems(`/${prefix}-`)).toHaveLength(3);
  });

  it("adds a feed ingested under another topic to that topic, leaving the first topic's items where they were", async () => {
    const prefix = `topic-${crypto.randomUUID().slice(0, 8)}`;
    const url = `https://upstream.test/feed.json?items=2&prefix=${prefix}`;
    expect((await ingest(url, "first")).created).toBe(2);
    expect((await ingest(url, "second")).created).toBe(2);
    expect((await ingest(url, "first")).created).toBe(0);
    const stored = await storedItems(`/${prefix}-`);
    expect(stored.map((item) => `${item.topic} ${item.externalKey}`).sort()).toEqual([
      `first first@upstream.test/${prefix}-0`,
      `first first@upstream.test/${prefix}-1`,
      `second second@upstream.test/${prefix}-0`,
      `second second@upstream.test/${prefix}-1`,
    ]);
  });
});
