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
 * One upstream request of `POST /v1/aggregate`. Unknown keys are refused to catch typos.
 *
 * @example
 * ```ts
 * import { upstreamRequestSchema } from "./schemas.ts";
 * const request = upstreamRequestSchema.parse({ url: "https://api.example.com/", method: "post", body: { a: 1 } });
 * console.assert(request.method === "POST");
 * ```
 */
export const upstreamRequestSchema = z.strictObject({
  id: z.string().min(1).max(200).optional(),
  url: z
    .string()
    .max(8_192)
    .refine(isAbsoluteUrl, "must be an absolute URL, e.g. https://api.example.com/users/1"),
  method: z
    .string()
    .toUpperCase()
    .pipe(z.enum(METHODS, { error: `must be one of ${METHODS.join(", ")}` }))
    .default("GET"),
  headers: z
    .record(
      z
        .string()
        .regex(headerName, "header names are HTTP tokens (letters, digits, !#$%&'*+-.^_`|~)"),
      z
        .string()
        .max(8_192)
        .regex(/^[^\r\n\0]*$/, "header values cannot contain CR, LF or NUL"),
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
 *
 * @example
 * ```ts
 * import { aggregateRequestSchema } from "./schemas.ts";
 * const call = aggregateRequestSchema.parse({ requests: [{ url: "https://api.example.com/" }] });
 * console.assert(call.failFast === false);
 * ```
 */
export const aggregateRequestSchema = z
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
  });

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
  url: z.string().max(8_192).refine(isAbsoluteUrl, "must be an absolute URL"),
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
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "view names are letters, digits, - and _"),
});
