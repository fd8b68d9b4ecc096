import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, WORKERS } from "../src/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe("the stack", () => {
  it.each(WORKERS)("%s answers /healthz", async (name) => {
    const response = await fetch(new URL("/healthz", stack.urls[name]));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
