/**
 * What every worker's typed client is built from: {@link createCaller} (base URL or service
 * binding, `AbortSignal` on every call, retries that honour `Retry-After`), {@link ApiError} for
 * problem+json answers and {@link ndjsonLines} for NDJSON streams. Cursor walks use
 * `paginate` from `@edge-async/async-utils`.
 *
 * @module
 */
export * from "./api-error.ts";
export * from "./caller.ts";
export * from "./ndjson-lines.ts";
