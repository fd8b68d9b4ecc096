/**
 * Shared HTTP pieces for the edge-async workers: RFC 9457 problem details, Hono error handlers,
 * zod validation middleware whose failures answer as problem+json, the outbound URL policy and
 * fetches that follow redirects under it, retry classification, NDJSON streams and bounded body
 * reading.
 *
 * @module
 */
export * from "./access/api-keys.ts";
export * from "./access/audit.ts";
export * from "./access/authenticate.ts";
export * from "./access/cors.ts";
export * from "./access/jwt.ts";
export * from "./access/keys-cli.ts";
export * from "./access/rate-limit.ts";
export * from "./access/scopes.ts";
export * from "./access/secure-route.ts";
export * from "./access/security-headers.ts";
export * from "./body.ts";
export * from "./config.ts";
export * from "./deadline.ts";
export * from "./digits-param.ts";
export * from "./errors.ts";
export * from "./fetch-within-policy.ts";
export * from "./health.ts";
export * from "./ndjson.ts";
export * from "./no-query.ts";
export * from "./observability/context.ts";
export * from "./observability/log.ts";
export * from "./observability/metrics.ts";
export * from "./observability/request-log.ts";
export * from "./openapi/api.ts";
export * from "./openapi/conformance.ts";
export * from "./openapi/method-not-allowed.ts";
export * from "./openapi/problem-schema.ts";
export * from "./openapi/service-routes.ts";
export * from "./outbound.ts";
export * from "./problem.ts";
export * from "./retry-after.ts";
export * from "./retry-classifier.ts";
export * from "./rfc3339.ts";
export * from "./sent-url.ts";
export * from "./text.ts";
export * from "./validation.ts";
export * from "./validation-json.ts";
export * from "./validation-params.ts";
