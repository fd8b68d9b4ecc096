import type * as z from "zod";
import { type InvalidParam, invalidInput } from "./problem.ts";

/** Where a value came from; decides whether problems point into a body or name a parameter. */
export type InputSource = "body" | "query" | "param" | "header" | "payload";

/**
 * Validates `data` against a zod schema and returns the parsed value, or throws a 400
 * {@link HttpProblem} listing every issue with its JSON pointer (body) or parameter name.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { parseInput } from "@edge-async/http";
 * const limit = parseInput(z.coerce.number().int().max(100), "20", "query");
 * console.assert(limit === 20);
 * ```
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  data: unknown,
  source: InputSource,
): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw invalidInput(issuesToParams(result.error.issues, source));
}

/**
 * Turns zod issues into RFC 9457 `errors` entries: one per field (a JSON pointer into a body, or
 * a parameter name), and one per unknown member or parameter, named itself (`/items/0/tags`,
 * `?topics`) rather than the object holding it.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { issuesToParams } from "@edge-async/http";
 * const { error } = z.strictObject({ a: z.string() }).safeParse({ a: "x", b: 1 });
 * issuesToParams(error?.issues ?? [], "body"); // [{ pointer: "/b", detail: "is not a member this route takes" }]
 * ```
 */
export function issuesToParams(
  issues: readonly z.core.$ZodIssue[],
  source: InputSource,
): InvalidParam[] {
  return oneIssuePerField(issues).flatMap((issue): InvalidParam[] => {
    const path = issue.path.map(String);
    const inBody = source === "body" || source === "payload";
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) =>
        inBody
          ? { pointer: toPointer([...path, key]), detail: "is not a member this route takes" }
          : { parameter: [...path, key].join("."), detail: "is not a parameter of this route" },
      );
    }
    if (inBody) return [{ pointer: toPointer(path), detail: issue.message }];
    return [{ parameter: path.length > 0 ? path.join(".") : source, detail: issue.message }];
  });
}

/**
 * Zod reports every check a value fails; a client needs one message per field. The first check's
 * (they run in declared order), except that a bound of the schema's own (`.max(900000)`) beats
 * `.int()`'s safe-integer range: `1e308` is a whole number, just far too big. Issues about the
 * whole input (an empty path) are all kept: they are cross-field rules, each its own.
 */
function oneIssuePerField(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const kept: z.core.$ZodIssue[] = [];
  const byField = new Map<string, number>();
  for (const issue of issues) {
    if (issue.path.length === 0 || issue.code === "unrecognized_keys") {
      kept.push(issue);
      continue;
    }
    const field = JSON.stringify(issue.path.map(String));
    const at = byField.get(field);
    if (at === undefined) {
      byField.set(field, kept.push(issue) - 1);
    } else if (isSafeIntegerRange(kept[at] as z.core.$ZodIssue) && isBound(issue)) {
      kept[at] = issue;
    }
  }
  return kept;
}

const isBound = (issue: z.core.$ZodIssue) => issue.code === "too_big" || issue.code === "too_small";
const isSafeIntegerRange = (issue: z.core.$ZodIssue) =>
  isBound(issue) && (issue as { origin?: string }).origin === "int";

/** RFC 6901 JSON Pointer for a path of keys. */
export function toPointer(path: readonly string[]): string {
  return path.map((key) => `/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}
