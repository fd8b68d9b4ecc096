import { currentObservation } from "./context.ts";

/**
 * Writes one structured log line: a single JSON object on one `console.log` line, which Workers
 * Logs indexes field by field (`$metadata` plus these fields). The current request id (the
 * trace-id of the request or job run in progress) is added as `requestId`; undefined fields are
 * left out. Never pass secrets: an API key's id belongs in a log line, the key never does.
 *
 * @param event what happened, e.g. `request`, `job`, `upstream`
 * @param fields the event's fields; durations in milliseconds named `durationMs`
 * @example
 * ```ts
 * import { logEvent } from "@edge-async/http";
 * logEvent("upstream", { origin: "https://api.example.com", status: 200, durationMs: 41 });
 * // {"event":"upstream","requestId":"4bf9…","origin":"https://api.example.com","status":200,"durationMs":41}
 * ```
 */
export function logEvent(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, requestId: currentObservation()?.traceId, ...fields }));
}
