import { exports } from "cloudflare:workers";
import { DEV_API_KEY } from "@edge-async/http";
import type { UpstreamResult } from "../src/contract.ts";

/** The development key's header: the suites run with ENVIRONMENT=development (vitest.config.ts). */
export const DEV_AUTH = { authorization: `Bearer ${DEV_API_KEY}` } as const;

/** `init` with the development key added, unless it already says who is calling. */
export function withDevKey(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", DEV_AUTH.authorization);
  return { ...init, headers };
}

let counter = 0;

/** A key no other test uses, so upstream stats and breakers never cross tests. */
export function uniqueKey(label: string): string {
  counter++;
  return `${label}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A host of its own (under the *.test allowlist), so its circuit breaker is fresh. */
export function uniqueHost(label: string): string {
  return `${uniqueKey(label)}.test`;
}

/** Calls the worker under test with the development key (see {@link withDevKey}). */
export function gateway(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`http://gateway.local${path}`, withDevKey(init)));
}

/** POSTs a JSON body to /v1/aggregate. */
export function aggregate(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return gateway("/v1/aggregate", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** What the test upstream saw for `key` (fetched through the same outbound service). */
export async function upstreamStats(key: string): Promise<{
  hits: number;
  aborted: number;
  completed: number;
  maxInFlight: number;
  hosts: string[];
}> {
  const response = await fetch(`http://upstream.test/__stats/${key}`);
  return response.json();
}

/** One result as the answers carry it: the worker's own type, plus its position in NDJSON lines. */
export type ResultLine = UpstreamResult & { index?: number };

/** Shape of a JSON answer of /v1/aggregate. */
export interface AggregateAnswer {
  results: ResultLine[];
  summary: { total: number; succeeded: number; failed: number; durationMs: number };
}
