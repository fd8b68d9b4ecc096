import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { launchBrowser, SCREENSHOTS } from "../src/browser.ts";
import { repoRoot } from "../src/stack.ts";

// The console in a real Chromium against the whole stack: every page is signed into with the
// development key, checked with axe-core, and saved as a screenshot.

const urls = inject("urls");
const base = urls.console;
const DEV_KEY = "ea_dev_local-development-only-never-deploy";
// axe-core is the console's dev dependency: injected from its node_modules, never fetched.
const axePath = createRequire(join(repoRoot, "apps/console/package.json")).resolve(
  "axe-core/axe.min.js",
);

let browser: Browser;
let context: BrowserContext;
let page: Page;
beforeAll(async () => {
  browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  // bypassCSP lets the test inject axe-core; the console's own pages need no inline script.
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  page = await context.newPage();
  // Anything not served by the console is refused: the pages must not need it.
  await page.route("**/*", (route) =>
    new URL(route.request().url()).origin === base ? route.continue() : route.abort(),
  );
});
afterEach(async () => {
  await context?.close();
});

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it stands. */
async function seriousViolations(): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (c: Document) => Promise<{ violations: unknown[] }> } }
    ).axe;
    return (await axe.run(document)).violations;
  });
  return (violations as AxeViolation[])
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
}

async function shoot(name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`) });
}

async function signIn(key = DEV_KEY) {
  await page.goto(`${base}/signin`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Enqueues a simulate job from the jobs page's form and opens its detail page. */
async function enqueueSimulate(durationMs: number) {
  await page.getByLabel("Job type").selectOption("simulate");
  await page.getByLabel("Duration (ms, simulate)").fill(String(durationMs));
  await page.getByRole("button", { name: "Enqueue job" }).click();
  const link = page.locator("#enqueued-link");
  await link.waitFor({ timeout: 30_000 });
  await link.click();
  await page.waitForURL(/\/jobs\/[^/]+$/);
}

const statusIs = (status: string) =>
  page.locator(`[data-status="${status}"]`).waitFor({ timeout: 60_000 });

describe("the console, in Chromium", () => {
  it("signs in with the development key and shows the jobs page, live", async () => {
    await signIn();
    await page.waitForURL(`${base}/jobs`);
    await page.locator('[data-count="total"]').waitFor({ timeout: 30_000 });
    await page.locator("#jobs-table table").waitFor({ timeout: 30_000 });
    await page.locator("#throughput canvas").waitFor({ timeout: 30_000 });
    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === "console_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Strict");
    expect(await page.evaluate(() => document.cookie)).toBe("");
    expect(await seriousViolations()).toEqual([]);
    await shoot("jobs");
  });

  it("refuses a wrong key and stays signed out", async () => {
    await signIn("ea_wrong_not-a-real-secret");
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("refused");
    expect((await context.cookies()).some((cookie) => cookie.name === "console_session")).toBe(
      false,
    );
    await page.goto(`${base}/jobs`);
    expect(new URL(page.url()).pathname).toBe("/signin");
    expect(await seriousViolations()).toEqual([]);
    await shoot("signin-refused");
  });

  it("enqueues a job and sees it reach succeeded, with its runs", async () => {
    await signIn();
    await page.waitForURL(`${base}/jobs`);
    await enqueueSimulate(200);
    await statusIs("succeeded");
    await page.locator(".timeline li.outcome-succeeded").waitFor({ timeout: 30_000 });
    expect(await seriousViolations()).toEqual([]);
    await shoot("job-succeeded");
  });

  it("cancels a running job", async () => {
    await signIn();
    await page.waitForURL(`${base}/jobs`);
    await enqueueSimulate(120_000);
    await statusIs("running");
    await page.getByRole("button", { name: "Cancel job" }).click();
    await statusIs("cancelled");
    await page.getByRole("button", { name: "Retry job" }).waitFor();
    // The swap removed the focused Cancel button: focus moves to Retry, not back to <body>.
    await page.waitForFunction(() => document.activeElement?.id === "job-retry", null, {
      timeout: 15_000,
    });
    expect(await seriousViolations()).toEqual([]);
    await shoot("job-cancelled");
  });

  it("runs the dashboard view and shows its waterfall, each part at its own time", async () => {
    await signIn();
    await page.waitForURL(`${base}/jobs`);
    await page.getByRole("link", { name: "Aggregator" }).click();
    await page.waitForURL(`${base}/aggregator`);
    await page.getByLabel("View", { exact: true }).selectOption("dashboard");
    await page.getByLabel("Parameters (a query string)").fill("userId=7");
    await page.getByRole("button", { name: "Run view" }).click();
    await page.locator("#waterfall[data-done]").waitFor({ timeout: 30_000 });
    const bars = await page.locator("#waterfall .wf-row").evaluateAll((rows) =>
      rows.map((row) => ({
        id: row.getAttribute("data-id"),
        state: row.getAttribute("data-state"),
        start: Number(row.getAttribute("data-start")),
        end: Number(row.getAttribute("data-end")),
      })),
    );
    expect(bars.map((bar) => `${bar.id}:${bar.state}`).sort()).toEqual([
      "orders:ok",
      "recommendations:ok",
      "user:ok",
    ]);
    // The stack's dashboard delays orders by 150 ms and recommendations by 300 ms: streamed, each
    // part's bar ends when it finished, not all at the end of the call.
    const end = (id: string) => bars.find((bar) => bar.id === id)?.end ?? Number.NaN;
    expect(end("user")).toBeLessThan(end("orders"));
    expect(end("orders")).toBeLessThan(end("recommendations"));
    for (const bar of bars) expect(bar.start).toBeLessThanOrEqual(bar.end);
    expect(await page.locator(".wf-deadline").isVisible()).toBe(true);
    expect(await page.locator(".wf-deadline").textContent()).toContain("deadline 2000 ms");
    expect(await page.getByRole("status").textContent()).toContain("3 of 3 succeeded");
    expect(await seriousViolations()).toEqual([]);
    await shoot("aggregator-view");
  });

  it("streams a fan-out request into the waterfall, a timed-out call past the deadline line", async () => {
    await signIn();
    await page.waitForURL(`${base}/jobs`);
    await page.goto(`${base}/aggregator`);
    const upstream = urls["demo-upstream"];
    const request = {
      requests: [
        { id: "user", url: `${upstream}/users/7`, cacheTtlSeconds: 0 },
        { id: "orders", url: `${upstream}/users/7/orders?limit=3`, cacheTtlSeconds: 0 },
        { id: "slow", url: `${upstream}/delay/400`, timeoutMs: 5000, retries: 0 },
        { id: "too-slow", url: `${upstream}/delay/20000`, retries: 0 },
      ],
      deadlineMs: 1500,
    };
    await page.getByLabel(/^Request/).fill(JSON.stringify(request, null, 2));
    await page.getByRole("button", { name: "Run request" }).click();
    await page.locator("#waterfall[data-done]").waitFor({ timeout: 30_000 });
    const row = (id: string) => page.locator(`#waterfall .wf-row[data-id="${id}"]`);
    expect(await row("user").getAttribute("data-state")).toBe("ok");
    expect(await row("slow").getAttribute("data-state")).toBe("ok");
    expect(await row("too-slow").getAttribute("data-state")).toBe("deadline");
    expect(await page.locator(".wf-deadline").isVisible()).toBe(true);
    expect(await page.locator(".wf-deadline").textContent()).toContain("deadline 1500 ms");
    expect(await seriousViolations()).toEqual([]);
    await shoot("aggregator-request");
  });

  it("fits every page into a phone's width, each free of serious axe violations", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await signIn();
    await page.waitForURL(`${base}/jobs`);
    await page.locator('[data-count="total"]').waitFor({ timeout: 30_000 });
    await page.goto(`${base}/feed`);
    await page.locator("#feed-items li[data-item] a").first().click();
    await page.waitForURL(/\/feed\/items\/\d+$/);
    const pages: [string, string][] = [
      ["jobs", `${base}/jobs`],
      ["aggregator", `${base}/aggregator`],
      ["feed-item", page.url()],
    ];
    for (const [name, url] of pages) {
      await page.goto(url);
      await page.locator("main h1").waitFor();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect({ url, width }).toEqual({ url, width: 375 });
      expect({ url, violations: await seriousViolations() }).toEqual({ url, violations: [] });
      await shoot(`phone-${name}`);
    }
  });

  it("scrolls the feed past two pages at a phone's width", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await signIn();
    await page.waitForURL(`${base}/jobs`);
    await page.getByRole("link", { name: "Feed" }).click();
    await page.waitForURL(`${base}/feed`);
    const items = page.locator("#feed-items li[data-item]");
    expect(await items.count()).toBe(20);
    for (let scrolls = 0; scrolls < 20 && (await items.count()) <= 40; scrolls++) {
      await page.locator("#feed-items li").last().scrollIntoViewIfNeeded();
      await page.waitForTimeout(300);
    }
    expect(await items.count()).toBeGreaterThan(40);
    const ids = await items.evaluateAll((nodes) =>
      nodes.map((node) => Number(node.getAttribute("data-item"))),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      375,
    );
    expect(await seriousViolations()).toEqual([]);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shoot("feed");
  });
});
