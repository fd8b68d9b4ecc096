import { afterEach, describe, expect, it, vi } from "vitest";
import { toFeedItem } from "../src/job-types/ingest.ts";
import { deliver, getJob, insertJob, runsOf } from "./fixtures/jobs.ts";

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const resultOf = async (id: string) => JSON.parse((await getJob(id)).result ?? "null");

afterEach(() => {
  vi.restoreAllMocks();
});

describe("fetch job", () => {
  it("records status, byte size and SHA-256 of the body", async () => {
    const id = await insertJob({ type: "fetch", payload: { url: "https://upstream.test/hello" } });
    await deliver([id]);
    expect((await getJob(id)).status).toBe("succeeded");
    expect(await resultOf(id)).toMatchObject({
      url: "https://upstream.test/hello",
      status: 200,
      ok: true,
      contentType: "text/plain",
      bytes: 13,
      sha256: await sha256Hex("hello, world\n"),
      tries: 1,
    });
  });

  it("records a 404 as a completed fetch (the answer is the result)", async () => {
    const id = await insertJob({
      type: "fetch",
      payload: { url: "https://upstream.test/missing" },
    });
    await deliver([id]);
    expect(await resultOf(id)).toMatchObject({ status: 404, ok: false, bytes: 4 });
  });

  it("retries a flaky upstream inside the run", async () => {
    const key = crypto.randomUUID();
    const id = await insertJob({
      type: "fetch",
      payload: { url: `https://upstream.test/flaky?key=${key}&fails=2`, retries: 2 },
    });
    await deliver([id]);
    expect(await resultOf(id)).toMatchObject({ status: 200, tries: 3 });
  });

  it("gives each try its own timeout and fails the run when all time out", async () => {
    const id = await insertJob({
      type: "fetch",
      payload: { url: "https://upstream.test/slow?ms=3000", timeoutMs: 100, retries: 1 },
    });
    const { result } = await deliver([id]);
    expect(result.retryMessages).toHaveLength(1);
    expect((await getJob(id)).error).toContain("took longer than 100 ms");
  });

  it("refuses a body larger than maxBytes for good", async () => {
    const id = await insertJob({
      type: "fetch",
      payload: { url: "https://upstream.test/big?bytes=5000", maxBytes: 1000 },
    });
    const { result } = await deliver([id]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await getJob(id)).toMatchObject({ status: "dead" });
    expect((await getJob(id)).error).toContain("exceeds 1000 bytes");
  });
});

describe("ingest job", () => {
  it("maps a JSON Feed and posts its items to paginated-feed in chunks of 100", async () => {
    const prefix = crypto.randomUUID();
    const feedUrl = `https://upstream.test/feed.json?items=250&prefix=${prefix}`;
    const id = await insertJob({ type: "ingest", payload: { feedUrl, topic: "rust" } });
    await deliver([id]);
    expect((await getJob(id)).status).toBe("succeeded");
    expect(await resultOf(id)).toEqual({
      feedUrl,
      topic: "rust",
      feedItems: 252,
      mapped: 250,
      skipped: 2,
      posted: 250,
      created: 250,
    });

    // The same feed again: paginated-feed dedupes on externalKey, nothing new is created.
    const again = await insertJob({ type: "ingest", payload: { feedUrl, topic: "rust" } });
    await deliver([again]);
    expect(await resultOf(again)).toMatchObject({ posted: 250, created: 0 });
  });

  it("marks the job dead when paginated-feed refuses the items", async () => {
    const id = await insertJob({
      type: "ingest",
      payload: { feedUrl: "https://upstream.test/feed.json?items=1", topic: "refused" },
    });
    const { result } = await deliver([id]);
    expect(result.explicitAcks).toHaveLength(1);
    expect((await getJob(id)).status).toBe("dead");
    expect((await getJob(id)).error).toContain("paginated-feed answered 400");
    expect(await runsOf(id)).toHaveLength(1);
  });

  it("retries when paginated-feed is busy, no sooner than its Retry-After", async () => {
    // The jitter draws 0 and the in-run tries stop at a hint over 5 s: the delay is the hint.
    vi.spyOn(Math, "random").mockReturnValue(0);
    const id = await insertJob({
      type: "ingest",
      payload: { feedUrl: "https://upstream.test/feed.json?items=1", topic: "busy" },
    });
    const { result } = await deliver([id], {
      env: { RETRY_BASE_DELAY_SECONDS: "2", RETRY_MAX_DELAY_SECONDS: "60" },
    });
    expect(result.retryMessages).toEqual([{ msgId: expect.any(String), delaySeconds: 45 }]);
    expect(await getJob(id)).toMatchObject({ status: "failed" });
    expect((await getJob(id)).error).toContain("paginated-feed answered 503");
  });

  it("marks the job dead when the feed is not JSON", async () => {
    const id = await insertJob({
      type: "ingest",
      payload: { feedUrl: "https://upstream.test/not-json", topic: "news" },
    });
    await deliver([id]);
    expect(await getJob(id)).toMatchObject({ status: "dead" });
    expect((await getJob(id)).error).toContain("is not JSON");
  });

  it("maps JSON Feed items field by field", () => {
    expect(
      toFeedItem(
        {
          id: 7,
          external_url: "https://x.example/7",
          title: "  Seven ",
          content_text: "body",
          date_modified: "2026-02-03T04:05:06+02:00",
          author: { name: "Grace" },
        },
        "news",
        "x.example",
      ),
    ).toEqual({
      externalKey: "news@x.example/7",
      topic: "news",
      title: "Seven",
      url: "https://x.example/7",
      author: "Grace",
      summary: "body",
      publishedAt: "2026-02-03T02:05:06.000Z",
    });
    expect(toFeedItem({ id: "x", title: "No link", date_published: "2026-01-01" }, "t", "h")).toBe(
      undefined,
    );
    const mailto = { id: "m", url: "mailto:a@b.c", title: "M", date_published: "2026-01-01" };
    expect(toFeedItem(mailto, "t", "h")).toBe(undefined);
    // Valid dates the feed cannot take as ISO-8601 are skipped, not posted to fail the batch.
    for (const date_published of ["+275760-09-13T00:00:00Z", "-000001-01-01T00:00:00Z"]) {
      const far = { id: "f", url: "https://x.example/f", title: "Far", date_published };
      expect(toFeedItem(far, "t", "h")).toBe(undefined);
    }
    const y9999 = {
      id: "y",
      url: "https://x.example/y",
      title: "Y",
      date_published: "9999-12-31T23:59:59Z",
    };
    expect(toFeedItem(y9999, "t", "h")?.publishedAt).toBe("9999-12-31T23:59:59.000Z");
  });
});
