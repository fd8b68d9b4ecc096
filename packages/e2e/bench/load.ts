/**
 * A closed-loop HTTP load for the benches: `connections` keep-alive connections, each sending its
 * next request as soon as the last answer has been read, for a fixed time. Every request's
 * latency is kept (milliseconds, from sending to the answer's last byte), so medians and tails
 * come from the samples themselves rather than from a histogram's buckets.
 */
import { Agent, request } from "node:http";

/** One request, repeated: the same bytes every time. */
export interface Target {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /** The only status accepted; any other stops the load and throws with the answer's body. */
  expect: number;
}

/** What one request answered. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends `target` once over `agent` and reads the whole answer. */
export function send(target: Omit<Target, "expect">, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      target.url,
      { method: target.method, headers: target.headers, agent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    outgoing.setTimeout(30_000, () =>
      outgoing.destroy(new Error(`${target.url}: no answer in 30 s`)),
    );
    outgoing.on("error", reject);
    outgoing.end(target.body);
  });
}

/**
 * Drives `target` from `connections` connections for `seconds`; the latency of every answered
 * request, in milliseconds. The loop ends by itself at the deadline (requests in flight finish).
 */
export async function drive(
  target: Target,
  connections: number,
  seconds: number,
): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const samples: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const answer = await send(target, agent);
      const elapsed = performance.now() - started;
      if (answer.status !== target.expect) {
        throw new Error(
          `${target.method} ${target.url}: ${answer.status} (expected ${target.expect}) ${answer.body.slice(0, 500)}`,
        );
      }
      samples.push(elapsed);
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, loop));
  } finally {
    agent.destroy();
  }
  return samples;
}

/** The `p`th percentile (0-100) of `samples`, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

/** The median of `samples` (the mean of the two middle ones for an even count). */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 0 ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[mid]!;
}
