import {
  checkTarget,
  fetchWithinPolicy,
  type InvalidParam,
  RedirectError,
  type TargetPolicy,
  TargetRefusedError,
} from "@edge-async/http";
import { PermanentJobError } from "./errors.ts";

/** Redirect hops one outbound fetch follows before the job gives up (each hop is checked again). */
const MAX_REDIRECTS = 5;

/** A URL the outbound policy refuses. Another run cannot change that, so the job goes `dead`. */
class RefusedTargetError extends PermanentJobError {
  override name = "RefusedTargetError";
}

/**
 * GETs or HEADs `url` under the outbound policy (every redirect hop checked before it is sent),
 * as a job sees it: a refused target or an unfollowable redirect is a {@link PermanentJobError},
 * since another run would meet the same answer. Returns the last response and the URL it was
 * fetched from, as `Response.url` gives it: without a fragment, which fetch never sends.
 */
export async function fetchOutbound(
  url: string,
  init: { method?: "GET" | "HEAD"; headers?: HeadersInit; signal: AbortSignal },
  policy: TargetPolicy,
): Promise<{ response: Response; url: string }> {
  const { signal, ...request } = init;
  try {
    const result = await fetchWithinPolicy(url, request, policy, {
      signal,
      maxRedirects: MAX_REDIRECTS,
    });
    const fetched = new URL(result.url);
    fetched.hash = "";
    return { response: result.response, url: fetched.href };
  } catch (error) {
    if (error instanceof TargetRefusedError) throw new RefusedTargetError(error.message);
    if (error instanceof RedirectError) throw new PermanentJobError(error.message);
    throw error;
  }
}

/**
 * What the enqueue-time check needs from a job type: the URLs a payload (already parsed by the
 * type's schema) will fetch, keyed by their JSON pointer inside it. Declared here so that this
 * module depends on no job type; every `JobType` has this shape.
 */
export interface DeclaresOutboundUrls {
  outboundUrls?(payload: unknown): Record<string, string>;
}

/**
 * The enqueue-time check: every URL a job's type says it will fetch that the policy refuses, as
 * problem+json entries pointing at the field. {@link fetchOutbound} applies the same policy again
 * before every fetch at run time.
 */
export function refusedTargets(
  type: DeclaresOutboundUrls,
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
