import { describe, expect, inject, it } from "vitest";
import { WORKERS } from "../src/stack.ts";

const urls = inject("urls");

describe("the stack", () => {
  it.each(WORKERS)("%s answers /healthz", async (name) => {
    const response = await fetch(new URL("/healthz", urls[name]));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
