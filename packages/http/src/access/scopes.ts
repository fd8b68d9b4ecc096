import { HttpProblem } from "../problem.ts";

/**
 * Every scope an API key or JWT can grant, one per route class: reading and writing the feed,
 * reading and writing jobs, fan-out through the aggregator, and one admin scope per area.
 *
 * @example
 * ```ts
 * import { SCOPES } from "@edge-async/http";
 * console.assert(SCOPES.includes("jobs:write"));
 * ```
 */
export const SCOPES = [
  "feed:read",
  "feed:write",
  "feed:admin",
  "jobs:read",
  "jobs:write",
  "jobs:admin",
  "aggregate",
] as const;

/** One of {@link SCOPES}, e.g. `"feed:write"`. */
export type Scope = (typeof SCOPES)[number];

/**
 * What each admin scope brings with it: `feed:admin` is `feed:read` and `feed:write` plus the
 * right to overwrite items other keys created; `jobs:admin` is `jobs:read` and `jobs:write` plus
 * the admin routes. No other scope implies another: a write key cannot read a private feed, so a
 * CI ingest key leaks nothing if it leaks.
 *
 * @example
 * ```ts
 * import { SCOPE_IMPLICATIONS } from "@edge-async/http";
 * console.assert(SCOPE_IMPLICATIONS["jobs:admin"].includes("jobs:read"));
 * ```
 */
export const SCOPE_IMPLICATIONS: Readonly<Record<Scope, readonly Scope[]>> = {
  "feed:read": [],
  "feed:write": [],
  "feed:admin": ["feed:read", "feed:write"],
  "jobs:read": [],
  "jobs:write": [],
  "jobs:admin": ["jobs:read", "jobs:write"],
  aggregate: [],
};

/**
 * Who is calling, once authenticated: `id` is the API key's id (`ci`, `dev`) or `jwt:<sub>` for a
 * JWT; `scopes` are the granted scopes with their implications added, sorted.
 */
export interface Principal {
  /** The key id, or `jwt:<sub>`: stable, safe to store as an owner and to log. */
  id: string;
  /** The key's name or the token's `name`/`email` claim, for people reading logs. */
  name: string;
  /** Granted scopes with {@link SCOPE_IMPLICATIONS} applied. */
  scopes: readonly Scope[];
  /** How the caller authenticated. */
  kind: "api-key" | "jwt";
}

/**
 * The scopes `granted` amounts to: each one plus what it implies, unique and sorted. Names that
 * are not scopes (an identity provider's `openid`, say) are dropped.
 *
 * @example
 * ```ts
 * import { expandScopes } from "@edge-async/http";
 * console.assert(expandScopes(["jobs:admin", "openid"]).join() === "jobs:admin,jobs:read,jobs:write");
 * ```
 */
export function expandScopes(granted: Iterable<string>): Scope[] {
  const known = new Set<string>(SCOPES);
  const result = new Set<Scope>();
  for (const name of granted) {
    if (!known.has(name)) continue;
    result.add(name as Scope);
    for (const implied of SCOPE_IMPLICATIONS[name as Scope]) result.add(implied);
  }
  return [...result].sort();
}

/**
 * Whether `principal` holds `scope` (directly or through an admin scope).
 *
 * @example
 * ```ts
 * import { hasScope } from "@edge-async/http";
 * const ci = { id: "ci", name: "CI", kind: "api-key" as const, scopes: ["feed:write" as const] };
 * console.assert(hasScope(ci, "feed:write") && !hasScope(ci, "feed:read"));
 * ```
 */
export function hasScope(principal: Principal | undefined, scope: Scope): boolean {
  return principal?.scopes.includes(scope) ?? false;
}

/**
 * Refuses (403 problem+json of type `not-owner`, naming the field) a write to a record another
 * principal created, unless the caller holds `adminScope`. The problem names the owner field,
 * never the owner, so a caller learns nothing about other keys.
 *
 * @param ownerId the stored owner (a {@link Principal} id); `undefined` when the record is new
 * @param options `pointer` is the JSON pointer of the field that identifies the record
 * @throws {HttpProblem} 403 when the caller may not overwrite the record
 * @example
 * ```ts
 * import { assertMayOverwrite } from "@edge-async/http";
 * const caller = { id: "ci", name: "CI", kind: "api-key" as const, scopes: ["feed:write" as const] };
 * assertMayOverwrite(caller, "ci", { pointer: "/items/0/externalKey", adminScope: "feed:admin" }); // passes
 * ```
 */
export function assertMayOverwrite(
  caller: Principal,
  ownerId: string | undefined,
  options: { pointer: string; adminScope: Scope },
): void {
  if (ownerId === undefined || ownerId === caller.id || hasScope(caller, options.adminScope)) {
    return;
  }
  throw new HttpProblem(403, "not-owner", "Forbidden", {
    detail: `The record at ${options.pointer} was created by another API key; only it or a key with ${options.adminScope} may overwrite it.`,
    errors: [{ pointer: options.pointer, detail: "belongs to another API key" }],
  });
}
