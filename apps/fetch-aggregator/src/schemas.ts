import { text, wellFormedJson } from "@edge-async/http";
import * as z from "zod";

/**
 * Methods the gateway forwards.
 *
 * @example
 * ```ts
 * import { METHODS } from "./schemas.ts";
 * console.assert(METHODS.includes("PATCH"));
 * ```
 */
export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function isAbsoluteUrl(value: string): boolean {
  return URL.canParse(value);
}

/**
 * One upstream request of `POST /v1/aggregate`. Unknown keys are refused to catch typos. Text is
 * passed on as sent (only `method` is upper-cased, as the example shows).
 *
 * @example
 * ```ts
 * import { upstreamRequestSchema } from "./schemas.ts";
 * const request = upstreamRequestSchema.parse({ url: "https://api.example.com/", method: "post", body: { a: 1 } });
 * console.assert(request.method === "POST");
 * ```
 */
export const upstreamRequestSchema = z.strictObject({
  id: text("id").min(1).max(200).optional(),
  url: text("url")
    .max(8_192)
    .refine(isAbsoluteUrl, "must be an absolute URL, e.g. https://api.example.com/users/1"),
  method: text("method")
    .toUpperCase()
    .pipe(z.enum(METHODS, { error: `must be one of ${METHODS.join(", ")}` }))
    .default("GET"),
  headers: z
    .record(
      text("a header name").regex(
        headerName,
        "header names are HTTP tokens (letters, digits, !#$%&'*+-.^_`|~)",
      ),
      text("a header value")
        .max(8_192)
        // RFC 9110 field values: visible characters, spaces and tabs (non-ASCII goes as UTF-8).
        .regex(
          /^(?:\t|\P{Cc})*$/u,
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
  /** A string is sent as is; any other JSON value is sent as JSON. */
  body: z.unknown().optional(),
  timeoutMs: z.number().int().min(1).max(300_000).optional(),
  retries: z.number().int().min(0).max(10).optional(),
  cacheTtlSeconds: z.number().int().min(0).max(86_400).optional(),
});

/**
 * Body of `POST /v1/aggregate`. Limits that depend on configuration are checked by the route.
 * Every string in it, the `body` to forward included at any depth, must be well-formed UTF-16
 * (a lone surrogate would be sent on as U+FFFD), and nesting is bounded (64 levels), or the call
 * is refused with 400 naming the pointer.
 *
 * @example
 * ```ts
 * import { aggregateRequestSchema } from "./schemas.ts";
 * const call = aggregateRequestSchema.parse({ requests: [{ url: "https://api.example.com/" }] });
 * console.assert(call.failFast === false);
 * ```
 */
export const aggregateRequestSchema = wellFormedJson(
  z
    .strictObject({
      requests: z.array(upstreamRequestSchema).min(1, "send at least one request"),
      concurrency: z.number().int().min(1).max(1_000).optional(),
      deadlineMs: z.number().int().min(1).max(3_600_000).optional(),
      failFast: z.boolean().default(false),
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
    }),
);

/** Parsed body of `POST /v1/aggregate`. */
export type AggregateRequest = z.output<typeof aggregateRequestSchema>;

/**
 * Query of `GET /v1/proxy`.
 *
 * @example
 * ```ts
 * import { proxyQuerySchema } from "./schemas.ts";
 * console.assert(!proxyQuerySchema.safeParse({ url: "/relative" }).success);
 * ```
 */
export const proxyQuerySchema = z.object({
  url: text("url").max(8_192).refine(isAbsoluteUrl, "must be an absolute URL"),
});

/**
 * Path of `GET /v1/views/:name`.
 *
 * @example
 * ```ts
 * import { viewParamsSchema } from "./schemas.ts";
 * console.assert(viewParamsSchema.safeParse({ name: "dashboard" }).success);
 * ```
 */
export const viewParamsSchema = z.object({
  name: text("name").regex(/^[A-Za-z0-9_-]{1,64}$/, "view names are letters, digits, - and _"),
});

/**
 * Query of `GET /v1/views/:name`: any parameters (which ones a view needs is checked against its
 * templates), each validly percent-encoded UTF-8 (the `query` middleware refuses the rest, 400
 * naming the parameter) so a value is never passed on undecoded.
 *
 * @example
 * ```ts
 * import { viewQuerySchema } from "./schemas.ts";
 * console.assert(viewQuerySchema.safeParse({ userId: "42", tag: ["a", "b"] }).success);
 * ```
 */
export const viewQuerySchema = z.record(z.string(), z.union([text(), z.array(text())]));
