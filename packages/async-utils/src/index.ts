/**
 * Async primitives for the edge: cancellation by `AbortSignal`, timeouts, gather/settle,
 * structured concurrency, semaphores, concurrent map, rate limiting, retry, bounded queues,
 * async-iterator helpers and resource pools. Zero dependencies; runs on Workers, Node, Deno and Bun.
 *
 * @module
 */
export * from "./as-completed.ts";
export * from "./async-queue.ts";
export * from "./chunk.ts";
export * from "./circuit-breaker.ts";
export * from "./coalescer.ts";
export * from "./deadline.ts";
export * from "./errors.ts";
export * from "./gather.ts";
export * from "./hedge.ts";
export * from "./keyed-limiter.ts";
export * from "./limit.ts";
export * from "./linked-controller.ts";
export * from "./map-concurrent.ts";
export * from "./merge.ts";
export * from "./paginate.ts";
export * from "./pool.ts";
export * from "./retry.ts";
export * from "./retry-budget.ts";
export * from "./semaphore.ts";
export * from "./settle.ts";
export * from "./shield.ts";
export * from "./sleep.ts";
export * from "./take.ts";
export * from "./task-group.ts";
export * from "./token-bucket.ts";
export * from "./with-timeout.ts";
