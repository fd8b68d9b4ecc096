import { TimeoutError } from "./errors.ts";
import { abortReason } from "./internal/abort.ts";
import { describeValue } from "./internal/concurrency.ts";
import { deadlines } from "./internal/deadlines.ts";

/**
 * The request header that carries a deadline from caller to callee: the time the caller will
 * still wait, in whole milliseconds, as a relative value (`request-timeout-ms: 2500`).
 *
 * Relative, because the two machines' clocks differ: an absolute instant would be off by their
 * skew, while a duration is off only by the time the request spends in transit, which errs on
 * the safe side (the callee gives up a little after the caller, never long before). Plain
 * digits, because a budget in milliseconds needs no units (gRPC's `grpc-timeout: 250m` has
 * them, and `Connect-Timeout-Ms` uses the same digits-only form). No `X-` prefix, per RFC 6648.
 *
 * @example
 * ```ts
 * import { DEADLINE_HEADER } from "@edge-async/async-utils";
 * const headers = new Headers({ [DEADLINE_HEADER]: "2500" });
 * ```
 */
export const DEADLINE_HEADER = "request-timeout-ms";

/**
 * Raised by {@link signalFromDeadline} when the deadline header is present but is not a
 * non-negative integer of milliseconds. Names the header and the value, so an endpoint can
 * answer 400 saying what is wrong and where.
 *
 * @example
 * ```ts
 * import { DeadlineHeaderError, signalFromDeadline } from "@edge-async/async-utils";
 * try {
 *   signalFromDeadline(new Headers({ "request-timeout-ms": "soon" }), { max: 10_000 });
 * } catch (error) {
 *   console.assert(error instanceof DeadlineHeaderError && error.header === "request-timeout-ms");
 * }
 * ```
 */
export class DeadlineHeaderError extends Error {
  override name = "DeadlineHeaderError";
  /** The header's name, lower case. */
  readonly header: string;
  /** The value received, as `Headers.get` returned it. */
  readonly value: string;
  constructor(header: string, value: string, options?: ErrorOptions) {
    super(
      `${header} must be a non-negative integer of milliseconds, got ${describeValue(value)}`,
      options,
    );
    this.header = header;
    this.value = value;
  }
}

/**
 * Options for {@link signalFromDeadline}.
 *
 * @example
 * ```ts
 * import { signalFromDeadline, type SignalFromDeadlineOptions } from "@edge-async/async-utils";
 * const options: SignalFromDeadlineOptions = { max: 10_000, header: "request-timeout-ms" };
 * const signal = signalFromDeadline(new Headers(), options);
 * ```
 */
export interface SignalFromDeadlineOptions {
  /**
   * The longest this side will work on the request, in milliseconds (a non-negative number or
   * `Infinity`): the deadline when the header is absent, and the cap on one that asks for more,
   * so a caller cannot extend this side's budget.
   */
  max: number;
  /** A signal to follow as well, such as `request.signal`: the result aborts when it does. */
  signal?: AbortSignal;
  /** The header to read; default {@link DEADLINE_HEADER}. */
  header?: string;
}

/**
 * Options for {@link deadlineSignal}.
 *
 * @example
 * ```ts
 * import { deadlineSignal, type DeadlineSignalOptions } from "@edge-async/async-utils";
 * const options: DeadlineSignalOptions = { signal: AbortSignal.timeout(5_000) };
 * const signal = deadlineSignal(2_000, options);
 * ```
 */
export interface DeadlineSignalOptions {
  /** A signal to follow as well; when it carries a deadline of its own, the earlier one wins. */
  signal?: AbortSignal;
}

// setTimeout keeps its delay in a signed 32-bit integer (~24.8 days); longer counts as never.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * An `AbortSignal` that aborts with a {@link TimeoutError} `ms` milliseconds from now, or
 * earlier with the reason of `options.signal` when that aborts first. Its deadline is known to
 * {@link remainingMs} and {@link deadlineHeader}, so it can be passed on to the next service.
 * When `options.signal` carries a deadline of its own (one made here or by
 * {@link signalFromDeadline}), the earlier of the two applies: a call never gets more time
 * than its caller has left. Throws a RangeError when `ms` is not a non-negative number.
 *
 * @example
 * ```ts
 * import { deadlineHeader, deadlineSignal } from "@edge-async/async-utils";
 *
 * const signal = deadlineSignal(3_000); // this whole operation: 3 s
 * const res = await fetch("https://api.example.com/", { signal, headers: deadlineHeader(signal) });
 * ```
 */
export function deadlineSignal(ms: number, options: DeadlineSignalOptions = {}): AbortSignal {
  if (!(typeof ms === "number" && ms >= 0)) {
    throw new RangeError(`ms must be a non-negative number, got ${describeValue(ms)}`);
  }
  const parent = options.signal;
  let expiresAt = Date.now() + ms;
  const inherited = parent === undefined ? undefined : deadlines.get(parent);
  if (inherited !== undefined && inherited < expiresAt) expiresAt = inherited;
  return deadlineAt(expiresAt, ms, parent);
}

/**
 * Milliseconds left before `signal`'s deadline: 0 once it has passed or the signal has
 * aborted, `undefined` when the signal carries no known deadline (only signals made by
 * {@link deadlineSignal} and {@link signalFromDeadline} do; `AbortSignal.timeout`'s do not).
 *
 * @example
 * ```ts
 * import { deadlineSignal, remainingMs } from "@edge-async/async-utils";
 * const left = remainingMs(deadlineSignal(1_000)); // about 1000
 * console.assert(remainingMs(new AbortController().signal) === undefined);
 * ```
 */
export function remainingMs(signal: AbortSignal): number | undefined {
  const expiresAt = deadlines.get(signal);
  if (expiresAt === undefined) return undefined;
  if (signal.aborted) return 0;
  return Math.max(0, expiresAt - Date.now());
}

/**
 * The deadline header for an outgoing request, as an object to spread into its headers:
 * `{ "request-timeout-ms": "<whole ms left>" }` for a signal with a known deadline (see
 * {@link remainingMs}) or a number of milliseconds, rounded down so the callee never gets more
 * time than is left; `{}` when there is no deadline to pass on (an unknown signal, `Infinity`).
 *
 * @example
 * ```ts
 * import { deadlineHeader, signalFromDeadline } from "@edge-async/async-utils";
 *
 * export default {
 *   async fetch(request: Request): Promise<Response> {
 *     const signal = signalFromDeadline(request.headers, { max: 10_000, signal: request.signal });
 *     return fetch("https://inventory.example.com/", {
 *       signal,
 *       headers: { accept: "application/json", ...deadlineHeader(signal) },
 *     });
 *   },
 * };
 * ```
 */
export function deadlineHeader(
  source: AbortSignal | number,
  options: { header?: string } = {},
): Record<string, string> {
  const ms = typeof source === "number" ? source : remainingMs(source);
  if (ms === undefined || ms === Number.POSITIVE_INFINITY) return {};
  if (!(ms >= 0))
    throw new RangeError(`ms must be a non-negative number, got ${describeValue(ms)}`);
  return { [options.header ?? DEADLINE_HEADER]: String(Math.floor(ms)) };
}

/**
 * Turns a received deadline header into an `AbortSignal` that aborts with a
 * {@link TimeoutError} when the caller's budget runs out, capped at `options.max` (also the
 * budget when the header is absent), or earlier when `options.signal` aborts. A budget of `0`
 * gives an already-aborted signal: the caller has given up. Pass the result on with
 * {@link deadlineHeader} or narrow it with {@link deadlineSignal}.
 *
 * Throws {@link DeadlineHeaderError} when the header holds anything but digits (a list of
 * several values included), and a RangeError when `max` is not a non-negative number.
 *
 * @example
 * ```ts
 * import { DeadlineHeaderError, signalFromDeadline } from "@edge-async/async-utils";
 *
 * export default {
 *   async fetch(request: Request): Promise<Response> {
 *     let signal: AbortSignal;
 *     try {
 *       signal = signalFromDeadline(request.headers, { max: 10_000, signal: request.signal });
 *     } catch (error) {
 *       if (error instanceof DeadlineHeaderError) return new Response(error.message, { status: 400 });
 *       throw error;
 *     }
 *     return fetch("https://api.example.com/", { signal });
 *   },
 * };
 * ```
 */
export function signalFromDeadline(
  headers: { get(name: string): string | null },
  options: SignalFromDeadlineOptions,
): AbortSignal {
  const { max, signal: parent, header = DEADLINE_HEADER } = options;
  if (!(typeof max === "number" && max >= 0)) {
    throw new RangeError(
      `max must be a non-negative number or Infinity, got ${describeValue(max)}`,
    );
  }
  const value = headers.get(header);
  let ms = max;
  if (value !== null) {
    if (!/^[0-9]+$/.test(value)) throw new DeadlineHeaderError(header.toLowerCase(), value);
    ms = Math.min(max, Number(value));
  }
  return deadlineAt(Date.now() + ms, ms, parent);
}

/** A signal aborting at `expiresAt` (or with `parent`), registered so its deadline is known. */
function deadlineAt(expiresAt: number, budgetMs: number, parent: AbortSignal | undefined) {
  const controller = new AbortController();
  const signal = controller.signal;
  deadlines.set(signal, expiresAt);
  if (parent?.aborted) {
    controller.abort(abortReason(parent));
    return signal;
  }
  const delay = expiresAt - Date.now();
  const timedOut = (): TimeoutError =>
    new TimeoutError(`The deadline of ${budgetMs} ms passed`, { timeoutMs: budgetMs });
  if (delay <= 0) {
    controller.abort(timedOut());
    return signal;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onParentAbort = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    controller.abort(abortReason(parent as AbortSignal));
  };
  if (delay <= MAX_TIMER_DELAY) {
    timer = setTimeout(() => {
      parent?.removeEventListener("abort", onParentAbort);
      controller.abort(timedOut());
    }, delay);
    // Under Node a pending deadline alone should not keep the process running.
    (timer as { unref?: () => void }).unref?.();
  }
  parent?.addEventListener("abort", onParentAbort, { once: true });
  return signal;
}
