import * as z from "zod";

/**
 * The query schema of a route that reads no query parameters: declared as its `request.query`,
 * it makes the route refuse any parameter sent (400 naming it, "is not a parameter of this
 * route"), as every other route refuses the ones it does not read, rather than ignore it.
 *
 * @example
 * ```ts
 * import { noQuery } from "@edge-async/http";
 * const request = { query: noQuery, params: itemParams };
 * ```
 */
export const noQuery = z.strictObject({});
