import { env } from "cloudflare:workers";
import { parseRfc3339, rfc3339Messages } from "@edge-async/http";
import { dateTimeLike, RFC3339_REFUSED, RFC3339_TAKEN } from "@edge-async/testing";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "./fixtures/jobs.ts";

// runAt, from and to read RFC 3339 date-times by the shared rule (@edge-async/http's
// rfc3339DateTime) that paginated-feed's since, until and publishedAt read by: the same texts
// taken or refused with the same messages (the tables of @edge-async/testing, which both test;
// times taken are in the future, since a past runAt runs now and reads back as when it was sent).

const post = (path: string, json: object) => api(path, { method: "POST", json });

async function problemOf(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as { errors: { pointer: string; detail: string }[] };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("runAt", () => {
  it.each(RFC3339_TAKEN)("takes %s and reads it back as %s", async (runAt, readBack) => {
    vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const response = await post("/v1/jobs", { type: "simulate", payload: {}, runAt });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as { runAt: string };
    expect(view.runAt).toBe(readBack);
  });

  it.each(RFC3339_REFUSED)("refuses %s with the shared message", async (runAt, message) => {
    const problem = await problemOf(
      await post("/v1/jobs", { type: "simulate", payload: {}, runAt }),
    );
    expect(problem.errors).toEqual([{ pointer: "/runAt", detail: message("runAt") }]);
  });
});

describe("from and to", () => {
  it.each(RFC3339_REFUSED)(
    "refuses from and to of %s with the shared message",
    async (text, message) => {
      for (const name of ["from", "to"]) {
        const problem = await problemOf(await post("/v1/jobs/retry", { [name]: text }));
        expect(problem.errors).toEqual([{ pointer: `/${name}`, detail: message(name) }]);
      }
    },
  );

  it("agrees with the shared rule on date-time-like texts", async () => {
    vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const text = dateTimeLike();
    // An error no job has, so a time taken retries nothing.
    const error = `none-${crypto.randomUUID()}`;
    await fc.assert(
      fc.asyncProperty(text, async (from) => {
        const response = await post("/v1/jobs/retry", { error, from });
        const parsed = parseRfc3339(from);
        if ("ms" in parsed) {
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ retried: 0, ids: [], hasMore: false });
          return;
        }
        const problem = await problemOf(response);
        const detail = rfc3339Messages("from")[parsed.refused];
        expect(problem.errors).toEqual([{ pointer: "/from", detail }]);
      }),
      { numRuns: 60 },
    );
  });
});
