/**
 * Deadlines across workers: a received `request-timeout-ms` header becomes the request's
 * `AbortSignal` (`c.var.signal`), and outgoing calls carry what is left of it.
 *
 * @module
 */

import {
  DEADLINE_HEADER,
  DeadlineHeaderError,
  deadlineHeader,
  signalFromDeadline,
} from "@edge-async/async-utils";
import type { Context, MiddlewareHandler } from "hono";
import { refuseAfterAccessCheck } from "./access/route-guard.ts";
import { HttpProblem, invalidInput } from "./problem.ts";

export { DEADLINE_HEADER };

declare module "hono" {
  interface ContextVariableMap {
    /**
     * The request's signal, set by {@link requestDeadline} (every worker's root app has it):
     * aborts when the client goes away or when the caller's time budget (`request-timeout-ms`,
     * capped by the worker's maximum) runs out, with a `TimeoutError`. Pass it to every long or
     * I/O step, and to `deadlineHeader` for the next service.
     */
    signal: AbortSignal;
  }
}

/**
 * Options for {@link requestDeadline}.
 *
 * @example
 * ```ts
 * import type { RequestDeadlineOptions } from "@edge-async/http";
 * const options: RequestDeadlineOptions = { maxMs: 30_000 };
 * ```
 */
export interface RequestDeadlineOptions {
  /**
   * The longest this worker works on one request, in milliseconds: the budget when the header is
   * absent, and the cap on one that asks for more. A number (`Infinity`, the default, for no
   * deadline of its own) or a function of the request's context (to read a binding).
   */
  maxMs?: number | ((c: Context) => number);
}

/**
 * Middleware that turns a received {@link DEADLINE_HEADER} (`request-timeout-ms: 2500`, the
 * caller's remaining budget in whole milliseconds) into `c.var.signal`: an `AbortSignal` that
 * aborts with a `TimeoutError` when that budget runs out (capped at `options.maxMs`) or with the
 * request's own reason when the client goes away. `createWorkerApi` installs it on every worker.
 *
 * A header that is not plain digits (`-0`, `+0`, `0x0`, `0.0`, `0e9`, an empty or blank value)
 * answers 400 `invalid-input` naming the header. A budget of `0` (plain digits of value 0, such as
 * `0` or `000`) answers 504 `deadline-exceeded`: the caller gave up before the request arrived, the same
 * status a gateway answers when its own wait runs out (RFC 9110 §15.6.5; gRPC maps
 * DEADLINE_EXCEEDED to it too). Not 503, which says "overloaded, try again later": a retry with
 * the same spent budget cannot succeed. Either answer comes after routing and access control,
 * as if the header were checked by the route itself: a path no route serves still answers 404
 * (or 405), and a route with an access rule (`secureRoute`) answers its 401 or 403 first.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { problemErrorHandler, requestDeadline } from "@edge-async/http";
 * const app = new Hono().use(requestDeadline({ maxMs: 10_000 }));
 * app.onError(problemErrorHandler);
 * app.get("/slow", async (c) => c.json(await fetch("https://api.example.com/", { signal: c.var.signal })));
 * ```
 */
export function requestDeadline(options: RequestDeadlineOptions = {}): MiddlewareHandler {
  return async (c, next) => {
    const max = typeof options.maxMs === "function" ? options.maxMs(c) : options.maxMs;
    const budget = { max: max ?? Number.POSITIVE_INFINITY, signal: c.req.raw.signal };
    let signal: AbortSignal | undefined;
    let refusal: HttpProblem | undefined;
    try {
      signal = signalFromDeadline(c.req.raw.headers, budget);
      // Plain digits here (anything else threw). Only their value 0 is a spent budget: "-0" or
      // "0x0" reads as 0 to Number() but is malformed, and a client already gone is not refused.
      if (/^0+$/.test(c.req.raw.headers.get(DEADLINE_HEADER) ?? "")) refusal = spentBudget();
    } catch (error) {
      if (!(error instanceof DeadlineHeaderError)) throw error;
      refusal = malformedHeader();
    }
    if (refusal !== undefined) {
      refuseAfterAccessCheck(c, refusal);
      signal = undefined;
    }
    // A refusal held back until the access check: until then, the budget of no header at all.
    c.set("signal", signal ?? signalFromDeadline(new Headers(), budget));
    await next();
  };
}

// The value is not echoed: it can be anything a client put there, of any length, a key included.
const MALFORMED = "must be whole milliseconds in plain digits (0-9), such as 1500";

function malformedHeader(): HttpProblem {
  return invalidInput(
    [{ parameter: DEADLINE_HEADER, detail: MALFORMED }],
    `${DEADLINE_HEADER} ${MALFORMED}.`,
  );
}

function spentBudget(): HttpProblem {
  return new HttpProblem(504, "deadline-exceeded", "Deadline exceeded", {
    detail: `${DEADLINE_HEADER} is 0: the caller's time budget ran out before the request arrived.`,
  });
}

/**
 * `init`'s headers with the deadline of `budget` set: `request-timeout-ms` with the whole
 * milliseconds left of a signal made by `requestDeadline` or async-utils' `deadlineSignal` (or
 * of a number of milliseconds). Any value already there (one a client asked to forward) is
 * replaced, and removed when `budget` carries no deadline, so a callee never gets more time than
 * this side has left. Use it on every upstream fetch and service-binding call.
 *
 * @param init the outgoing headers (left unchanged; a copy is returned)
 * @param budget the signal whose deadline to pass on, or milliseconds left
 * @example
 * ```ts
 * import { withDeadline } from "@edge-async/http";
 * const headers = withDeadline({ accept: "application/json" }, c.var.signal);
 * await fetch("https://api.example.com/", { headers, signal: c.var.signal });
 * ```
 */
export function withDeadline(
  init: HeadersInit | undefined,
  budget: AbortSignal | number | undefined,
): Headers {
  const headers = new Headers(init);
  headers.delete(DEADLINE_HEADER);
  if (budget === undefined) return headers;
  const left = typeof budget === "number" ? Math.max(0, budget) : budget;
  for (const [name, value] of Object.entries(deadlineHeader(left))) headers.set(name, value);
  return headers;
}

/**
 * The OpenAPI component (`#/components/parameters/RequestTimeoutMs`) that documents
 * {@link DEADLINE_HEADER} on every operation; `openApiDocument` adds it.
 *
 * @example
 * ```ts
 * import { deadlineParameter } from "@edge-async/http";
 * console.assert(deadlineParameter.name === "request-timeout-ms");
 * ```
 */
export const deadlineParameter = {
  name: DEADLINE_HEADER,
  in: "header",
  required: false,
  description:
    "The caller's remaining time budget in whole milliseconds. The worker stops working on the request when it runs out (capped by the worker's own limit) and passes what is left on to the calls it makes. Not digits: 400 `invalid-input`; `0`: 504 `deadline-exceeded`.",
  schema: { type: "string", pattern: "^[0-9]+$", examples: ["2500"] },
} as const;

/**
 * Declares {@link deadlineParameter} once (`components.parameters.RequestTimeoutMs`) and refers
 * to it from every operation of an OpenAPI document; changes `document` in place and returns it.
 *
 * @example
 * ```ts
 * import { addDeadlineParameter } from "@edge-async/http";
 * const doc = addDeadlineParameter({ paths: { "/items": { get: {} } } });
 * ```
 */
export function addDeadlineParameter<
  D extends { paths?: object; components?: { parameters?: object } },
>(document: D): D {
  const components = (document.components ?? {}) as { parameters?: Record<string, unknown> };
  components.parameters = { ...components.parameters, RequestTimeoutMs: deadlineParameter };
  (document as { components?: unknown }).components = components;
  const ref = { $ref: "#/components/parameters/RequestTimeoutMs" };
  const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
  for (const item of Object.values(document.paths ?? {}) as Record<string, unknown>[]) {
    for (const method of methods) {
      const operation = item[method] as { parameters?: unknown[] } | undefined;
      if (operation !== undefined) operation.parameters = [...(operation.parameters ?? []), ref];
    }
  }
  return document;
}
