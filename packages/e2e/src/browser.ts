/**
 * Debian's Chromium driven by playwright-core, launched so that it stays on this machine: no
 * background networking, no component updates, and (playwright's default) a fresh profile per
 * launch.
 */
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Where tests save their screenshots (ignored by git). */
export const SCREENSHOTS = join(import.meta.dirname, "..", ".screenshots");
