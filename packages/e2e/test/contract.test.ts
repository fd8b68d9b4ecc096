import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, inject, it } from "vitest";
import type { WorkerName } from "../src/stack.ts";

const API_WORKERS: WorkerName[] = ["paginated-feed", "queue-worker", "fetch-aggregator"];
const urls = inject("urls");

describe("each worker's OpenAPI document", () => {
  it.each(API_WORKERS)("%s serves a valid OpenAPI 3.1 document", async (name) => {
    const response = await fetch(new URL("/openapi.json", urls[name]));
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; info: { title: string } };
    expect(document.openapi).toBe("3.1.0");
    expect(document.info.title).toBe(name);
    // Throws, naming the first fault, for a document that breaks the OpenAPI 3.1 schema or
    // holds a $ref that resolves nowhere.
    await SwaggerParser.validate(structuredClone(document) as never);
  });

  it.each(API_WORKERS)("%s answers GET / with its index", async (name) => {
    const index = (await (await fetch(new URL("/", urls[name]))).json()) as {
      name: string;
      links: Record<string, string>;
    };
    expect(index.name).toBe(name);
    expect(index.links).toEqual({ docs: "/docs", openapi: "/openapi.json", health: "/healthz" });
  });
});
