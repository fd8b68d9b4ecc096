import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import {
  ConfigError,
  createApi,
  createJwtVerifier,
  type JwtSettings,
  jsonResponse,
  parseJwtSettings,
  secureRoute,
} from "../src/index.ts";

const ISSUER = "https://issuer.example.com";
const AUDIENCE = "edge-async-tests";
type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let signing: Keys;
let stranger: Keys;
let jwks: { keys: object[] };

beforeAll(async () => {
  signing = await generateKeyPair("ES256", { extractable: true });
  stranger = await generateKeyPair("ES256", { extractable: true });
  jwks = {
    keys: [{ ...(await exportJWK(signing.publicKey)), kid: "k1", alg: "ES256", use: "sig" }],
  };
});

const now = () => Math.floor(Date.now() / 1000);

async function token(
  claims: JWTPayload = {},
  options: { key?: Keys; kid?: string } = {},
): Promise<string> {
  return new SignJWT({ sub: "user-1", scope: "jobs:read openid", name: "Ada", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: options.kid ?? "k1" })
    .setIssuer(typeof claims.iss === "string" ? claims.iss : ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(typeof claims.exp === "number" ? claims.exp : now() + 300)
    .sign((options.key ?? signing).privateKey);
}

function app() {
  return createApi().openapi(
    secureRoute({
      access: { scope: "jobs:read" },
      method: "get",
      path: "/v1/jobs",
      responses: {
        200: jsonResponse(z.object({ id: z.string(), scopes: z.array(z.string()) }), "Who called"),
      },
    }),
    (c) => c.json({ id: c.var.principal.id, scopes: [...c.var.principal.scopes] }, 200),
  );
}

const env = () => ({
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: `other, ${AUDIENCE}`,
  JWT_JWKS: JSON.stringify(jwks),
});

async function call(headers: Record<string, string>) {
  return app().request("/v1/jobs", { headers }, env());
}

describe("JWTs from a local JWKS", () => {
  it("are accepted with Authorization: Bearer and with Cf-Access-Jwt-Assertion; the principal is jwt:<sub>", async () => {
    const sent: Record<string, string>[] = [
      { authorization: `Bearer ${await token()}` },
      { "cf-access-jwt-assertion": await token() },
    ];
    for (const headers of sent) {
      const response = await call(headers);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id: "jwt:user-1", scopes: ["jobs:read"] });
      expect(response.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("read scopes from an array claim too, and answer 403 for a token without the scope", async () => {
    const arrayScopes = await call({
      authorization: `Bearer ${await token({ scope: ["jobs:admin"] })}`,
    });
    expect(((await arrayScopes.json()) as { scopes: string[] }).scopes).toEqual([
      "jobs:admin",
      "jobs:read",
      "jobs:write",
    ]);
    const none = await call({ authorization: `Bearer ${await token({ scope: "feed:read" })}` });
    expect(none.status).toBe(403);
  });

  it.each([
    ["expired", { exp: now() - 3600 }, {}, "expired"],
    ["not yet valid", { nbf: now() + 3600 }, {}, "not valid yet"],
    ["for another audience", { aud: "someone-else" }, {}, "another audience"],
    ["from another issuer", { iss: "https://evil.example.com" }, {}, "another issuer"],
    ["signed by another key under a known kid", {}, { key: "stranger" }, "signature"],
    ["signed by an unknown kid", {}, { kid: "k9" }, "unknown key"],
    ["without a subject", { sub: undefined }, {}, "no subject"],
  ] as const)("are refused 401 invalid_token when %s", async (_case, claims, options, reason) => {
    const signed = await token(claims as JWTPayload, {
      ...("kid" in options ? { kid: options.kid } : {}),
      ...("key" in options ? { key: stranger } : {}),
    });
    const response = await call({ authorization: `Bearer ${signed}` });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("www-authenticate")).toMatch(
      /^Bearer realm="localhost", error="invalid_token"/,
    );
    expect(((await response.json()) as { detail: string }).detail).toContain(reason);
  });

  it("refuses an HS256 token signed with a public key's bytes, and a token with no signature", async () => {
    const secret = new TextEncoder().encode(JSON.stringify(jwks));
    const hs = await new SignJWT({ sub: "x", scope: "jobs:read" })
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(now() + 60)
      .sign(secret);
    expect((await call({ authorization: `Bearer ${hs}` })).status).toBe(401);
    const [header, payload] = (await token()).split(".");
    expect((await call({ authorization: `Bearer ${header}.${payload}.` })).status).toBe(401);
  });

  it("are refused when the worker has no issuer configured, like any unknown token", async () => {
    const response = await app().request(
      "/v1/jobs",
      { headers: { authorization: `Bearer ${await token()}` } },
      { API_KEYS: "[]" },
    );
    expect(response.status).toBe(401);
  });
});

describe("a remote JWKS", () => {
  const settings = (): JwtSettings => ({
    issuer: ISSUER,
    audience: [AUDIENCE],
    jwksUrl: `${ISSUER}/jwks.json`,
    scopeClaim: "scope",
    clockToleranceSeconds: 30,
  });

  it("is fetched with the given fetch and verifies tokens", async () => {
    const fetched: string[] = [];
    const verifier = createJwtVerifier(settings(), {
      fetch: async (url) => {
        fetched.push(String(url));
        return Response.json(jwks);
      },
    });
    const outcome = await verifier.verify(await token());
    expect(outcome).toEqual({
      principal: { id: "jwt:user-1", name: "Ada", scopes: ["jobs:read"], kind: "jwt" },
    });
    await verifier.verify(await token());
    expect(fetched).toEqual([`${ISSUER}/jwks.json`]);
  });

  it("that cannot be loaded answers 503 with Retry-After, not 401", async () => {
    const verifier = createJwtVerifier(settings(), {
      fetch: async () => new Response("down", { status: 502 }),
    });
    const problem = await verifier.verify(await token()).catch((error: unknown) => error);
    expect(problem).toMatchObject({ status: 503, headers: { "retry-after": "5" } });
  });

  it("honours an aborted signal", async () => {
    const verifier = createJwtVerifier(settings(), {
      fetch: () => new Promise<Response>(() => {}),
    });
    const controller = new AbortController();
    const pending = verifier.verify(await token(), controller.signal);
    controller.abort(new Error("client went away"));
    await expect(pending).rejects.toThrow("client went away");
  });
});

describe("JWT settings", () => {
  it("are off without JWT_ISSUER and default Cloudflare Access's JWKS URL", () => {
    expect(parseJwtSettings({})).toBeUndefined();
    expect(
      parseJwtSettings({ JWT_ISSUER: "https://team.cloudflareaccess.com", JWT_AUDIENCE: "tag" }),
    ).toEqual({
      issuer: "https://team.cloudflareaccess.com",
      audience: ["tag"],
      jwksUrl: "https://team.cloudflareaccess.com/cdn-cgi/access/certs",
      scopeClaim: "scope",
      clockToleranceSeconds: 30,
    });
  });

  it.each([
    [{ JWT_ISSUER: ISSUER }, "JWT_AUDIENCE"],
    [{ JWT_ISSUER: ISSUER, JWT_AUDIENCE: "a" }, "JWT_JWKS_URL"],
    [{ JWT_ISSUER: "http://issuer.example.com", JWT_AUDIENCE: "a" }, "JWT_ISSUER"],
    [{ JWT_ISSUER: ISSUER, JWT_AUDIENCE: "a", JWT_JWKS: "{not json" }, "JWT_JWKS"],
    [{ JWT_ISSUER: ISSUER, JWT_AUDIENCE: "a", JWT_JWKS_URL: "ftp://x" }, "JWT_JWKS_URL"],
  ])("name the variable that is wrong: %j", (env, setting) => {
    expect(() => parseJwtSettings(env)).toThrow(ConfigError);
    try {
      parseJwtSettings(env);
    } catch (error) {
      expect((error as ConfigError).setting).toBe(setting);
    }
  });

  it("wrong settings answer protected routes 503 not-configured", async () => {
    const response = await app().request(
      "/v1/jobs",
      { headers: { authorization: `Bearer ${await token()}` } },
      { JWT_ISSUER: ISSUER },
    );
    expect(response.status).toBe(503);
    expect(((await response.json()) as { setting: string }).setting).toBe("JWT_AUDIENCE");
  });
});
