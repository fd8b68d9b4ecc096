import {
  checkTarget,
  forwardableHeaders,
  HttpProblem,
  type InvalidParam,
  invalidInput,
} from "@edge-async/http";
import type { CallPlan, PlannedRequest } from "./aggregate.ts";
import type { Config } from "./config.ts";
import type { AggregateRequest } from "./contract.ts";

/** A request before defaults: what the body (or a view) said. */
export interface RequestSpec {
  id: string;
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
  retries?: number;
  cacheTtlSeconds?: number;
}

/**
 * Turns a validated `POST /v1/aggregate` body into a {@link CallPlan}: checks the limits that
 * come from configuration (413 for too many requests, 400 naming the field otherwise), applies
 * defaults, and judges every target against the policy (refused ones become `blocked` results).
 */
export function planAggregate(body: AggregateRequest, config: Config): CallPlan {
  if (body.requests.length > config.maxRequests) {
    throw new HttpProblem(413, "too-many-requests-in-call", "Too many requests in one call", {
      detail: `A call may hold at most ${config.maxRequests} requests; this one has ${body.requests.length}.`,
      errors: [{ pointer: "/requests", detail: `at most ${config.maxRequests} requests` }],
    });
  }
  const errors: InvalidParam[] = [];
  if (body.concurrency !== undefined && body.concurrency > config.maxConcurrency) {
    errors.push({ pointer: "/concurrency", detail: `must be at most ${config.maxConcurrency}` });
  }
  if (body.deadlineMs !== undefined && body.deadlineMs > config.maxDeadlineMs) {
    errors.push({ pointer: "/deadlineMs", detail: `must be at most ${config.maxDeadlineMs}` });
  }
  body.requests.forEach((request, index) => {
    if (request.retries !== undefined && request.retries > config.maxRetries) {
      errors.push({
        pointer: `/requests/${index}/retries`,
        detail: `must be at most ${config.maxRetries}`,
      });
    }
  });
  if (errors.length > 0) throw invalidInput(errors);
  const deadlineMs = body.deadlineMs ?? config.defaultDeadlineMs;
  return {
    requests: body.requests.map((request, index) =>
      planRequest({ ...request, id: request.id ?? String(index) }, config),
    ),
    concurrency: body.concurrency ?? config.defaultConcurrency,
    deadlineMs,
    failFast: body.failFast,
  };
}

/** One request with defaults applied, or `blocked` when the policy refuses its target. */
export function planRequest(spec: RequestSpec, config: Config): PlannedRequest {
  const url = new URL(spec.url);
  const verdict = checkTarget(url, config);
  if (!verdict.allowed) return { id: spec.id, blocked: `Refused: ${verdict.reason}` };
  const headers = forwardableHeaders(spec.headers);
  let body: string | undefined;
  if (typeof spec.body === "string") {
    body = spec.body;
  } else if (spec.body !== undefined) {
    body = JSON.stringify(spec.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return {
    id: spec.id,
    upstream: {
      url,
      method: spec.method,
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: spec.timeoutMs ?? config.defaultTimeoutMs,
      retries: spec.retries ?? config.defaultRetries,
      cacheTtlSeconds: spec.cacheTtlSeconds ?? config.cacheTtlSeconds,
    },
  };
}
