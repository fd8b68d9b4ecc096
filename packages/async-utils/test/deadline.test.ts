import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DEADLINE_HEADER,
  DeadlineHeaderError,
  deadlineHeader,
  deadlineSignal,
  remainingMs,
  signalFromDeadline,
} from "../src/deadline.ts";
import { TimeoutError } from "../src/errors.ts";
import { trackedController } from "./helpers/signals.ts";

const headersWith = (value?: string, name = DEADLINE_HEADER): Headers =>
  new Headers(value === undefined ? {} : { [name]: value });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("signalFromDeadline", () => {
  it("aborts with a TimeoutError when the caller's budget runs out", async () => {
    const signal = signalFromDeadline(headersWith("250"), { max: 10_000 });
    expect(remainingMs(signal)).toBe(250);
    await vi.advanceTimersByTimeAsync(249);
    expect(signal.aborted).toBe(false);
    expect(remainingMs(signal)).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(TimeoutError);
    expect(signal.reason).toMatchObject({ name: "TimeoutError", timeoutMs: 250 });
    expect(remainingMs(signal)).toBe(0);
  });

  it("uses max without a header and caps a header that asks for more", () => {
    expect(remainingMs(signalFromDeadline(headersWith(), { max: 3_000 }))).toBe(3_000);
    expect(remainingMs(signalFromDeadline(headersWith("999999999"), { max: 3_000 }))).toBe(3_000);
    expect(remainingMs(signalFromDeadline(headersWith("9".repeat(400)), { max: 5 }))).toBe(5);
    expect(remainingMs(signalFromDeadline(headersWith("0042"), { max: 3_000 }))).toBe(42);
    const unbounded = signalFromDeadline(headersWith(), { max: Number.POSITIVE_INFINITY });
    expect(remainingMs(unbounded)).toBe(Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(4); // no timer for the unbounded one
  });

  it("a budget of 0 gives a signal that has already aborted", () => {
    const signal = signalFromDeadline(headersWith("0"), { max: 1_000 });
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(TimeoutError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reads another header when asked", () => {
    const signal = signalFromDeadline(headersWith("70", "x-budget"), {
      max: 1_000,
      header: "x-budget",
    });
    expect(remainingMs(signal)).toBe(70);
  });

  it("refuses a header that is not whole milliseconds, naming the header and the value", () => {
    for (const value of ["", "soon", "1.5", "-1", "+5", "1e3", "0x10", "5, 6", "٣"]) {
      const error = (() => {
        try {
          signalFromDeadline({ get: () => value }, { max: 1_000 });
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(DeadlineHeaderError);
      expect(error).toMatchObject({ header: DEADLINE_HEADER, value });
      expect((error as Error).message).toBe(
        `request-timeout-ms must be a non-negative integer of milliseconds, got ${JSON.stringify(value)}`,
      );
    }
    // several values sent in separate fields come back joined, so they are refused too
    const headers = new Headers();
    headers.append(DEADLINE_HEADER, "100");
    headers.append(DEADLINE_HEADER, "200");
    expect(() => signalFromDeadline(headers, { max: 1_000 })).toThrow(DeadlineHeaderError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("validates max", () => {
    expect(() => signalFromDeadline(headersWith(), { max: -1 })).toThrow(
      "max must be a non-negative number or Infinity, got -1",
    );
    expect(() => signalFromDeadline(headersWith(), {} as { max: number })).toThrow("got undefined");
  });

  it("follows the request's signal, and then clears its timer and listener", async () => {
    const { controller, listeners } = trackedController();
    const signal = signalFromDeadline(headersWith("5000"), {
      max: 10_000,
      signal: controller.signal,
    });
    expect(listeners()).toBe(1);
    const reason = new Error("client disconnected");
    controller.abort(reason);
    expect(signal.reason).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    expect(remainingMs(signal)).toBe(0);
    const early = signalFromDeadline(headersWith("5"), {
      max: 10,
      signal: AbortSignal.abort(reason),
    });
    expect(early.reason).toBe(reason);
  });

  it("removes its listener from the request's signal when the deadline passes", async () => {
    const { controller, listeners } = trackedController();
    signalFromDeadline(headersWith("10"), { max: 10_000, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    expect(listeners()).toBe(0);
  });

  it("property: digits give min(value, max) ms; anything else is refused", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.stringMatching(/^[0-9]{1,12}$/), fc.string({ maxLength: 12 })),
        fc.integer({ min: 0, max: 100_000 }),
        (value, max) => {
          const headers = { get: () => value };
          if (/^[0-9]+$/.test(value)) {
            const signal = signalFromDeadline(headers, { max });
            expect(remainingMs(signal)).toBe(Math.min(Number(value), max));
            expect(signal.aborted).toBe(Math.min(Number(value), max) === 0);
          } else {
            expect(() => signalFromDeadline(headers, { max })).toThrow(DeadlineHeaderError);
          }
        },
      ),
      { numRuns: 200 },
    );
    vi.clearAllTimers();
  });
});

describe("deadlineHeader and deadlineSignal", () => {
  it("writes the whole milliseconds left, rounded down, and nothing without a deadline", async () => {
    const signal = deadlineSignal(1_000);
    expect(deadlineHeader(signal)).toEqual({ "request-timeout-ms": "1000" });
    await vi.advanceTimersByTimeAsync(400);
    expect(deadlineHeader(signal)).toEqual({ "request-timeout-ms": "600" });
    expect(deadlineHeader(new AbortController().signal)).toEqual({});
    expect(deadlineHeader(AbortSignal.timeout(10))).toEqual({});
    expect(deadlineHeader(250.9)).toEqual({ "request-timeout-ms": "250" });
    expect(deadlineHeader(Number.POSITIVE_INFINITY)).toEqual({});
    expect(deadlineHeader(5, { header: "x-budget" })).toEqual({ "x-budget": "5" });
    expect(() => deadlineHeader(-1)).toThrow("ms must be a non-negative number, got -1");
    await vi.advanceTimersByTimeAsync(600);
    expect(deadlineHeader(signal)).toEqual({ "request-timeout-ms": "0" });
  });

  it("a call never gets more time than its caller has left", async () => {
    const received = signalFromDeadline(headersWith("300"), { max: 10_000 });
    const narrower = deadlineSignal(100, { signal: received });
    expect(remainingMs(narrower)).toBe(100);
    const wider = deadlineSignal(5_000, { signal: received });
    expect(remainingMs(wider)).toBe(300);
    await vi.advanceTimersByTimeAsync(300);
    expect(wider.aborted).toBe(true);
    expect(wider.reason).toBeInstanceOf(TimeoutError);
    expect(narrower.reason).toBeInstanceOf(TimeoutError);
  });

  it("round-trips: what one side writes, the other reads back as the same budget", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (ms) => {
        const sent = deadlineSignal(ms);
        const received = signalFromDeadline(new Headers(deadlineHeader(sent)), {
          max: Number.POSITIVE_INFINITY,
        });
        expect(remainingMs(received)).toBe(ms);
      }),
      { numRuns: 100 },
    );
    vi.clearAllTimers();
  });

  it("validates ms", () => {
    expect(() => deadlineSignal(-5)).toThrow("ms must be a non-negative number, got -5");
    expect(() => deadlineSignal(Number.NaN)).toThrow(RangeError);
  });
});
