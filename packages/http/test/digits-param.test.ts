import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { digitsParam } from "../src/digits-param.ts";

const every = digitsParam("every", { min: 1, max: 100_000 });
const NOT_DIGITS = "every must be a whole number from 1 to 100000, in plain digits";

function message(value: unknown): string | undefined {
  const result = every.safeParse(value);
  return result.success ? undefined : result.error.issues.map((issue) => issue.message).join("; ");
}

describe("digitsParam", () => {
  it("reads plain digits by value, leading zeros included", () => {
    expect(every.parse("1")).toBe(1);
    expect(every.parse("007")).toBe(7);
    expect(every.parse("00000000000000000000001")).toBe(1);
    expect(every.parse("100000")).toBe(100_000);
  });

  it.each(["1e3", " 1000", "1000 ", "0x10", "1.0", "+5", "", "five", "-", "١٢"])(
    "refuses %j as not plain digits, with one message",
    (value) => {
      expect(message(value)).toBe(NOT_DIGITS);
    },
  );

  it.each([
    ["0", "every must be at least 1"],
    ["-1", "every must be at least 1"],
    ["100001", "every must be at most 100000"],
    ["9007199254740993", "every must be at most 100000"],
    ["9".repeat(400), "every must be at most 100000"],
  ])("tells %j the bound it misses", (value, expected) => {
    expect(message(value)).toBe(expected);
  });

  it("agrees with the value of any digit string, zero-padded or not", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.nat(5), (value, zeros) => {
        const text = "0".repeat(zeros) + value.toString();
        const inRange = value >= 1n && value <= 100_000n;
        expect(every.safeParse(text).success).toBe(inRange);
        if (inRange) expect(every.parse(text)).toBe(Number(value));
      }),
      { numRuns: 200 },
    );
  });

  it("declares an integer with its bounds in the JSON Schema", () => {
    expect(z.toJSONSchema(z.object({ every }), { io: "input" }).properties?.every).toEqual({
      type: "integer",
      minimum: 1,
      maximum: 100_000,
    });
  });
});
