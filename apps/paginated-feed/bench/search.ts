/**
 * The search rows of `pnpm bench`: first-page latency of `GET /v1/items/search` over HTTP for a
 * common word, a mid-frequency one and a rare three-word query, on the bench's seeded items.
 * bm25 ranks every match before the first page can be answered, so latency grows with matches.
 */

const QUERIES = [
  // "the" is in most seeded summaries and some titles.
  { label: 'common: "the"', q: "the" },
  // One of the seed's 12 subjects.
  { label: 'mid: "pagination"', q: "pagination" },
  // An adjective, a subject and an ending: about 1 seeded item in 1,440.
  { label: 'rare: "fearless backpressure revisited"', q: "fearless backpressure revisited" },
] as const;

const WARMUP = 10;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Times `rounds` first pages of each query, interleaved so all see the same machine state, and
 * returns the table's lines. `timed` is the bench's request timer (it waits out 429s).
 */
export async function searchBench(
  base: string,
  timed: (url: string) => Promise<{ ms: number; body: string }>,
  rounds: number,
  pageSize: number,
): Promise<string[]> {
  const urls = QUERIES.map(
    ({ q }) => `${base}/v1/items/search?${new URLSearchParams({ q, limit: String(pageSize) })}`,
  );
  const found = await Promise.all(
    urls.map(async (url) => (JSON.parse((await timed(url)).body) as { items: unknown[] }).items),
  );
  if (found.some((items) => items.length === 0)) throw new Error("a search query found nothing");
  const samples = urls.map((): number[] => []);
  for (let round = 0; round < WARMUP + rounds; round++) {
    for (const [index, url] of urls.entries()) {
      const { ms } = await timed(url);
      if (round >= WARMUP) samples[index]!.push(ms);
    }
  }
  const rare = percentile(samples.at(-1)!, 50);
  const lines = [
    `| search, first page (limit ${pageSize}, over HTTP)      | p50 ms | p95 ms | p50 of rare |`,
    "|----------------------------------------------|--------|--------|-------------|",
  ];
  for (const [index, { label }] of QUERIES.entries()) {
    const p50 = percentile(samples[index]!, 50);
    lines.push(
      `| ${label.padEnd(44)} | ${p50.toFixed(2).padStart(6)} | ${percentile(samples[index]!, 95).toFixed(2).padStart(6)} | ${`${(p50 / rare).toFixed(2)}x`.padStart(11)} |`,
    );
  }
  return lines;
}
