/**
 * Shared HTTP pieces for the edge-async workers: RFC 9457 problem details, Hono error handlers,
 * zod validation middleware whose failures answer as problem+json, and the outbound URL policy.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./outbound.ts";
export * from "./problem.ts";
export * from "./validation.ts";
