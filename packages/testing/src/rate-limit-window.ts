/**
 * Waits, when needed, so that the current fixed rate-limit window has at least `neededMs` left.
 *
 * miniflare's rate limiting binding counts in windows aligned to the wall clock (`Date.now()`
 * divided by the period). A test that makes N calls and expects the (N+1)th refused fails when a
 * rollover falls between them, which a loaded CI machine makes likely enough to matter.
 *
 * @param periodSeconds The binding's `simple.period`, in seconds.
 * @param neededMs How long the test's calls may take, in milliseconds; 5,000 by default.
 * @example
 * ```ts
 * beforeEach(() => withinOneWindow(60));
 * ```
 */
export async function withinOneWindow(periodSeconds: number, neededMs = 5_000): Promise<void> {
  const periodMs = periodSeconds * 1_000;
  const leftMs = periodMs - (Date.now() % periodMs);
  if (leftMs < neededMs) await new Promise((resolve) => setTimeout(resolve, leftMs + 50));
}
