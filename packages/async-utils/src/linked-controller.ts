import { AbortError } from "./errors.ts";
import { inheritDeadline } from "./internal/deadlines.ts";

/**
 * Options for {@link linkedController}.
 *
 * @example
 * ```ts
 * import type { LinkedControllerOptions } from "@edge-async/async-utils";
 * const options: LinkedControllerOptions = { reason: () => new Error("The client disconnected") };
 * ```
 */
export interface LinkedControllerOptions {
  /**
   * The reason the child aborts with when the parent aborts, computed from the parent's reason.
   * Default: the parent's reason itself (an {@link AbortError} when it carries none). If it
   * throws, the child aborts with what it threw.
   */
  reason?: (parentReason: unknown) => unknown;
}

/**
 * A child controller tied to a parent signal; see {@link linkedController}.
 *
 * @example
 * ```ts
 * import { type LinkedController, linkedController } from "@edge-async/async-utils";
 * const child: LinkedController = linkedController(AbortSignal.timeout(5_000));
 * child.dispose();
 * ```
 */
export interface LinkedController {
  /** The child's controller: abort it to stop the child's work without touching the parent. */
  readonly controller: AbortController;
  /** `controller.signal`: aborts when the parent does, or when the child is aborted itself. */
  readonly signal: AbortSignal;
  /** Detaches the child from the parent; does not abort it. Idempotent. */
  dispose(): void;
  /** Same as `dispose`, for `using`. */
  [Symbol.dispose](): void;
}

/**
 * An `AbortController` whose signal also aborts when `parent` does: the shape of "stop this piece
 * of work when the caller (a client's request, a deadline) goes away, or sooner on its own".
 * An already-aborted parent aborts the child at once.
 *
 * Unlike `AbortSignal.any`, the link is cut explicitly: `dispose()` removes the one listener the
 * child put on the parent, so a short-lived child never stays reachable from a long-lived parent
 * (a request's signal outliving thousands of per-attempt children). Always dispose once the work
 * settles, in a `finally` or with `using`. `options.reason` maps the parent's reason, for callers
 * that tell "the client went away" apart from their own cancellations.
 *
 * @param parent - The signal to follow; `undefined` gives an unlinked controller.
 * @returns The child's controller and signal, and `dispose`. Never throws.
 * @example
 * ```ts
 * import { linkedController } from "@edge-async/async-utils";
 * async function handle(request: Request): Promise<Response> {
 *   const call = linkedController(request.signal, { reason: () => new Error("client gone") });
 *   const timer = setTimeout(() => call.controller.abort(new Error("deadline")), 2_000);
 *   try {
 *     return await fetch("https://api.example.com/slow", { signal: call.signal });
 *   } finally {
 *     clearTimeout(timer);
 *     call.dispose();
 *   }
 * }
 * ```
 */
export function linkedController(
  parent: AbortSignal | undefined,
  options: LinkedControllerOptions = {},
): LinkedController {
  const controller = new AbortController();
  if (parent === undefined) return linked(controller, noop);
  // The child aborts with the parent, so the parent's deadline (deadlineSignal) bounds it too.
  inheritDeadline(controller.signal, parent);
  const { reason } = options;
  const follow = (): void => {
    const parentReason: unknown = parent.reason ?? new AbortError();
    if (reason === undefined) {
      controller.abort(parentReason);
      return;
    }
    let mapped: unknown;
    try {
      mapped = reason(parentReason);
    } catch (error) {
      mapped = error;
    }
    controller.abort(mapped);
  };
  if (parent.aborted) {
    follow();
    return linked(controller, noop);
  }
  parent.addEventListener("abort", follow, { once: true });
  let attached = true;
  return linked(controller, () => {
    if (!attached) return;
    attached = false;
    parent.removeEventListener("abort", follow);
  });
}

function linked(controller: AbortController, dispose: () => void): LinkedController {
  return { controller, signal: controller.signal, dispose, [Symbol.dispose]: dispose };
}

function noop(): void {}
