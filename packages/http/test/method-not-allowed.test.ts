import { createRoute } from "@hono/zod-openapi";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { allowedMethods, createApi, createWorkerApi, jsonResponse } from "../src/index.ts";

// The 405's Allow (and a preflight's) must list what the router really serves at a path, which
// Hono matches after percent-decoding it: /v1/jobs/%72etry is /v1/jobs/retry.

const served = z.object({ route: z.string() });
// The shape of queue-worker's jobs: a fixed /retry beside /{id} that excludes it.
const ID_PATH = "/{id{(?!(?:retry|batch)$)[^/]+}}";

function route(method: "get" | "post" | "delete", path: string, name: string) {
  return [
    createRoute({ method, path, responses: { 200: jsonResponse(served, name) } }),
    // biome-ignore lint/suspicious/noExplicitAny: every handler answers the same shape.
    (c: any) => c.json({ route: `${method.toUpperCase()} ${name}` }, 200),
  ] as const;
}

function jobsApp() {
  const jobs = createApi()
    .openapi(...route("get", "/", "list"))
    .openapi(...route("post", "/", "create"))
    .openapi(...route("post", "/retry", "retry"))
    .openapi(...route("get", ID_PATH, "job"))
    .openapi(...route("delete", ID_PATH, "job"));
  type App = { Bindings: object; Variables: { config: object } };
  return createWorkerApi<App>(() => ({})).route("/v1/jobs", jobs);
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"];

async function answer(path: string, method: string) {
  const response = await jobsApp().request(path, { method }, {});
  return { status: response.status, allow: response.headers.get("allow") };
}

describe("405 and Allow on a percent-encoded path", () => {
  it("lists the methods the decoded path's routes serve", async () => {
    for (const [path, allow] of [
      ["/v1/jobs/%72etry", "POST"],
      ["/v1/jobs/%52etry", "DELETE, GET, HEAD"], // "Retry" is an id: the exclusion is exact
      ["/v1/%6aobs", "GET, HEAD, POST"],
      ["/v1/%6Aobs", "GET, HEAD, POST"],
      ["/v1/jobs/a%2Fb", "DELETE, GET, HEAD"], // Hono leaves %2F encoded: one segment
      ["/v1/jobs/%25%37%32etry", "DELETE, GET, HEAD"], // %25 stays a literal "%": not retry
    ] as const) {
      const put = await answer(path, "PUT");
      expect(put.status, path).toBe(405);
      expect(put.allow, path).toBe(allow);
    }
    // Routed, /v1/jobs/batch has no route at all here: every method answers 404.
    for (const method of METHODS) {
      expect((await answer("/%76%31/jobs/%62atch", method)).status, method).toBe(404);
    }
  });

  it("serves GET on the route the router picks, rather than a 404 from the 405 logic", async () => {
    const get = await jobsApp().request("/v1/jobs/%72etry", {}, {});
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const post = await jobsApp().request("/v1/jobs/%72etry", { method: "POST" }, {});
    expect(await post.json()).toEqual({ route: "POST retry" });
    const list = await jobsApp().request("/v1/%6aobs", {}, {});
    expect(await list.json()).toEqual({ route: "GET list" });
  });

  it("answers a preflight OPTIONS with the same Allow", async () => {
    const response = await jobsApp().request("/v1/jobs/%72etry", { method: "OPTIONS" }, {});
    expect(response.status).toBe(204);
    expect(response.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("takes the path as the router matches it", () => {
    const app = jobsApp();
    expect(allowedMethods(app, "/v1/jobs/retry")).toEqual(["POST"]);
    expect(allowedMethods(app, "/v1/jobs/42")).toEqual(["DELETE", "GET", "HEAD"]);
  });

  it("names exactly the methods that get past routing, for any spelling of a path", async () => {
    const known = ["v1", "jobs", "retry"];
    const paths = fc.oneof(
      fc.constantFrom(known.slice(0, 2), known, [...known, "x"], ["v1", "retry"]),
      fc.constantFrom("Retry", "batch", "42", "é", "%", "").map((last) => ["v1", "jobs", last]),
    );
    const spelt = (text: string) =>
      fc
        .array(fc.constantFrom("plain", "upper", "lower"), {
          minLength: text.length,
          maxLength: text.length,
        })
        .map((choices) =>
          [...text]
            .map((char, index) => {
              const bytes = new TextEncoder().encode(char);
              // A bare "%" too, which Hono keeps as it is.
              if (choices[index] === "plain") return char === "%" ? "%" : encodeURIComponent(char);
              const hex = [...bytes].map((byte) => `%${byte.toString(16).padStart(2, "0")}`);
              return choices[index] === "upper" ? hex.join("").toUpperCase() : hex.join("");
            })
            .join(""),
        );
    const path = paths
      .chain((segments) => fc.tuple(...segments.map(spelt)))
      .map((segments) => `/${segments.join("/")}`);
    await fc.assert(
      fc.asyncProperty(path, async (p) => {
        const answers = await Promise.all(METHODS.map((method) => answer(p, method)));
        const served = METHODS.filter((_, index) => answers[index]?.status === 200);
        for (const [index, method] of METHODS.entries()) {
          const { status, allow } = answers[index] as { status: number; allow: string | null };
          if (status === 200) continue;
          if (served.length === 0) expect(status, `${method} ${p}`).toBe(404);
          else {
            expect(status, `${method} ${p}`).toBe(405);
            expect(allow, `${method} ${p}`).toBe(served.sort().join(", "));
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
