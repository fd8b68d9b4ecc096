import { expectProblem } from "@edge-async/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { api, bearer, ingest, json, makeItem, resetItems } from "./helpers.ts";

// The routes that read no query parameter refuse any sent, as the listing refuses the ones it
// does not read: a typo, a parameter given twice or one with an empty name never passes.

const T0 = Date.UTC(2026, 0, 1);

async function expectRefused(response: Response, parameter: string) {
  expect(response.status).toBe(400);
  await expectProblem(response.clone());
  const problem = (await response.json()) as { errors?: { parameter?: string }[] };
  expect(problem.errors?.map((error) => error.parameter)).toContain(parameter);
}

beforeEach(resetItems);

describe("routes that read no query parameter", () => {
  it.each([
    ["?foo=1", "foo"],
    ["?a=1&a=2", "a"],
    ["?=x", ""],
  ])("GET and HEAD /v1/items/{id}%s are a 400 naming it", async (query, parameter) => {
    const [stored] = await ingest([makeItem(T0)]);
    await expectRefused(await api(`/v1/items/${stored!.id}${query}`), parameter);
    const head = await api(`/v1/items/${stored!.id}${query}`, { method: "HEAD" });
    expect(head.status).toBe(400);
  });

  it("POST /v1/items?=x is a 400 and stores nothing", async () => {
    const response = await api("/v1/items?=x", {
      method: "POST",
      headers: { ...bearer("writer"), "content-type": "application/json" },
      body: JSON.stringify({ items: [makeItem(T0)] }),
    });
    await expectRefused(response, "");
    const page = await json<{ items: unknown[] }>(await api("/v1/items"));
    expect(page.items).toHaveLength(0);
  });

  it("DELETE /v1/items/{id}?foo=1 is a 400 and deletes nothing", async () => {
    const [stored] = await ingest([makeItem(T0)]);
    const response = await api(`/v1/items/${stored!.id}?foo=1`, {
      method: "DELETE",
      headers: bearer("writer"),
    });
    await expectRefused(response, "foo");
    expect((await api(`/v1/items/${stored!.id}`)).status).toBe(200);
  });
});
