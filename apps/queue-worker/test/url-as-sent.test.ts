import { URL_CREDENTIALS_DETAIL, URL_DROPPED_TEXT_DETAIL } from "@edge-async/http";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobs } from "../src/db/schema.ts";
import { api, db, deliver, getJob } from "./fixtures/jobs.ts";

// A fetch job's url and a callbackUrl are refused when fetch would not send them as given: a
// user name or password (fetch drops userinfo), or what the URL parser drops (controls or
// spaces at either end, tabs and line breaks). Nothing is stored; the 400 points at the field.

const later = { delaySeconds: 3600 };

async function problemErrors(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return ((await response.json()) as { errors: { pointer: string; detail: string }[] }).errors;
}

async function storedWithKey(key: string) {
  return db.select().from(jobs).where(eq(jobs.idempotencyKey, key));
}

const credentials = [
  "http://user:secret@upstream.test/hello#frag",
  "https://user@upstream.test/hello",
  "https://:secret@upstream.test/hello",
];
const dropped = [
  " https://upstream.test/hello",
  "https://upstream.test/hello\u0000",
  "https://upstream.test/he\tllo",
  "https://upstream.test/hello\n",
];

describe("a fetch job's url", () => {
  it.each([
    ...credentials.map((url) => [url, URL_CREDENTIALS_DETAIL]),
    ...dropped.map((url) => [url, URL_DROPPED_TEXT_DETAIL]),
  ])("%j is refused (400 at /payload/url), nothing stored", async (url, detail) => {
    const idempotencyKey = `url-as-sent-${crypto.randomUUID()}`;
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "fetch", payload: { url }, idempotencyKey, ...later },
    });
    expect(await problemErrors(response)).toEqual([{ pointer: "/payload/url", detail }]);
    expect(await storedWithKey(idempotencyKey)).toEqual([]);
  });

  it("is refused in a batch at /jobs/N/payload/url, and the batch stores nothing", async () => {
    const idempotencyKey = `url-as-sent-batch-${crypto.randomUUID()}`;
    const response = await api("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "fetch", payload: { url: "https://upstream.test/hello" }, idempotencyKey },
          { type: "fetch", payload: { url: credentials[0] }, ...later },
          { type: "fetch", payload: { url: dropped[0] }, ...later },
        ],
      },
    });
    expect(await problemErrors(response)).toEqual([
      { pointer: "/jobs/1/payload/url", detail: URL_CREDENTIALS_DETAIL },
      { pointer: "/jobs/2/payload/url", detail: URL_DROPPED_TEXT_DETAIL },
    ]);
    expect(await storedWithKey(idempotencyKey)).toEqual([]);
  });

  it("still says an http(s) URL is wanted when it is not one", async () => {
    for (const url of ["not a url", "ftp://upstream.test/x", "http:upstream.test/hello"]) {
      const response = await api("/v1/jobs", {
        method: "POST",
        json: { type: "fetch", payload: { url }, ...later },
      });
      expect(await problemErrors(response)).toEqual([
        { pointer: "/payload/url", detail: "must be an absolute http(s) URL" },
      ]);
    }
  });

  it("reads back as given, and the result's finalUrl is what was fetched: no fragment", async () => {
    const url = "https://upstream.test/hello?q=a%20b#part-2";
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "fetch", payload: { url }, ...later },
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await deliver([id]);
    expect(await getJob(id)).toMatchObject({ status: "succeeded" });
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as {
      payload: { url: string };
      result: { url: string; finalUrl: string; status: number };
    };
    expect(view.payload.url).toBe(url);
    expect(view.result).toMatchObject({
      url,
      finalUrl: "https://upstream.test/hello?q=a%20b",
      status: 200,
    });
  });

  it("drops the fragment from finalUrl after a redirect too (fetch carries it, never sends it)", async () => {
    const url = "https://upstream.test/redirect?to=/hello#part-2";
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "fetch", payload: { url }, ...later },
    });
    const { id } = (await response.json()) as { id: string };
    await deliver([id]);
    expect(JSON.parse((await getJob(id)).result ?? "null")).toMatchObject({
      url,
      finalUrl: "https://upstream.test/hello",
    });
  });
});

describe("callbackUrl", () => {
  it.each([
    ...credentials.map((url) => [url, URL_CREDENTIALS_DETAIL]),
    ...dropped.map((url) => [url, URL_DROPPED_TEXT_DETAIL]),
  ])("%j is refused (400 at /callbackUrl), nothing stored", async (callbackUrl, detail) => {
    const idempotencyKey = `callback-as-sent-${crypto.randomUUID()}`;
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "simulate", payload: {}, callbackUrl, idempotencyKey, ...later },
    });
    expect(await problemErrors(response)).toEqual([{ pointer: "/callbackUrl", detail }]);
    expect(await storedWithKey(idempotencyKey)).toEqual([]);
  });

  it("is refused in a batch at /jobs/N/callbackUrl", async () => {
    const response = await api("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "simulate", payload: {}, ...later },
          { type: "simulate", payload: {}, callbackUrl: credentials[1], ...later },
        ],
      },
    });
    expect(await problemErrors(response)).toEqual([
      { pointer: "/jobs/1/callbackUrl", detail: URL_CREDENTIALS_DETAIL },
    ]);
  });

  it("reads back byte for byte when accepted", async () => {
    const callbackUrl = "https://upstream.test/callback?key=A%2Fb#kept";
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "simulate", payload: {}, callbackUrl, ...later },
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const view = (await (await api(`/v1/jobs/${id}`)).json()) as { callback: { url: string } };
    expect(view.callback.url).toBe(callbackUrl);
  });
});

describe("an ingest job's feedUrl", () => {
  it.each([
    [credentials[0], URL_CREDENTIALS_DETAIL],
    [dropped[1], URL_DROPPED_TEXT_DETAIL],
  ])("%j is refused (400 at /payload/feedUrl), nothing stored", async (feedUrl, detail) => {
    const idempotencyKey = `url-as-sent-ingest-${crypto.randomUUID()}`;
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "ingest", payload: { feedUrl, topic: "go" }, idempotencyKey, ...later },
    });
    expect(await problemErrors(response)).toEqual([{ pointer: "/payload/feedUrl", detail }]);
    expect(await storedWithKey(idempotencyKey)).toEqual([]);
  });
});
