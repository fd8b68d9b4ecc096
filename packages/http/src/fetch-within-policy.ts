/**
 * Outbound fetches under the URL policy: redirects are followed by hand so that every hop is
 * judged by {@link checkTarget} before anything is sent to it.
 *
 * @module
 */

import { withTraceparent } from "./observability/context.ts";
import { checkTarget, type TargetPolicy } from "./outbound.ts";

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Dropped on a cross-origin hop: credentials belong to the origin they were given to. */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"] as const;
/** The Fetch standard's request-body-header names, dropped when a redirect turns into a GET. */
const BODY_HEADERS = [
  "content-encoding",
  "content-language",
  "content-location",
  "content-type",
  "content-length",
] as const;
const NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/**
 * The policy refused a URL: the one asked for, or a redirect hop (then `from` is the URL that
 * redirected). Nothing was sent to `url`.
 *
 * @example
 * ```ts
 * import { fetchWithinPolicy, TargetRefusedError } from "@edge-async/http";
 * const policy = { allowedHosts: ["*"], allowPrivateNetworks: false };
 * await fetchWithinPolicy("http://10.0.0.1/", {}, policy).catch((error) => {
 *   console.assert(error instanceof TargetRefusedError && error.reason.includes("10.0.0.0/8"));
 * });
 * ```
 */
export class TargetRefusedError extends Error {
  override name = "TargetRefusedError";
  /** The refused URL. */
  readonly url: URL;
  /** Why the policy refused it, as {@link checkTarget} put it. */
  readonly reason: string;
  /** The URL whose redirect pointed at `url`; `undefined` for the first hop. */
  readonly from: URL | undefined;
  constructor(url: URL, reason: string, from?: URL) {
    super(
      from === undefined
        ? `${url.href} refused: ${reason}`
        : `redirect from ${from.href} to ${url.href} refused: ${reason}`,
    );
    this.url = url;
    this.reason = reason;
    this.from = from;
  }
}

/**
 * A redirect that cannot be followed: more hops than allowed, a `Location` that is not a URL, or
 * a 307/308 that needs a streamed request body a second time. The Fetch standard calls these
 * network errors.
 *
 * @example
 * ```ts
 * import { RedirectError } from "@edge-async/http";
 * const error = new RedirectError("https://a.example/ redirected more than 5 times", new URL("https://a.example/"));
 * console.assert(error.url.host === "a.example");
 * ```
 */
export class RedirectError extends Error {
  override name = "RedirectError";
  /** The URL whose answer could not be followed. */
  readonly url: URL;
  constructor(message: string, url: URL) {
    super(message);
    this.url = url;
  }
}

/**
 * The request {@link fetchWithinPolicy} sends: `RequestInit` without the parts it manages itself
 * (`redirect`, `signal`).
 *
 * @example
 * ```ts
 * import type { OutboundInit } from "@edge-async/http";
 * const init: OutboundInit = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
 * ```
 */
export interface OutboundInit {
  /** Default `GET`. */
  method?: string;
  headers?: HeadersInit;
  /** A `ReadableStream` body can be sent once only, so a 307/308 after it is a {@link RedirectError}. */
  body?: BodyInit | null;
}

/**
 * Options for {@link fetchWithinPolicy}.
 *
 * @example
 * ```ts
 * import type { FetchWithinPolicyOptions } from "@edge-async/http";
 * const options: FetchWithinPolicyOptions = { signal: AbortSignal.timeout(5_000), maxRedirects: 3 };
 * ```
 */
export interface FetchWithinPolicyOptions {
  /** Aborts the fetch in flight (and so the chain); it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Redirects followed at most, a non-negative integer (default 5); the next is unfollowable. */
  maxRedirects?: number;
  /**
   * What an unfollowable redirect (see {@link RedirectError}) does: `"reject"` (default) rejects
   * with a {@link RedirectError}; `"return"` resolves with that 3xx response, body unread.
   */
  unfollowable?: "reject" | "return";
  /**
   * Asked before each hop the policy accepted is followed; `false` stops there and resolves with
   * the 3xx response, body unread. A per-call subrequest budget goes here.
   */
  beforeRedirect?: (next: URL, response: Response) => boolean;
  /** The fetch to use (a service binding's, or a test double); default the global `fetch`. */
  fetch?: (url: URL, init: RequestInit) => Promise<Response>;
}

/**
 * What {@link fetchWithinPolicy} resolves with.
 *
 * @example
 * ```ts
 * import type { PolicyFetchResult } from "@edge-async/http";
 * const describe = (result: PolicyFetchResult) => `${result.method} ${result.url.href} -> ${result.response.status}`;
 * ```
 */
export interface PolicyFetchResult {
  /** The last response, body unread: the final answer, or a 3xx that was not followed. */
  response: Response;
  /** The URL `response` came from. */
  url: URL;
  /** The method of the last request (a 303 turns a POST into a GET). */
  method: string;
  /** Redirects followed. */
  redirects: number;
}

/**
 * Fetches `input` under `policy`, following redirects by hand (`redirect: "manual"`) as the
 * Fetch standard does, with the policy checked on every hop: the URL asked for and each
 * `Location` must pass {@link checkTarget} before anything is sent to them, so a public URL
 * cannot bounce the worker to a private address. On each hop the 3xx body is cancelled; a 303
 * (other than for GET/HEAD), and a 301/302 of a POST, become a GET without the body and its
 * content headers; a cross-origin hop drops `Authorization`, `Cookie` and `Proxy-Authorization`
 * for the rest of the chain. A 3xx without `Location` is an ordinary answer. Inside a request or
 * job run every hop carries its `traceparent` (see `withTraceparent`), unless `init` sets one.
 *
 * @param input - An absolute URL.
 * @param init - Method (default GET), headers and body.
 * @param policy - The outbound policy (see {@link TargetPolicy}).
 * @returns The last response with its URL and method; its body is the caller's to read or cancel.
 * @throws TargetRefusedError when the policy refuses `input` or a hop (nothing is sent to it).
 * @throws RedirectError on an unfollowable redirect, unless `unfollowable` is `"return"`.
 * @throws TypeError when `input` is not an absolute URL; the signal's reason on abort; whatever
 * `fetch` rejects with.
 * @example
 * ```ts
 * import { fetchWithinPolicy } from "@edge-async/http";
 * const policy = { allowedHosts: ["api.example.com"], allowPrivateNetworks: false };
 * const { response, url } = await fetchWithinPolicy(
 *   "https://api.example.com/v1/report",
 *   { headers: { authorization: "Bearer token" } },
 *   policy,
 *   { signal: AbortSignal.timeout(5_000), maxRedirects: 3 },
 * );
 * console.log(url.href, response.status, await response.text());
 * ```
 */
export async function fetchWithinPolicy(
  input: string | URL,
  init: OutboundInit,
  policy: TargetPolicy,
  options: FetchWithinPolicyOptions = {},
): Promise<PolicyFetchResult> {
  const { signal, maxRedirects = 5, unfollowable = "reject", beforeRedirect } = options;
  if (!(Number.isInteger(maxRedirects) && maxRedirects >= 0)) {
    throw new RangeError(`maxRedirects must be a non-negative integer, got ${maxRedirects}`);
  }
  const doFetch =
    options.fetch ?? ((url: URL, requestInit: RequestInit) => fetch(url, requestInit));
  const first = new URL(input);
  refuseUnlessAllowed(first, policy);
  const hop: Hop = {
    url: first,
    method: normalizeMethod(init.method ?? "GET"),
    // The request id travels with every hop (traceparent), as with every outgoing call.
    headers: withTraceparent(init.headers),
    body: init.body ?? null,
  };
  for (let redirects = 0; ; redirects++) {
    signal?.throwIfAborted();
    const { url, method, headers, body } = hop;
    const response = await doFetch(url, { method, headers, body, signal, redirect: "manual" });
    const location = response.headers.get("location");
    if (!REDIRECT_STATUSES.has(response.status) || location === null) {
      return { response, url, method, redirects };
    }
    const done = (): PolicyFetchResult => ({ response, url, method, redirects });
    const fail = async (message: string): Promise<PolicyFetchResult> => {
      if (unfollowable === "return") return done();
      await discard(response);
      throw new RedirectError(message, url);
    };
    if (redirects >= maxRedirects) {
      return fail(`${first.href} redirected more than ${maxRedirects} times`);
    }
    if (!URL.canParse(location, url)) return fail(`${url.href} redirected to an invalid URL`);
    const next = new URL(location, url);
    const verdict = checkTarget(next, policy);
    if (!verdict.allowed) {
      await discard(response);
      throw new TargetRefusedError(next, verdict.reason, url);
    }
    const resendsBody = !rewritesToGet(response.status, method);
    if (resendsBody && body instanceof ReadableStream) {
      return fail(
        `${url.href} answered ${response.status}, which needs the streamed request body again`,
      );
    }
    if (beforeRedirect !== undefined && !beforeRedirect(next, response)) return done();
    await discard(response);
    follow(hop, next, response.status);
  }
}

interface Hop {
  url: URL;
  method: string;
  headers: Headers;
  body: BodyInit | null;
}

/** Moves `hop` to `next` the way the Fetch standard's HTTP-redirect fetch does. */
function follow(hop: Hop, next: URL, status: number): void {
  if (rewritesToGet(status, hop.method)) {
    if (hop.method !== "HEAD") hop.method = "GET";
    hop.body = null;
    for (const name of BODY_HEADERS) hop.headers.delete(name);
  }
  if (next.origin !== hop.url.origin) {
    for (const name of CREDENTIAL_HEADERS) hop.headers.delete(name);
  }
  hop.url = next;
}

function rewritesToGet(status: number, method: string): boolean {
  return (
    ((status === 301 || status === 302) && method === "POST") ||
    (status === 303 && method !== "GET" && method !== "HEAD")
  );
}

function refuseUnlessAllowed(url: URL, policy: TargetPolicy): void {
  const verdict = checkTarget(url, policy);
  if (!verdict.allowed) throw new TargetRefusedError(url, verdict.reason);
}

function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

/** Frees the connection of a response nobody will read. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}
