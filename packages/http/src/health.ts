import type { Context, Env, Handler } from "hono";
import { HttpProblem } from "./problem.ts";

/**
 * A `GET /healthz` handler: 200 `{ "status": "ok" }` when `probe` resolves, 503 problem+json
 * naming the failed dependency when it throws. Without a probe it only says the worker runs.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { healthCheck } from "@edge-async/http";
 * const app = new Hono<{ Bindings: { DB: D1Database } }>().get(
 *   "/healthz",
 *   healthCheck("database", (c) => c.env.DB.prepare("select 1").first()),
 * );
 * ```
 */
export function healthCheck<E extends Env = Env>(
  dependency?: string,
  probe?: (c: Context<E>) => Promise<unknown>,
): Handler<E> {
  return async (c) => {
    if (probe !== undefined) {
      try {
        await probe(c);
      } catch (error) {
        console.error("health check failed", dependency, error);
        throw new HttpProblem(503, "unhealthy", "Service Unavailable", {
          detail: `The ${dependency ?? "dependency"} did not answer.`,
          headers: { "retry-after": "5" },
        });
      }
    }
    return c.json({ status: "ok" });
  };
}
