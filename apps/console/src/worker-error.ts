/** How a worker's refusal reads on a page, and which status the console answers with. */
import { ApiError } from "@edge-async/client";

/** A person-readable line for a failed call to another worker. */
export function describeFailure(error: unknown): {
  message: string;
  status: 403 | 404 | 409 | 400 | 502;
} {
  if (error instanceof ApiError) {
    const detail = error.problem?.detail ?? error.problem?.title ?? `HTTP ${error.status}`;
    if (error.status === 403)
      return { message: `This key may not do that: ${detail}`, status: 403 };
    if (error.status === 404) return { message: `Not found: ${detail}`, status: 404 };
    if (error.status === 409) return { message: detail, status: 409 };
    if (error.status === 400) return { message: detail, status: 400 };
    return { message: `The worker answered ${error.status}: ${detail}`, status: 502 };
  }
  return { message: "The worker could not be reached.", status: 502 };
}

/** A weak ETag of a JSON-able value, so polling answers 304 while nothing changed. */
export async function etagOf(value: unknown): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(value)),
  );
  const hex = [...new Uint8Array(digest).slice(0, 12)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
  return `W/"${hex}"`;
}
