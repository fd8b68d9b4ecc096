/**
 * Shared HTTP pieces for the edge-async workers: RFC 9457 problem details, Hono error handlers
 * and zod validation middleware whose failures answer as problem+json.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./problem.ts";
export * from "./validation.ts";
