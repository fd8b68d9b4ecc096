import type { Context, MiddlewareHandler } from "hono";

/**
 * The `Content-Security-Policy` of HTML answers: scripts only from the worker itself (and the
 * inline bootstrap carrying `nonce`), no plugins, no framing, no base or form targets elsewhere.
 * Styles allow `'unsafe-inline'` because the docs page's renderer injects its styles at run time.
 *
 * @example
 * ```ts
 * import { contentSecurityPolicy } from "@edge-async/http";
 * console.assert(contentSecurityPolicy("abc").includes("'nonce-abc'"));
 * ```
 */
export function contentSecurityPolicy(nonce?: string): string {
  return [
    "default-src 'self'",
    nonce === undefined ? "script-src 'self'" : `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * The CSP nonce of this request for an inline `<script nonce>`, made on first use (so answers
 * that need none pay nothing); `undefined` when {@link securityHeaders} is not installed.
 *
 * @example
 * ```ts
 * import { cspNonce } from "@edge-async/http";
 * const nonce = cspNonce(c); // e.g. "dGhpcyBpcyAxNiBieXRlcw"
 * ```
 */
export function cspNonce(c: Context): string | undefined {
  const make = c.get("cspNonce" as never) as (() => string) | undefined;
  return make?.();
}

/**
 * Middleware for every answer: `X-Content-Type-Options: nosniff` and `Referrer-Policy:
 * no-referrer`; on `text/html` answers also {@link contentSecurityPolicy} with the request's
 * nonce when a page used one (see {@link cspNonce}). Register it first, so it also covers errors
 * and answers other middleware make.
 *
 * @example
 * ```ts
 * import { createApi, securityHeaders } from "@edge-async/http";
 * const app = createApi();
 * app.use(securityHeaders());
 * ```
 */
export function securityHeaders(): MiddlewareHandler<{ Variables: { cspNonce: () => string } }> {
  return async (c, next) => {
    let nonce: string | undefined;
    c.set("cspNonce", () => {
      nonce ??= btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16)))).replace(
        /=+$/,
        "",
      );
      return nonce;
    });
    await next();
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    if ((c.res.headers.get("content-type") ?? "").toLowerCase().startsWith("text/html")) {
      c.header("content-security-policy", contentSecurityPolicy(nonce));
    }
  };
}
