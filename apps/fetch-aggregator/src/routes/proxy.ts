import { createApi, problemResponses, secureRoute } from "@edge-async/http";
import * as z from "zod";
import { proxyQuery } from "../contract.ts";
import type { App } from "../env.ts";
import {
  ACCESS_REFUSALS,
  FAN_OUT_LIMITS,
  requestLimit,
  reserveSubrequests,
  subrequestBudget,
} from "../limits.ts";
import { proxyOnce } from "../proxy.ts";

/** Whatever the upstream sent: any media type, passed on as it streams in. */
const passedThrough = {
  "*/*": { schema: z.unknown().meta({ description: "The upstream's body" }) },
};

const header = (description: string) => ({ description, schema: { type: "string" as const } });
const upstreamHeaders = {
  "Content-Type": header("The upstream's"),
  "Cache-Control": header("`no-store`, as on every answer to an authenticated call"),
  ETag: header("The upstream's"),
  "Last-Modified": header("The upstream's"),
  "Retry-After": header("The upstream's"),
};

/**
 * The gateway's own refusals are problem+json; the upstream may answer any of these statuses
 * itself, and its answer is passed through as it is, so each also admits any media type.
 */
function refusals<const S extends number>(statuses: Record<S, string>) {
  const declared = problemResponses(statuses);
  for (const status of Object.keys(declared) as `${S}`[]) {
    const response = declared[Number(status) as S];
    Object.assign(response.content, passedThrough);
  }
  return declared;
}

const proxy = secureRoute({
  access: { scope: "aggregate" },
  middleware: [requestLimit, subrequestBudget],
  method: "get",
  path: "/",
  tags: ["proxy"],
  summary: "Pass one upstream GET through, the benchmark's single-call baseline",
  description:
    "One GET to `url` under the same policy, circuit breaker and timeout as an aggregate call, without retries, buffering or envelope: the upstream's status and body pass through with its Content-Type, ETag, Last-Modified and Retry-After (Cache-Control is `no-store`).",
  request: { query: proxyQuery },
  responses: {
    200: {
      description: "The upstream answered 200: its answer, passed through",
      headers: upstreamHeaders,
      content: passedThrough,
    },
    ...refusals({
      400: "`url` is missing, not absolute, not valid percent-encoded UTF-8, or holds what would not be sent (a user name or password, a control character or space at either end, a tab or line break)",
      401: ACCESS_REFUSALS[401],
      403: `The policy refuses the target (scheme, ALLOWED_HOSTS, private networks), or ${ACCESS_REFUSALS[403].replace("The", "the")}`,
      ...FAN_OUT_LIMITS,
      502: "The upstream could not be reached",
      503: "The circuit for the upstream's origin is open, or the worker is misconfigured (not-configured, naming the var, or API_KEYS outside development)",
      504: "The upstream did not answer within DEFAULT_TIMEOUT_MS",
    }),
    default: {
      description: "Any other answer of the upstream, passed through with its status",
      headers: upstreamHeaders,
      content: passedThrough,
    },
  },
});

/** `/v1/proxy`: one upstream call passed through (proxy.ts). */
export const proxyRoutes = createApi<App>().openapi(
  proxy,
  (c) =>
    // The upstream's answer, whatever its status and media type: not a typed JSON answer.
    proxyOnce(new URL(c.req.valid("query").url), c.var.config, c.var.signal, () =>
      reserveSubrequests(c, 1),
    ) as never,
);
