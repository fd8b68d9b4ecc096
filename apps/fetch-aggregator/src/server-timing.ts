/**
 * A `Server-Timing` header value (W3C Server Timing): the call's total and its slowest upstream
 * request, so browser dev tools and RUM show where the time went.
 */
export function serverTiming(
  totalMs: number,
  slowest?: { id: string; durationMs: number },
): string {
  const metrics = [`total;dur=${round(totalMs)}`];
  if (slowest !== undefined) {
    metrics.push(`slowest;desc=${quoted(slowest.id)};dur=${round(slowest.durationMs)}`);
  }
  return metrics.join(", ");
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** RFC 9110 quoted-string; characters it cannot carry become "?". */
function quoted(text: string): string {
  const safe = text.replace(/[^\t\x20-\x7e]/g, "?").replace(/["\\]/g, "\\$&");
  return `"${safe.slice(0, 200)}"`;
}
