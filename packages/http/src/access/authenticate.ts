import type { Context } from "hono";
import { ConfigError, notConfigured } from "../config.ts";
import { HttpProblem } from "../problem.ts";
import { developmentKeyRing, type KeyRing, parseApiKeys, verifyApiKey } from "./api-keys.ts";
import { createJwtVerifier, type JwtEnv, type JwtVerifier, parseJwtSettings } from "./jwt.ts";
import type { Principal, Scope } from "./scopes.ts";

/**
 * The variables access control reads: `ENVIRONMENT` (`development` accepts `DEV_API_KEY`
 * when `API_KEYS` is unset), `API_KEYS` (a JSON array, see `apiKeysSchema`) and the `JWT_*`
 * variables of {@link JwtEnv}.
 */
export interface AccessEnv extends JwtEnv {
  ENVIRONMENT?: string;
  API_KEYS?: string;
}

/** What a worker accepts as credentials, parsed from {@link AccessEnv} once per isolate. */
export interface AccessSettings {
  /** API keys, from `API_KEYS` or, in development without it, the development key. */
  keys?: KeyRing;
  /** JWT verification, when `JWT_ISSUER` is set. */
  jwt?: JwtVerifier;
}

const settingsByEnv = new WeakMap<object, AccessSettings | ConfigError>();

/**
 * The credentials `env` accepts, parsed once per `env` object. Outside development with neither
 * `API_KEYS` nor `JWT_ISSUER`, protected routes stay closed: this throws 503 `not-configured`.
 *
 * @throws {HttpProblem} 503 `not-configured` naming the setting that is missing or wrong
 * @example
 * ```ts
 * import { accessSettings } from "@edge-async/http";
 * const settings = accessSettings({ ENVIRONMENT: "development" }); // the development key only
 * ```
 */
export function accessSettings(env: AccessEnv): AccessSettings {
  const entry = settingsEntry(env);
  if (entry instanceof ConfigError) {
    throw notConfigured(entry.setting, entry.message.slice(entry.setting.length + 1));
  }
  return entry;
}

function settingsEntry(env: AccessEnv): AccessSettings | ConfigError {
  let entry = settingsByEnv.get(env);
  if (entry === undefined) {
    try {
      entry = parseSettings(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      entry = error;
    }
    settingsByEnv.set(env, entry);
  }
  return entry;
}

/** Neither keys nor an issuer outside development: no credential can verify. */
class NoCredentialsAccepted extends ConfigError {}

function parseSettings(env: AccessEnv): AccessSettings {
  const settings: AccessSettings = {};
  const rawKeys = env.API_KEYS?.trim();
  if (rawKeys !== undefined && rawKeys !== "") settings.keys = parseApiKeys(rawKeys);
  else if (env.ENVIRONMENT === "development") settings.keys = developmentKeyRing();
  const jwt = parseJwtSettings(env);
  if (jwt !== undefined) settings.jwt = createJwtVerifier(jwt);
  if (settings.keys === undefined && settings.jwt === undefined) {
    throw new NoCredentialsAccepted(
      "API_KEYS",
      "is not set and no JWT issuer is configured, so protected routes stay closed; create a key with `pnpm keys create` and set it with `wrangler secret put API_KEYS`",
    );
  }
  return settings;
}

/** A bearer token sent, and where: `Authorization: Bearer` or Cloudflare Access's assertion. */
type Credential = { token: string; header: "authorization" | "cf-access-jwt-assertion" };

/** An `Authorization` header in a scheme other than Bearer (`Basic`, `Digest`, ...). */
type OtherScheme = { scheme: string };

// RFC 6750 §2.1 b64token.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

function readCredential(c: Context): Credential | OtherScheme | "malformed" | undefined {
  const authorization = c.req.header("authorization")?.trim();
  // The scheme ends at the first whitespace of any kind, so "Bearer<TAB>key" is Bearer's.
  const scheme = authorization?.split(/\s/, 1)[0] ?? "";
  if (authorization !== undefined && /^bearer$/i.test(scheme)) {
    // RFC 6750 §2.1: "Bearer" 1*SP b64token. A bare "Bearer" is a credential with no token.
    const token = /^ +(.*)$/s.exec(authorization.slice(scheme.length))?.[1];
    return token !== undefined && B64TOKEN.test(token)
      ? { token, header: "authorization" }
      : "malformed";
  }
  const assertion = c.req.header("cf-access-jwt-assertion")?.trim();
  if (assertion !== undefined && assertion !== "")
    return { token: assertion, header: "cf-access-jwt-assertion" };
  return scheme === "" ? undefined : { scheme };
}

/**
 * The caller of `c`, from `Authorization: Bearer <API key or JWT>` or `Cf-Access-Jwt-Assertion`.
 * A missing credential answers 401 with `WWW-Authenticate: Bearer realm="<host>"`; an unknown,
 * wrong, expired or malformed one 401 with `error="invalid_token"` (RFC 6750 §3.1). Unknown key
 * ids and wrong secrets get the same answer.
 *
 * @throws {HttpProblem} 401 as above, 503 when credentials cannot be checked
 * @example
 * ```ts
 * import { accessSettings, authenticate } from "@edge-async/http";
 * const principal = await authenticate(c, accessSettings(c.env));
 * ```
 */
export async function authenticate(c: Context, settings: AccessSettings): Promise<Principal> {
  const credential = readCredential(c);
  if (credential === undefined) throw unauthorized(c, undefined);
  if (credential === "malformed")
    throw unauthorized(c, "the Authorization header is not Bearer followed by spaces and a token");
  if ("scheme" in credential) throw unauthorized(c, undefined, credential.scheme);
  const { token, header } = credential;
  if (header === "authorization" && token.startsWith("ea_")) {
    const principal =
      settings.keys === undefined ? undefined : await verifyApiKey(settings.keys, token);
    if (principal === undefined) throw unauthorized(c, "the API key is not valid");
    return principal;
  }
  if (settings.jwt === undefined || token.split(".").length !== 3) {
    throw unauthorized(c, "the token is not an API key or a JWT this worker accepts");
  }
  const outcome = await settings.jwt.verify(token, c.req.raw.signal);
  if ("invalid" in outcome) throw unauthorized(c, outcome.invalid);
  return outcome.principal;
}

/**
 * For a route that is public at the moment but takes credentials: the caller of an
 * `Authorization: Bearer` credential, which must verify as {@link authenticate} checks it (401
 * otherwise, also when the worker accepts no credentials at all); `undefined` when none is sent.
 * Other schemes and `Cf-Access-Jwt-Assertion` are not read: Cloudflare Access adds the assertion
 * to requests itself, and a header in a scheme the worker never takes is not meant for it.
 *
 * @throws {HttpProblem} 401 for a bearer credential that does not verify, 503 `not-configured`
 *   when the credential settings do not parse
 * @example
 * ```ts
 * import { verifySentBearer } from "@edge-async/http";
 * const caller = await verifySentBearer(c, c.env); // Principal, or undefined when none was sent
 * ```
 */
export async function verifySentBearer(c: Context, env: AccessEnv): Promise<Principal | undefined> {
  const authorization = c.req.header("authorization")?.trim();
  if (authorization === undefined || !/^Bearer(?:\s|$)/i.test(authorization)) return undefined;
  const entry = settingsEntry(env);
  const settings = entry instanceof NoCredentialsAccepted ? {} : accessSettings(env);
  return authenticate(c, settings);
}

function realmOf(c: Context): string {
  return new URL(c.req.url).host.replaceAll(/["\\]/g, "");
}

/**
 * 401 with the Bearer challenge. Credentials in another scheme count as none (RFC 6750 §3.1: no
 * error code), but the detail says which scheme came and which one the route takes.
 */
function unauthorized(c: Context, invalid: string | undefined, otherScheme?: string): HttpProblem {
  const challenge =
    invalid === undefined
      ? `Bearer realm="${realmOf(c)}"`
      : `Bearer realm="${realmOf(c)}", error="invalid_token", error_description="${invalid}"`;
  return new HttpProblem(401, "unauthorized", "Unauthorized", {
    detail:
      invalid !== undefined
        ? `The credentials are not accepted: ${invalid}.`
        : otherScheme !== undefined
          ? `This route takes Authorization: Bearer <API key>; the Authorization header ${describeScheme(otherScheme)} (see WWW-Authenticate).`
          : "This route needs credentials: send Authorization: Bearer <API key>.",
    headers: { "www-authenticate": challenge, "cache-control": "no-store" },
  });
}

// IANA's HTTP Authentication Scheme Registry (RFC 9110 §16.4.1).
const REGISTERED_SCHEMES = [
  "Basic",
  "Bearer",
  "Concealed",
  "Digest",
  "DPoP",
  "GNAP",
  "HOBA",
  "Mutual",
  "Negotiate",
  "OAuth",
  "PrivateToken",
  "SCRAM-SHA-1",
  "SCRAM-SHA-256",
  "vapid",
];
// RFC 9110 §5.6.2 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * How a 401 names the scheme sent: by its registered name only. Anything else is described, not
 * quoted, since a client that sends its key without a scheme (or as the scheme) would see it
 * echoed in a body that logs and proxies keep.
 */
function describeScheme(scheme: string): string {
  const registered = REGISTERED_SCHEMES.find((name) => name.toLowerCase() === scheme.toLowerCase());
  if (registered !== undefined) return `uses the ${registered} scheme`;
  return TOKEN.test(scheme)
    ? "uses a scheme this worker does not take"
    : "does not start with an authentication scheme";
}

/**
 * 403 problem+json of type `insufficient-scope` naming the scope the route needs, with the
 * RFC 6750 challenge `error="insufficient_scope"`.
 *
 * @example
 * ```ts
 * import { insufficientScope } from "@edge-async/http";
 * throw insufficientScope(c, "jobs:write");
 * ```
 */
export function insufficientScope(c: Context, scope: Scope): HttpProblem {
  return new HttpProblem(403, "insufficient-scope", "Forbidden", {
    detail: `This route needs the scope ${scope}, which these credentials do not grant.`,
    scope,
    headers: {
      "www-authenticate": `Bearer realm="${realmOf(c)}", error="insufficient_scope", scope="${scope}"`,
      "cache-control": "no-store",
    },
  });
}
