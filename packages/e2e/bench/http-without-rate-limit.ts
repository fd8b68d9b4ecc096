/**
 * Bench-only stand-in for `@edge-async/http`, swapped in by wrangler's module `alias` for the
 * "authentication only" arm of bench/access-cost.ts (`BENCH_SPLIT=1`): the real package, imported
 * by relative path so the alias does not loop back here, except `rateLimit`, a pass-through that
 * never calls the binding and adds no header. Never imported by production code.
 */
import type { rateLimit as realRateLimit } from "../../http/src/index.ts";

export * from "../../http/src/index.ts";

/** Hono's middleware type, through the real package (this folder does not depend on hono). */
export type MiddlewareHandler = ReturnType<typeof realRateLimit>;

const passThrough: MiddlewareHandler = (_c, next) => next();

/** The real `rateLimit`'s signature; counts nothing, refuses nothing, adds no header. */
export const rateLimit: typeof realRateLimit = () => passThrough as never;
