import type { ValidationTargets } from "hono";
import type * as z from "zod";

// Internal to the package (not re-exported by index.ts): shared by the body, query and path
// middleware so that `c.req.valid(target)` is typed with the schema's output.

/** What a validating middleware adds to Hono's input types for `Target`. */
export type Validated<Target extends keyof ValidationTargets, S extends z.ZodType> = {
  in: { [K in Target]: z.input<S> };
  out: { [K in Target]: z.output<S> };
};
