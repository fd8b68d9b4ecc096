import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, SCREENSHOTS } from "../src/browser.ts";
import type { WorkerName } from "../src/stack.ts";

const API_WORKERS: WorkerName[] = ["paginated-feed", "queue-worker", "fetch-aggregator"];
const urls = inject("urls");

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

interface OpenApi {
  paths: Record<string, Record<string, { summary?: string }>>;
}

describe("each worker's docs page, in Chromium", () => {
  it.each(API_WORKERS)("%s lists every route of its OpenAPI document, offline", async (name) => {
    const base = urls[name];
    const spec = (await (await fetch(new URL("/openapi.json", base))).json()) as OpenApi;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const offHost: string[] = [];
    // Anything not served by the worker itself is refused and remembered: the page must not need it.
    await page.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.origin === new URL(base).origin) return route.continue();
      offHost.push(url.href);
      return route.abort();
    });
    await page.goto(new URL("/docs", base).href, { waitUntil: "load" });
    const summaries = Object.values(spec.paths).flatMap((operations) =>
      Object.values(operations).map((operation) => operation.summary ?? ""),
    );
    expect(summaries.length).toBeGreaterThan(4);
    expect(summaries.every((summary) => summary !== "")).toBe(true);
    // Scalar renders the document client-side; wait until the last operation is on the page.
    await page
      .getByText(summaries.at(-1) as string)
      .first()
      .waitFor({ timeout: 30_000 });
    const text = await page.locator("body").innerText();
    for (const summary of summaries) expect(text).toContain(summary);
    await page.screenshot({ path: join(SCREENSHOTS, `docs-${name}.png`), fullPage: false });
    expect(offHost).toEqual([]);
    await page.close();
  });
});
