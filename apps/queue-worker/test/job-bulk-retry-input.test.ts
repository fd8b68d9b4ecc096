import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, getJob, insertJob } from "./fixtures/jobs.ts";

// POST /v1/jobs/retry's filter as RFC 3339 and RFC 8259 allow it to be written: `t`/`z` in either
// case, leap seconds refused saying so, and a member given twice refused rather than guessed at.

const retryMany = (body: string, headers: Record<string, string> = {}) =>
  api("/v1/jobs/retry", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });

/** A dead job whose last error is `error`, finished at `finishedAt`. */
const deadJob = (error: string, finishedAt: number) =>
  insertJob({ type: "simulate", payload: {}, status: "dead", attempts: 2, error, finishedAt });

async function problemOf(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as { errors: { pointer: string; detail: string }[] };
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Response(text).body!.pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("bulk retry times", () => {
  it.each([
    ["upper case", "2031-03-01T00:00:00Z", "2031-03-01T01:00:01.5+01:00"],
    ["lower case t and z", "2031-03-01t00:00:00z", "2031-03-01t01:00:01.5+01:00"],
    ["an offset of -00:00", "2031-02-28t23:00:00-01:00", "2031-03-01T00:00:01.500-00:00"],
  ])("reads from and to in %s as the same instants", async (_, from, to) => {
    vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const tag = `case-${crypto.randomUUID()}`;
    const at = Date.parse("2031-03-01T00:00:00Z");
    const inside = await deadJob(tag, at + 1_499);
    const [before, atTo] = await Promise.all([deadJob(tag, at - 1), deadJob(tag, at + 1_500)]);
    const response = await retryMany(JSON.stringify({ error: tag, from, to }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { ids: string[] }).ids).toEqual([inside]);
    expect((await getJob(before)).status).toBe("dead");
    expect((await getJob(atTo)).status).toBe("dead");
  });

  it.each(["2031-06-30T23:59:60Z", "2031-06-30t23:59:60.25z", "2031-07-01T01:59:60+02:00"])(
    "refuses the leap second %s saying so",
    async (from) => {
      const problem = await problemOf(await retryMany(JSON.stringify({ from })));
      expect(problem.errors).toHaveLength(1);
      expect(problem.errors[0]!.pointer).toBe("/from");
      expect(problem.errors[0]!.detail).toMatch(/^from must not be a leap second \(:60\)/);
    },
  );

  it.each([
    "2031-03-01",
    "2031-03-01T00:00:00",
    "2031-03-01 00:00:00Z",
    "2031-02-29T00:00:00Z",
    "2016-13-45T99:99:60Z",
    "2016-02-30T23:59:60Z",
    "2016-12-31T23:59:60+24:00",
  ])("still refuses %s as not an RFC 3339 date-time, leap second or not", async (to) => {
    const problem = await problemOf(await retryMany(JSON.stringify({ to })));
    expect(problem.errors).toEqual([
      {
        pointer: "/to",
        detail: "to must be an RFC 3339 date-time with a zone, such as 2026-11-20T08:30:00Z",
      },
    ]);
  });

  it("refuses bounds past 9999 in UTC naming the range", async () => {
    const problem = await problemOf(
      await retryMany(JSON.stringify({ from: "9999-12-31T23:59:59-23:59" })),
    );
    expect(problem.errors).toEqual([
      { pointer: "/from", detail: "from must fall within the years 0000 to 9999 in UTC" },
    ]);
  });

  it("refuses bounds within one millisecond saying times are kept to the millisecond", async () => {
    const sendBatch = vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const from = "2026-01-01T00:00:00.0001Z";
    const problem = await problemOf(
      await retryMany(JSON.stringify({ from, to: "2026-01-01t00:00:00.0009z" })),
    );
    expect(problem.errors).toEqual([
      {
        pointer: "/to",
        detail:
          "to must be after from: both fall in the millisecond 2026-01-01T00:00:00.000Z, and times are kept to the millisecond",
      },
    ]);
    expect(sendBatch).not.toHaveBeenCalled();
  });

  it("reads sub-millisecond bounds to the millisecond, dropping the digits past the third", async () => {
    vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const tag = `ms-${crypto.randomUUID()}`;
    const at = Date.parse("2031-04-01T00:00:00Z");
    const [before, inside, atTo] = await Promise.all(
      [at - 1, at, at + 1].map((finishedAt) => deadJob(tag, finishedAt)),
    );
    const from = "2031-04-01T00:00:00.0009Z"; // at, inclusive
    const to = "2031-04-01T00:00:00.0019Z"; // at + 1 ms, exclusive
    const response = await retryMany(JSON.stringify({ error: tag, from, to }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { ids: string[] }).ids).toEqual([inside]);
    expect((await getJob(before!)).status).toBe("dead");
    expect((await getJob(atTo!)).status).toBe("dead");
  });
});

describe("bulk retry members", () => {
  it.each([
    ['{"status":["dead"],"status":["cancelled"]}', "/status"],
    ['{"error":"a","\\u0065rror":"b"}', "/error"],
    ['{"limit":5, "type":"fetch" ,"limit":6}', "/limit"],
  ])("refuses %s naming the member given twice, and retries nothing", async (body, pointer) => {
    const sendBatch = vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const problem = await problemOf(await retryMany(body));
    expect(problem.errors).toEqual([
      { pointer, detail: expect.stringMatching(/is given more than once/) },
    ]);
    expect(sendBatch).not.toHaveBeenCalled();
  });

  it("refuses a member given twice in a gzip body too", async () => {
    const body = await gzip('{"status":["dead"],"status":["cancelled"]}');
    const response = await api("/v1/jobs/retry", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body,
    });
    const problem = await problemOf(response);
    expect(problem.errors.map((error) => error.pointer)).toEqual(["/status"]);
  });

  it.each([
    ['{"status":["dead","cancelled","dead"]}', "/status/2", "status lists dead more than once"],
    [
      '{"status":["cancelled","cancelled","cancelled"]}',
      "/status/1",
      "status lists cancelled more than once",
    ],
    ['{"status":[]}', "/status", "status must hold dead, cancelled or both"],
  ])("refuses %s with one message, at %s", async (body, pointer, detail) => {
    const problem = await problemOf(await retryMany(body));
    expect(problem.errors).toEqual([{ pointer, detail }]);
  });

  it("refuses a status listed twice, pointing at the repeat", async () => {
    const problem = await problemOf(await retryMany('{"status":["dead","dead"]}'));
    expect(problem.errors).toEqual([
      { pointer: "/status/1", detail: "status lists dead more than once" },
    ]);
  });

  it("takes a value that reads like repeated members, since it is a string", async () => {
    vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const tag = `"error":"x","error":"y" ${crypto.randomUUID()}`;
    const job = await deadJob(tag, Date.now());
    const response = await retryMany(JSON.stringify({ error: tag, status: ["dead"] }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { ids: string[] }).ids).toEqual([job]);
  });
});
