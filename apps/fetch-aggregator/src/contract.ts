/**
 * The wire shapes of fetch-aggregator: what each route takes and answers. The route declarations
 * validate and document with them; the client's types are proved equal to them in its tests.
 *
 * @module
 */
import { sentAsGivenUrl, text, wellFormedJson } from "@edge-async/http";
import * as z from "zod";

/** Methods the gateway forwards. */
export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What the upstream gets of a `url`, for the OpenAPI document and the docs page. */
const SENT_AS_PARSED =
  "An absolute URL (the policy refuses schemes other than http and https). It is sent as the WHATWG URL parser serialises it, as every fetch sends a URL: no fragment (never part of an HTTP request), dot segments resolved (`/a/../b` and `/a/%2e%2e/b` as `/b`), `\\` read as `/`, spaces and non-ASCII percent-encoded, scheme and host in lower case, a default port dropped. Refused (400): a leading or trailing control character or space, a tab or line break (the parser would drop them), and a user name or password (fetch would drop them).";

/**
 * An upstream URL: absolute, and nothing in it lost on the way out (400 naming it otherwise,
 * by the shared sentAsGivenUrl); the upstream gets the parser's serialisation of it.
 */
const upstreamUrl = (example: string) =>
  sentAsGivenUrl(text("url").max(8_192), {
    notAbsolute: `must be an absolute URL, e.g. ${example}`,
  }).meta({ description: SENT_AS_PARSED, example });

/** Query of a route that reads no query parameter (the shared schema). */
export { noQuery } from "@edge-async/http";

/**
 * One upstream request of `POST /v1/aggregate`. Unknown keys are refused to catch typos. Text is
 * passed on as sent (only `method` is upper-cased), but `url` goes as the URL parser serialises
 * it, and what the parser or fetch would drop from it is refused. Every string of `body`, member names
 * included, must be well-formed UTF-16 (a lone surrogate would be sent on as U+FFFD) and its
 * nesting is bounded (64 levels), or the call is refused with 400 naming the pointer.
 */
export const upstreamRequest = z
  .strictObject({
    id: text("id").min(1).max(200).optional().meta({ description: "Unique; default the index" }),
    url: upstreamUrl("https://api.example.com/users/1"),
    method: text("method")
      .toUpperCase()
      .pipe(z.enum(METHODS, { error: `must be one of ${METHODS.join(", ")}` }))
      .default("GET")
      .meta({ description: `${METHODS.join(", ")} (any case)` }),
    headers: z
      .record(
        text("a header name").regex(
          headerName,
          "header names are HTTP tokens (letters, digits, !#$%&'*+-.^_`|~)",
        ),
        text("a header value")
          .max(8_192)
          // RFC 9110 field values: visible characters, spaces and tabs (non-ASCII goes as UTF-8).
          // The class is every control (Unicode Cc) but tab, spelled without the `u` flag, which
          // an OpenAPI pattern cannot carry.
          .regex(
            // biome-ignore lint/suspicious/noControlCharactersInRegex: it names the controls it refuses.
            /^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*$/,
            "header values cannot contain control characters other than tab (CR, LF, NUL, ...)",
          )
          // Headers strip them, so the value would not be sent as given.
          .refine(
            (value) => !/^[ \t]|[ \t]$/.test(value),
            "header values cannot start or end with a space or tab",
          ),
      )
      .refine((headers) => Object.keys(headers).length <= 64, "at most 64 headers")
      .optional(),
    body: wellFormedJson(z.unknown())
      .optional()
      .meta({ description: "A string is sent as is; any other JSON value is sent as JSON" }),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(300_000)
      .optional()
      .meta({ description: "Per attempt (headers and body); default DEFAULT_TIMEOUT_MS" }),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .optional()
      .meta({ description: "Idempotent methods only; at most MAX_RETRIES" }),
    cacheTtlSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .optional()
      .meta({ description: "Cache API TTL of a GET; 0 is off; default CACHE_TTL_SECONDS" }),
  })
  .meta({ id: "UpstreamRequest" });

/**
 * Body of `POST /v1/aggregate`. Limits that depend on configuration (`MAX_REQUESTS`,
 * `MAX_CONCURRENCY`, `MAX_DEADLINE_MS`, `MAX_RETRIES`) are checked by the route.
 */
export const aggregateRequest = z
  .strictObject({
    requests: z.array(upstreamRequest).min(1, "send at least one request"),
    concurrency: z.number().int().min(1).max(1_000).optional().meta({
      description:
        "Upstream requests in flight; default DEFAULT_CONCURRENCY, at most MAX_CONCURRENCY",
    }),
    deadlineMs: z.number().int().min(1).max(3_600_000).optional().meta({
      description: "For the whole call; default DEFAULT_DEADLINE_MS, at most MAX_DEADLINE_MS",
    }),
    failFast: z
      .boolean()
      .default(false)
      .meta({ description: "The first failure cancels the rest" }),
  })
  .superRefine((call, context) => {
    const seen = new Map<string, number>();
    call.requests.forEach((request, index) => {
      if ((request.method === "GET" || request.method === "HEAD") && request.body !== undefined) {
        context.addIssue({
          code: "custom",
          path: ["requests", index, "body"],
          message: `a ${request.method} request cannot have a body`,
        });
      }
      const id = request.id ?? String(index);
      const first = seen.get(id);
      if (first !== undefined) {
        context.addIssue({
          code: "custom",
          path: ["requests", index, "id"],
          message: `duplicate id ${JSON.stringify(id)} (also used by /requests/${first})`,
        });
      } else {
        seen.set(id, index);
      }
    });
  })
  .meta({
    id: "AggregateRequest",
    example: {
      requests: [
        { id: "user", url: "http://127.0.0.1:8790/users/42" },
        { id: "orders", url: "http://127.0.0.1:8790/users/42/orders?limit=3" },
        { id: "slow", url: "http://127.0.0.1:8790/delay/5000", timeoutMs: 500, retries: 0 },
      ],
      concurrency: 6,
      deadlineMs: 10_000,
    },
  });

/** Parsed body of `POST /v1/aggregate`. */
export type AggregateRequest = z.output<typeof aggregateRequest>;

/** Why an upstream request produced no usable answer. */
export const errorCode = z
  .enum([
    "timeout",
    "deadline",
    "network",
    "http",
    "blocked",
    "too_large",
    "circuit_open",
    "cancelled",
  ])
  .meta({ id: "ErrorCode" });

/** Why an upstream request produced no usable answer. */
export type ErrorCode = z.output<typeof errorCode>;

const failure = z.object({ code: errorCode, message: z.string() });

/** How one upstream request ended, as the caller sees it. */
export const upstreamResult = z
  .object({
    id: z.string(),
    ok: z.boolean(),
    status: z.number().int().optional().meta({ description: "Final HTTP status, if answered" }),
    durationMs: z.number().min(0).meta({
      description: "Time once it got a concurrency slot (0 for refused targets)",
    }),
    attempts: z.number().int().min(0).meta({
      description: "Calls that reached the upstream (0 when refused, cached or circuit open)",
    }),
    body: z.unknown().optional().meta({
      description: "Parsed JSON when the upstream said JSON, else text; also on `http` errors",
    }),
    error: failure.optional(),
    cached: z.literal(true).optional().meta({ description: "Served from the Cache API" }),
    coalesced: z.literal(true).optional().meta({
      description: "Shared the upstream call of an identical GET of the same call",
    }),
  })
  .meta({ id: "UpstreamResult" });

/** How one upstream request ended, as the caller sees it. */
export type UpstreamResult = z.output<typeof upstreamResult>;

/** Totals of a call. */
export const callSummary = z
  .object({
    total: z.number().int().min(0),
    succeeded: z.number().int().min(0),
    failed: z.number().int().min(0),
    durationMs: z.number().min(0),
  })
  .meta({ id: "CallSummary" });

/** Totals of a call. */
export type CallSummary = z.output<typeof callSummary>;

/** The JSON answer of `POST /v1/aggregate`: every result in request order, and the totals. */
export const aggregateResponse = z
  .object({ results: z.array(upstreamResult), summary: callSummary })
  .meta({
    id: "AggregateResponse",
    example: {
      results: [
        { id: "user", ok: true, status: 200, durationMs: 12, attempts: 1, body: { id: "42" } },
        {
          id: "slow",
          ok: false,
          durationMs: 502,
          attempts: 1,
          error: { code: "timeout", message: "No answer within 500 ms" },
        },
      ],
      summary: { total: 2, succeeded: 1, failed: 1, durationMs: 502 },
    },
  });

/** One result line of the NDJSON answer: a result and its position in `requests`. */
export const resultLine = upstreamResult
  .extend({ index: z.number().int().min(0) })
  .meta({ id: "ResultLine" });

/** The last line of the NDJSON answer. */
export const summaryLine = z.object({ summary: callSummary }).meta({ id: "SummaryLine" });

/** One line of the NDJSON answer: results in finish order, then the summary. */
export const aggregateLine = z.union([resultLine, summaryLine]).meta({
  id: "AggregateLine",
  example: { index: 1, id: "orders", ok: true, status: 200, durationMs: 9, attempts: 1, body: [] },
});

/** Query of `GET /v1/proxy`: `url` only. */
export const proxyQuery = z.strictObject({
  url: upstreamUrl("http://127.0.0.1:8790/orders/1001"),
});
