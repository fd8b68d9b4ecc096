/**
 * The session cookie: the signed-in API key and the scopes the workers granted it, sealed with
 * AES-GCM under CONSOLE_SESSION_SECRET, so the browser holds only ciphertext it cannot read or
 * forge, and no page script can read it at all (HttpOnly).
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

/** The cookie's name. */
export const SESSION_COOKIE = "console_session";
/**
 * A session lasts 2 hours, then signing in again is needed. The cookie is stateless, so signing
 * out cannot revoke a copy of it: the short life bounds how long such a copy works.
 */
export const SESSION_TTL_SECONDS = 2 * 60 * 60;
/** The secret `pnpm dev` seals with; refused outside ENVIRONMENT=development. */
export const DEV_SESSION_SECRET = "console-dev-session-secret-never-deploy";

/** What the console may offer: one flag per scope the workers were asked about. */
export interface Scopes {
  jobsRead: boolean;
  aggregate: boolean;
}

/** A signed-in session: the key, its scopes, and when it ends (epoch ms). */
export interface Session {
  key: string;
  scopes: Scopes;
  expiresAt: number;
}

/** The session secret, or undefined when none is configured for this environment. */
export function sessionSecret(env: Cloudflare.Env): string | undefined {
  const secret = env.CONSOLE_SESSION_SECRET;
  if (secret !== undefined && secret !== "") return secret;
  return env.ENVIRONMENT === "development" ? DEV_SESSION_SECRET : undefined;
}

async function aesKey(secret: string): Promise<CryptoKey> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return crypto.subtle.importKey("raw", digest, "AES-GCM", false, ["encrypt", "decrypt"]);
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Undefined for anything a browser or a user could put in the cookie that is not base64url. */
function fromBase64Url(text: string): Uint8Array | undefined {
  // A length of 1 mod 4 encodes no whole byte: atob throws on it, so refuse it here.
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Seals a session: base64url(12-byte IV ‖ AES-GCM ciphertext of its JSON). */
export async function seal(session: Session, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(session));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await aesKey(secret), plain);
  const out = new Uint8Array(12 + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), 12);
  return toBase64Url(out);
}

/** Opens a sealed session; undefined when it was tampered with, sealed elsewhere or expired. */
export async function unseal(
  value: string,
  secret: string,
  now = Date.now(),
): Promise<Session | undefined> {
  const bytes = fromBase64Url(value);
  if (bytes === undefined || bytes.length < 13 + 16) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.slice(0, 12) },
      await aesKey(secret),
      bytes.slice(12),
    );
    const session = JSON.parse(new TextDecoder().decode(plain)) as Session;
    return typeof session.key === "string" && session.expiresAt > now ? session : undefined;
  } catch {
    return undefined;
  }
}

/** Sets the session cookie: HttpOnly, Secure, SameSite=Strict, Path=/. */
export async function startSession(c: Context, session: Session, secret: string): Promise<void> {
  setCookie(c, SESSION_COOKIE, await seal(session, secret), {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: "/",
    maxAge: SESSION_TTL_SECONDS,
  });
}

/** Clears the session cookie. */
export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
}

/** The request's session, if its cookie opens under the secret. */
export async function readSession(c: Context, secret: string): Promise<Session | undefined> {
  const value = getCookie(c, SESSION_COOKIE);
  return value === undefined ? undefined : unseal(value, secret);
}
