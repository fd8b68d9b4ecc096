import { describe, expect, it } from "vitest";
import { ROUTE_ACCESS } from "../src/access.ts";
import app from "../src/index.tsx";
import { BASE, grantingWorkers, send } from "./helpers.ts";

// Every route of the console declares who may reach it: a route added without route() (so
// without a rule) fails here, and each "session" route really refuses a caller without one.
describe("each route's access rule", () => {
  const declared = new Set(ROUTE_ACCESS.map((entry) => `${entry.method} ${entry.path}`));
  const routed = app.routes
    .filter((entry) => entry.method !== "ALL")
    .map((entry) => `${entry.method} ${entry.path}`);

  it("is declared for every routed method and path", () => {
    expect(routed.length).toBeGreaterThan(3);
    expect(routed.filter((entry) => !declared.has(entry))).toEqual([]);
  });

  it("only sign-in, sign-out and health are public", () => {
    const open = ROUTE_ACCESS.filter((entry) => entry.access === "public").map(
      (entry) => `${entry.method} ${entry.path}`,
    );
    expect(open.sort()).toEqual(["GET /healthz", "GET /signin", "POST /signin", "POST /signout"]);
  });

  it.each(ROUTE_ACCESS.filter((entry) => entry.access === "session"))(
    "$method $path needs a session",
    async ({ method, path }) => {
      const concrete = path.replace(/:[a-zA-Z]+/g, "x");
      const response = await send(
        concrete,
        {
          method,
          headers: { origin: BASE, "hx-request": "true" },
          ...(method === "POST" ? { body: new URLSearchParams() } : {}),
        },
        grantingWorkers(),
      );
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    },
  );
});
