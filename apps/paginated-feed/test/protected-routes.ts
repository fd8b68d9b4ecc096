import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type AccessRule, expandScopes, type Scope } from "@edge-async/http";
import app from "../src/index.ts";
import { BASE } from "./helpers.ts";
import { bearer, TEST_KEYS, type TestKeyName } from "./keys.ts";

/** A route whose declaration needs a scope (always, or once its `publicUnless` var is "true"). */
export interface ProtectedRoute {
  /** As the contract test names routes, e.g. `GET /v1/items/:id`. */
  route: string;
  method: string;
  /** A concrete path: every parameter `1`. */
  path: string;
  rule: Exclude<AccessRule, "public">;
}

/** Every protected route, read from the app's declarations (the OpenAPI registry), not a list. */
export function protectedRoutes(): ProtectedRoute[] {
  return app.openAPIRegistry.definitions.flatMap((definition) => {
    if (definition.type !== "route") return [];
    const declared = definition.route as unknown as {
      method: string;
      path: string;
      "x-access"?: AccessRule;
    };
    const rule = declared["x-access"];
    if (rule === undefined || rule === "public") return [];
    const method = declared.method.toUpperCase();
    return [
      {
        route: `${method} ${declared.path.replaceAll(/\{([^}]+)\}/g, ":$1")}`,
        method,
        path: declared.path.replaceAll(/\{[^}]+\}/g, "1"),
        rule,
      },
    ];
  });
}

export interface CallOptions {
  /** The test key to send; none when absent. */
  key?: TestKeyName;
  /** Bindings and vars over the test environment. */
  env?: Partial<Cloudflare.Env>;
  headers?: Record<string, string>;
}

/**
 * Calls `route` with its rule in force: a `publicUnless` route is made private (its var "true"),
 * so every protected route checks credentials.
 */
export async function callProtected(
  route: ProtectedRoute,
  options: CallOptions = {},
): Promise<Response> {
  const headers = { ...(options.key === undefined ? {} : bearer(options.key)), ...options.headers };
  const privately =
    route.rule.publicUnless === undefined ? {} : { [route.rule.publicUnless]: "true" };
  return app.fetch(
    new Request(new URL(route.path, BASE), { method: route.method, headers }),
    { ...env, ...privately, ...options.env },
    createExecutionContext(),
  );
}

/**
 * A test key whose scopes (with their implications) grant `scope`, and one with feed scopes that
 * do not, so a 403 shows the scope is checked, not merely that the key is the feed's.
 */
export function keysFor(scope: Scope): { granted: TestKeyName; refused: TestKeyName } {
  const names = Object.keys(TEST_KEYS) as TestKeyName[];
  const grants = (name: TestKeyName) => expandScopes(TEST_KEYS[name].scopes).includes(scope);
  const granted = names.find(grants);
  const refused = names.find((name) => name !== "outsider" && !grants(name));
  if (granted === undefined || refused === undefined) throw new Error(`no test keys for ${scope}`);
  return { granted, refused };
}
