import { expect } from "vitest";

/**
 * Asserts that `response` is an RFC 9457 refusal: a 4xx, `application/problem+json`, with
 * `type`, `title` and a `status` equal to the response's (a HEAD answer has no body to read).
 */
export async function expectProblem(response: Response, options: { head?: boolean } = {}) {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  if (options.head) return;
  const problem = (await response.json()) as { type: unknown; title: unknown; status: unknown };
  expect(typeof problem.type).toBe("string");
  expect(typeof problem.title).toBe("string");
  expect(problem.status).toBe(response.status);
}
