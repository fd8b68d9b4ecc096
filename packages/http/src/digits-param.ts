import * as z from "zod";

/**
 * A whole-number query parameter written in plain decimal digits, from `min` to `max`. `Number()`
 * would also read `1e3`, ` 1000`, `0x10`, `1.0`, `+5` and an empty value as numbers; these are
 * refused with "<name> must be a whole number from <min> to <max>, in plain digits". Digits are
 * read by value (leading zeros allowed: `007` is 7), and a minus sign is read too, so `-1` is
 * told the bound it misses ("<name> must be at least <min>"), as is a number of any length above
 * `max` ("<name> must be at most <max>"). Non-string input (a default, a test) passes through to
 * the same bounds. Its JSON Schema is an integer with those bounds.
 *
 * @param name the parameter's name, as the messages give it
 * @param bounds `min` and `max`, safe integers with `min <= max`
 * @example
 * ```ts
 * import * as z from "zod";
 * import { digitsParam } from "@edge-async/http";
 * const listQuery = z.strictObject({ limit: digitsParam("limit", { min: 1, max: 100 }).default(20) });
 * console.assert(listQuery.parse({ limit: "007" }).limit === 7);
 * ```
 */
export function digitsParam(name: string, bounds: { min: number; max: number }) {
  const { min, max } = bounds;
  const notDigits = `${name} must be a whole number from ${min} to ${max}, in plain digits`;
  return z
    .preprocess(
      (value) => (typeof value === "string" ? digitsValue(value) : value),
      z
        .number({ error: notDigits })
        .int(notDigits)
        .min(min, `${name} must be at least ${min}`)
        .max(max, `${name} must be at most ${max}`),
    )
    .meta({ type: "integer", minimum: min, maximum: max });
}

/**
 * The value of plain decimal digits (an optional minus sign, leading zeros allowed), or `text`
 * itself when it is anything else. Past 15 significant digits (where a double stops being exact)
 * the value is clamped to ±`Number.MAX_SAFE_INTEGER`, so it is still told the bound it misses
 * rather than that it is no whole number.
 */
function digitsValue(text: string): number | string {
  const match = /^(-?)0*([0-9]+)$/.exec(text);
  if (match === null) return text;
  const [, sign, significant = ""] = match;
  const magnitude =
    significant.length > 15 ? Number.MAX_SAFE_INTEGER : Number.parseInt(significant, 10);
  return sign === "-" ? -magnitude : magnitude;
}
