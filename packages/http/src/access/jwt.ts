import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { ConfigError } from "../config.ts";
import { HttpProblem } from "../problem.ts";
import { expandScopes, type Principal } from "./scopes.ts";

/** The variables a worker reads to accept JWTs; unset `JWT_ISSUER` means JWTs are not accepted. */
export interface JwtEnv {
  /** The `iss` tokens must carry, e.g. `https://team.cloudflareaccess.com`. */
  JWT_ISSUER?: string;
  /** The `aud` tokens must carry (Cloudflare Access: the application's AUD tag); commas separate several. */
  JWT_AUDIENCE?: string;
  /** Where the issuer publishes its keys; defaults to `<issuer>/cdn-cgi/access/certs` for Cloudflare Access. */
  JWT_JWKS_URL?: string;
  /** The keys inline, as a JWKS JSON document, instead of a URL. */
  JWT_JWKS?: string;
  /** The claim holding scopes: a space-separated string or an array of strings; default `scope`. */
  JWT_SCOPE_CLAIM?: string;
}

/** How JWTs are verified, as {@link parseJwtSettings} reads it from {@link JwtEnv}. */
export interface JwtSettings {
  issuer: string;
  audience: string[];
  /** Exactly one of `jwksUrl` and `jwks`. */
  jwksUrl?: string;
  jwks?: JSONWebKeySet;
  scopeClaim: string;
  /** Seconds of clock skew allowed on `exp` and `nbf`. */
  clockToleranceSeconds: number;
}

// Asymmetric algorithms only: a JWKS never holds the shared secret an HS256 token would need.
const ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "EdDSA",
  "Ed25519",
];

/**
 * The JWT settings of `env`, or `undefined` when `JWT_ISSUER` is unset (JWTs are then refused
 * like any unknown token). Cloudflare Access issuers (`*.cloudflareaccess.com`) need no JWKS
 * setting: their keys live at `/cdn-cgi/access/certs`.
 *
 * @throws {ConfigError} naming the variable that is missing or malformed
 * @example
 * ```ts
 * import { parseJwtSettings } from "@edge-async/http";
 * const settings = parseJwtSettings({ JWT_ISSUER: "https://team.cloudflareaccess.com", JWT_AUDIENCE: "aud-tag" });
 * console.assert(settings?.jwksUrl === "https://team.cloudflareaccess.com/cdn-cgi/access/certs");
 * ```
 */
export function parseJwtSettings(env: JwtEnv): JwtSettings | undefined {
  const issuer = env.JWT_ISSUER?.trim();
  if (issuer === undefined || issuer === "") return undefined;
  const issuerUrl = parseHttpsUrl(issuer, "JWT_ISSUER");
  const audience = (env.JWT_AUDIENCE ?? "")
    .split(",")
    .map((value) => value.trim())
    .filter(Boolean);
  if (audience.length === 0)
    throw new ConfigError("JWT_AUDIENCE", "is not set; tokens for any audience would pass");
  const settings: JwtSettings = {
    issuer,
    audience,
    scopeClaim: env.JWT_SCOPE_CLAIM?.trim() || "scope",
    clockToleranceSeconds: 30,
  };
  if (env.JWT_JWKS !== undefined && env.JWT_JWKS.trim() !== "") {
    settings.jwks = parseInlineJwks(env.JWT_JWKS);
  } else if (env.JWT_JWKS_URL !== undefined && env.JWT_JWKS_URL.trim() !== "") {
    settings.jwksUrl = parseHttpsUrl(env.JWT_JWKS_URL.trim(), "JWT_JWKS_URL").href;
  } else if (issuerUrl.hostname.endsWith(".cloudflareaccess.com")) {
    settings.jwksUrl = new URL("/cdn-cgi/access/certs", issuerUrl).href;
  } else {
    throw new ConfigError(
      "JWT_JWKS_URL",
      "is not set (nor JWT_JWKS); the issuer's keys are unknown",
    );
  }
  return settings;
}

function parseHttpsUrl(value: string, setting: string): URL {
  const url = URL.parse(value);
  const local = url?.hostname === "localhost" || url?.hostname === "127.0.0.1";
  if (url === null || !(url.protocol === "https:" || (url.protocol === "http:" && local))) {
    throw new ConfigError(setting, "must be an https URL");
  }
  return url;
}

function parseInlineJwks(text: string): JSONWebKeySet {
  try {
    const jwks = JSON.parse(text) as JSONWebKeySet;
    if (Array.isArray(jwks?.keys) && jwks.keys.length > 0) return jwks;
  } catch {
    // Reported below without quoting the text.
  }
  throw new ConfigError("JWT_JWKS", 'must be a JWKS document: {"keys": [ ... ]}');
}

/** Verifies bearer JWTs: a principal for a valid token, a reason for one that is not. */
export interface JwtVerifier {
  verify(
    token: string,
    signal?: AbortSignal,
  ): Promise<{ principal: Principal } | { invalid: string }>;
}

const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/**
 * A verifier for `settings`: the signature against the issuer's JWKS (fetched with `fetch`,
 * cached per isolate by jose), then `iss`, `aud`, `exp` and `nbf`. The principal's id is
 * `jwt:<sub>` (Cloudflare Access service tokens: `jwt:<common_name>`), its scopes the known ones
 * in the scope claim.
 *
 * @param options.fetch the fetch that loads a remote JWKS (default: the global fetch)
 * @throws {HttpProblem} 503 `jwks-unavailable` from `verify` when the keys cannot be loaded
 * @example
 * ```ts
 * import { createJwtVerifier, parseJwtSettings } from "@edge-async/http";
 * const verifier = createJwtVerifier(parseJwtSettings(env)!);
 * const outcome = await verifier.verify(token, request.signal);
 * ```
 */
export function createJwtVerifier(
  settings: JwtSettings,
  options: { fetch?: typeof fetch } = {},
): JwtVerifier {
  const keys = keySet(settings, options.fetch);
  return {
    async verify(token, signal) {
      try {
        const { payload } = await abortable(
          jwtVerify(token, keys, {
            issuer: settings.issuer,
            audience: settings.audience,
            clockTolerance: settings.clockToleranceSeconds,
            algorithms: ALGORITHMS,
            requiredClaims: ["exp"],
          }),
          signal,
        );
        return principalOf(payload, settings.scopeClaim);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        return { invalid: invalidReason(error) };
      }
    },
  };
}

function keySet(settings: JwtSettings, fetchImpl: typeof fetch | undefined) {
  if (settings.jwks !== undefined) return createLocalJWKSet(settings.jwks);
  const url = settings.jwksUrl as string;
  if (fetchImpl !== undefined)
    return createRemoteJWKSet(new URL(url), { [customFetch]: fetchImpl });
  // One set per URL and isolate, so jose's key cache outlives the request.
  let set = remoteSets.get(url);
  if (set === undefined) {
    set = createRemoteJWKSet(new URL(url));
    remoteSets.set(url, set);
  }
  return set;
}

function principalOf(
  payload: JWTPayload,
  scopeClaim: string,
): { principal: Principal } | { invalid: string } {
  const subject = nonEmpty(payload.sub) ?? nonEmpty(payload.common_name);
  if (subject === undefined) return { invalid: "the token names no subject" };
  const claim = payload[scopeClaim];
  const granted =
    typeof claim === "string"
      ? claim.split(/\s+/)
      : Array.isArray(claim)
        ? claim.filter((value): value is string => typeof value === "string")
        : [];
  const name = nonEmpty(payload.name) ?? nonEmpty(payload.email) ?? subject;
  return { principal: { id: `jwt:${subject}`, name, scopes: expandScopes(granted), kind: "jwt" } };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Why a token is refused, in words safe to send back; throws when the keys could not be loaded. */
function invalidReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "the token is not valid yet";
    if (error.claim === "aud") return "the token is for another audience";
    if (error.claim === "iss") return "the token is from another issuer";
    return `the token's ${error.claim} claim is not acceptable`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "the token's signature does not verify";
  if (error instanceof errors.JWKSNoMatchingKey) return "the token is signed with an unknown key";
  if (
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return "the token is malformed or uses an algorithm this worker does not accept";
  }
  console.error("JWKS could not be loaded", error instanceof Error ? error.name : typeof error);
  throw new HttpProblem(503, "jwks-unavailable", "Service Unavailable", {
    detail: "The token issuer's signing keys could not be loaded; try again shortly.",
    headers: { "retry-after": "5" },
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
