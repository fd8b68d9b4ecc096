/**
 * What the workers' test suites share: fuzz arbitraries of hostile text and URLs, and the
 * problem+json check. The vitest config lives in `@edge-async/testing/vitest`, the D1 setup file
 * in `@edge-async/testing/apply-migrations`.
 *
 * @module
 */
export * from "./arbitraries.ts";
export * from "./date-times.ts";
export * from "./problem.ts";
export * from "./rate-limit-window.ts";
