/**
 * Bench-only stand-in for `@edge-async/http`, swapped in by wrangler's module `alias` for the
 * `BENCH_SPLIT=1` arm of bench/access-cost.ts: the real package (imported by relative path, so the
 * alias does not loop back here), access checks and rate limiting middleware included, except that
 * `rateLimit` asks an in-memory binding that always allows instead of the worker's rate limiting
 * binding. Locally that binding is miniflare's emulation; what this arm measures is everything of
 * the project's own, without it. It marks its answers `X-Bench-Limiter: in-memory`, so the bench
 * can tell that the alias applied. Never imported by production code.
 */
import { rateLimit as realRateLimit } from "../../http/src/index.ts";

export * from "../../http/src/index.ts";

const inMemory = { limit: async () => ({ success: true }) } as unknown as RateLimit;

/** The real `rateLimit`, its binding answered from memory. */
export const rateLimit: typeof realRateLimit = (options) => {
  const limited = realRateLimit({ ...options, binding: () => inMemory });
  return async (c, next) => {
    await limited(c, next);
    c.header("x-bench-limiter", "in-memory");
  };
};
