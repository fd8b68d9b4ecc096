import { checkTarget, type InvalidParam, type TargetPolicy } from "@edge-async/http";
import type * as z from "zod";
import { PermanentJobError } from "./errors.ts";
import type { JobType } from "./job-types/job-type.ts";

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Redirect hops one outbound fetch follows before it gives up (each hop is checked again).
 *
 * @example
 * ```ts
 * import { MAX_REDIRECTS } from "./outbound.ts";
 * console.assert(MAX_REDIRECTS === 5);
 * ```
 */
export const MAX_REDIRECTS = 5;

/**
 * A URL the outbound policy refuses. Another run cannot change that, so the job goes `dead`.
 *
 * @example
 * ```ts
 * import { RefusedTargetError } from "./outbound.ts";
 * throw new RefusedTargetError("http://10.0.0.1/ refused: 10.0.0.1 is in 10.0.0.0/8 (private)");
 * ```
 */
export class RefusedTargetError extends PermanentJobError {
  override name = "RefusedTargetError";
}

/**
 * GETs or HEADs `url` under the outbound policy: the URL and every redirect hop are checked
 * before they are fetched (redirects are followed by hand, at most {@link MAX_REDIRECTS}), so a
 * public URL cannot bounce the worker to a private address. Returns the last response and its URL.
 *
 * @example
 * ```ts
 * import { fetchWithinPolicy } from "./outbound.ts";
 * const policy = { allowedHosts: ["*"], allowPrivateNetworks: false };
 * const { response, url } = await fetchWithinPolicy("https://example.com/", { signal }, policy);
 * ```
 */
export async function fetchWithinPolicy(
  url: string,
  init: { method?: "GET" | "HEAD"; headers?: HeadersInit; signal: AbortSignal },
  policy: TargetPolicy,
): Promise<{ response: Response; url: string }> {
  let current = new URL(url);
  refuseUnlessAllowed(current, policy, `${current.href} refused`);
  for (let hop = 0; ; hop++) {
    const response = await fetch(current, { ...init, redirect: "manual" });
    const location = response.headers.get("location");
    if (!REDIRECT_STATUSES.has(response.status) || location === null) {
      return { response, url: current.href };
    }
    await response.body?.cancel();
    if (hop >= MAX_REDIRECTS) {
      throw new PermanentJobError(`${url} redirected more than ${MAX_REDIRECTS} times`);
    }
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new PermanentJobError(`${current.href} redirected to an invalid URL`);
    }
    refuseUnlessAllowed(next, policy, `redirect from ${current.href} to ${next.href} refused`);
    current = next;
  }
}

function refuseUnlessAllowed(url: URL, policy: TargetPolicy, what: string): void {
  const verdict = checkTarget(url, policy);
  if (!verdict.allowed) throw new RefusedTargetError(`${what}: ${verdict.reason}`);
}

/**
 * The enqueue-time check: every URL a job's type says it will fetch
 * ({@link JobType.outboundUrls}) that the policy refuses, as problem+json entries pointing at
 * the field. The same policy is applied again before every fetch at run time.
 *
 * @example
 * ```ts
 * import { refusedTargets } from "./outbound.ts";
 * const errors = refusedTargets(fetchJob, { url: "http://[::1]/" }, "/payload", policy);
 * // [{ pointer: "/payload/url", detail: "is refused: [::1] is in ::1/128 (loopback)" }]
 * ```
 */
export function refusedTargets(
  type: JobType<z.ZodType, unknown>,
  payload: unknown,
  pointerPrefix: string,
  policy: TargetPolicy,
): InvalidParam[] {
  const urls = type.outboundUrls?.(payload) ?? {};
  return Object.entries(urls).flatMap(([field, url]) => {
    const pointer = `${pointerPrefix}${field}`;
    if (!URL.canParse(url)) return [{ pointer, detail: "must be an absolute URL" }];
    const verdict = checkTarget(new URL(url), policy);
    return verdict.allowed ? [] : [{ pointer, detail: `is refused: ${verdict.reason}` }];
  });
}
