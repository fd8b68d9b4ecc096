import * as z from "zod";

// `…:60`, with or without a fraction, before a zone: a leap second as RFC 3339 §5.6 writes one.
const LEAP_SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:60(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * A JSON string field holding an RFC 3339 date-time with a zone (§5.6). `T` and `Z` are taken in
 * either case, as the section's note allows, and read as the same instant: the output has them in
 * upper case, the form `Date.parse` is specified to read. A leap second (`:60`) is refused saying
 * so, since a JavaScript date cannot hold one; anything else that is not such a date-time is
 * refused with `message`.
 */
export const rfc3339DateTime = (name: string, message: string) =>
  z
    .string({ error: message })
    .refine((value) => !LEAP_SECOND.test(value), {
      error: `${name} must not be a leap second (:60), which this API cannot represent; send :59 or the next minute's :00`,
    })
    .transform((value) => value.replace(/[tz]/g, (letter) => letter.toUpperCase()))
    .pipe(z.iso.datetime({ offset: true, error: message }))
    .meta({ format: "date-time" });
