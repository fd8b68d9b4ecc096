import type { Env, MiddlewareHandler } from "hono";
import { HttpProblem } from "./problem.ts";

/**
 * Thrown by a worker's config parser for a setting that is missing or wrong; the worker answers
 * 503 problem+json of type `not-configured` naming the setting, never a 500.
 *
 * @example
 * ```ts
 * import { ConfigError } from "@edge-async/http";
 * throw new ConfigError("CURSOR_SECRET", "is not set; run `wrangler secret put CURSOR_SECRET`");
 * ```
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** The binding or var that is wrong, e.g. `CURSOR_SECRET`. */
  readonly setting: string;
  constructor(setting: string, problem: string) {
    super(`${setting} ${problem}`);
    this.setting = setting;
  }
}

/**
 * The one answer of a misconfigured worker: 503 problem+json of type `not-configured`.
 *
 * @example
 * ```ts
 * import { notConfigured } from "@edge-async/http";
 * throw notConfigured("API_KEYS", "is not set");
 * ```
 */
export function notConfigured(setting: string, problem: string): HttpProblem {
  return new HttpProblem(503, "not-configured", "Service not configured", {
    detail: `${setting} ${problem}`,
    setting,
  });
}

/**
 * Middleware that parses the worker's configuration once per isolate (per `env` object) and
 * hands it to handlers as `c.var.config`. A parser that throws {@link ConfigError} makes every
 * route behind the middleware answer 503 `not-configured`; the error is remembered, so a broken
 * config costs one parse, not one per request.
 *
 * @param parse turns the bindings into the typed config; pure, throws {@link ConfigError}
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { ConfigError, withConfig } from "@edge-async/http";
 * type App = { Bindings: { LIMIT?: string }; Variables: { config: { limit: number } } };
 * const app = new Hono<App>()
 *   .use(withConfig((env: App["Bindings"]) => ({ limit: Number(env.LIMIT ?? 10) })))
 *   .get("/", (c) => c.json(c.var.config));
 * ```
 */
export function withConfig<B extends object, C>(
  parse: (env: B) => C,
): MiddlewareHandler<{ Bindings: B; Variables: { config: C } } & Env> {
  const parsed = new WeakMap<object, { config: C } | { error: unknown }>();
  return async (c, next) => {
    let entry = parsed.get(c.env);
    if (entry === undefined) {
      try {
        entry = { config: parse(c.env) };
      } catch (error) {
        entry = { error };
      }
      parsed.set(c.env, entry);
    }
    if ("error" in entry) {
      const { error } = entry;
      if (error instanceof ConfigError)
        throw notConfigured(error.setting, error.message.slice(error.setting.length + 1));
      throw error;
    }
    c.set("config", entry.config);
    await next();
  };
}
