import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AbortError } from "../src/errors.ts";
import { deadlineHeader, deadlineSignal, linkedController, remainingMs } from "../src/index.ts";
import { trackedController } from "./helpers/signals.ts";

describe("linkedController", () => {
  it("keeps the parent's deadline, so what is left of it still travels as request-timeout-ms", () => {
    const parent = deadlineSignal(60_000);
    const child = linkedController(parent).signal;
    const left = remainingMs(child);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(60_000);
    expect(deadlineHeader(child)).toHaveProperty("request-timeout-ms");
    expect(remainingMs(linkedController(new AbortController().signal).signal)).toBeUndefined();
  });

  it("aborts the child with the parent's reason", () => {
    const parent = new AbortController();
    const child = linkedController(parent.signal);
    expect(child.signal).toBe(child.controller.signal);
    expect(child.signal.aborted).toBe(false);
    const reason = new Error("client gone");
    parent.abort(reason);
    expect(child.signal.aborted).toBe(true);
    expect(child.signal.reason).toBe(reason);
    child.dispose();
  });

  it("aborts at once when the parent is already aborted, attaching nothing", () => {
    const { controller: parent, listeners } = trackedController();
    parent.abort("early");
    const child = linkedController(parent.signal);
    expect(child.signal.reason).toBe("early");
    expect(listeners()).toBe(0);
    child.dispose();
  });

  it("gives an unlinked controller without a parent", () => {
    const child = linkedController(undefined);
    expect(child.signal.aborted).toBe(false);
    child.controller.abort("mine");
    expect(child.signal.reason).toBe("mine");
    child.dispose();
  });

  it("lets the child abort on its own without touching the parent", () => {
    const parent = new AbortController();
    const child = linkedController(parent.signal);
    child.controller.abort("child only");
    expect(child.signal.reason).toBe("child only");
    expect(parent.signal.aborted).toBe(false);
    // A later parent abort does not overwrite the child's first reason.
    parent.abort("parent");
    expect(child.signal.reason).toBe("child only");
    child.dispose();
  });

  it("maps the parent's reason with options.reason", () => {
    const parent = new AbortController();
    const seen: unknown[] = [];
    const child = linkedController(parent.signal, {
      reason: (parentReason) => {
        seen.push(parentReason);
        return new Error("The client disconnected");
      },
    });
    parent.abort("socket closed");
    expect(seen).toEqual(["socket closed"]);
    expect((child.signal.reason as Error).message).toBe("The client disconnected");
  });

  it("aborts with what options.reason threw", () => {
    const parent = new AbortController();
    const thrown = new TypeError("mapper broke");
    const child = linkedController(parent.signal, {
      reason: () => {
        throw thrown;
      },
    });
    parent.abort();
    expect(child.signal.reason).toBe(thrown);
  });

  it("fills in an AbortError when the parent's reason is missing", () => {
    // A hand-rolled signal whose reason is undefined, as older runtimes report it.
    const target = new EventTarget() as AbortSignal & { aborted: boolean; reason: unknown };
    Object.assign(target, { aborted: false, reason: undefined });
    const child = linkedController(target);
    target.aborted = true;
    target.dispatchEvent(new Event("abort"));
    expect(child.signal.reason).toBeInstanceOf(AbortError);
  });

  it("detaches from the parent on dispose, idempotently and with using", () => {
    const { controller: parent, listeners } = trackedController();
    const first = linkedController(parent.signal);
    expect(listeners()).toBe(1);
    first.dispose();
    first.dispose();
    expect(listeners()).toBe(0);
    {
      using second = linkedController(parent.signal);
      expect(listeners()).toBe(1);
      expect(second.signal.aborted).toBe(false);
    }
    expect(listeners()).toBe(0);
    parent.abort("late");
    expect(first.signal.aborted).toBe(false);
  });

  it("keeps exactly the live children attached, whatever the order of disposals", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        (disposeEach, abortParent) => {
          const { controller: parent, listeners } = trackedController();
          const children = disposeEach.map(() => linkedController(parent.signal));
          children.forEach((child, index) => {
            if (disposeEach[index]) child.dispose();
          });
          const live = disposeEach.filter((disposed) => !disposed).length;
          expect(listeners()).toBe(live);
          if (abortParent) parent.abort("stop");
          children.forEach((child, index) => {
            expect(child.signal.aborted).toBe(abortParent && !disposeEach[index]);
          });
          for (const child of children) child.dispose();
        },
      ),
      { numRuns: 100 },
    );
  });
});
