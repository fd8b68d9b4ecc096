import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const get = (path: string) => exports.default.fetch(new Request(`http://demo.local${path}`));

describe("demo-upstream", () => {
  it("serves deterministic users, orders and recommendations", async () => {
    const user = await (await get("/users/42")).json();
    expect(user).toEqual(await (await get("/users/42")).json());
    expect(user).toMatchObject({
      id: "42",
      name: expect.any(String),
      email: expect.stringContaining("@example.com"),
    });
    const orders = (await (await get("/users/42/orders?limit=2")).json()) as { userId: string }[];
    expect(orders).toHaveLength(2);
    expect(orders.every((order) => order.userId === "42")).toBe(true);
    const recommendations = (await (await get("/users/42/recommendations")).json()) as {
      title: string;
    }[];
    expect(new Set(recommendations.map((item) => item.title)).size).toBe(3);
  });

  it("answers the asked status with Retry-After", async () => {
    const response = await get("/status/503?retryAfter=2");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("2");
    await response.arrayBuffer();
  });

  it("fails a flaky key the asked number of times, then recovers", async () => {
    const statuses: number[] = [];
    for (let n = 0; n < 3; n++) {
      const response = await get("/flaky/test-key?failures=2&status=502");
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([502, 502, 200]);
  });

  it("delays and streams large bodies of the asked size", async () => {
    const started = Date.now();
    expect(await (await get("/delay/60")).json()).toEqual({ delayedMs: 60 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect((await (await get("/large/200000")).arrayBuffer()).byteLength).toBe(200_000);
  });

  it("refuses a delay that is not whole milliseconds from 0 to 30 s, never reading it loosely", async () => {
    for (const path of [
      "/delay/1e3",
      "/delay/-5",
      "/delay/1.5",
      "/delay/30001",
      "/users/1?delay=1e3",
      "/users/1?delay=-5",
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await response.json()) as { errors: { parameter: string }[] };
      expect(problem.errors.map((error) => error.parameter)).toEqual([
        path.startsWith("/delay") ? "ms" : "delay",
      ]);
    }
    expect(await (await get("/delay/0")).json()).toEqual({ delayedMs: 0 });
  });

  it("serves a JSON Feed with links on its origin, and a text file", async () => {
    const response = await get("/feed.json");
    expect(response.headers.get("content-type")).toBe("application/feed+json");
    const feed = (await response.json()) as { items: { id: string; url?: string }[] };
    expect(feed.items.map((item) => item.id)).toEqual(["post-1", "post-2", "post-3", "draft-4"]);
    expect(feed.items[0]?.url).toBe("http://demo.local/posts/1");
    expect(feed.items[3]?.url).toBeUndefined();
    expect(await (await get("/hello.txt")).text()).toBe("Hello, edge!\n");
  });

  it("echoes requests", async () => {
    const response = await exports.default.fetch(
      new Request("http://demo.local/echo", {
        method: "POST",
        body: "hi",
        headers: { "x-a": "1" },
      }),
    );
    expect(await response.json()).toMatchObject({
      method: "POST",
      body: "hi",
      headers: { "x-a": "1" },
    });
  });
});
