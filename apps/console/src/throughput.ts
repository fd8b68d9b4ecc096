/**
 * Jobs finished per second over the last minutes, for the jobs chart: read from the listing
 * (newest first) until the jobs are older than the window, at most MAX_PAGES pages, so a busy
 * queue costs a bounded number of calls per refresh.
 */
import type { QueueClient } from "@edge-async/queue-worker/client";

const MAX_PAGES = 10;
const PAGE_SIZE = 100;

/** uPlot's data: the seconds (epoch s) and, per second, jobs that succeeded and that did not. */
export interface Throughput {
  seconds: number[];
  succeeded: number[];
  failed: number[];
  /** false when the window held more jobs than MAX_PAGES pages: the oldest seconds undercount. */
  complete: boolean;
}

export async function throughput(
  jobs: QueueClient,
  minutes: number,
  now: number,
  signal: AbortSignal,
): Promise<Throughput> {
  const end = Math.floor(now / 1000);
  const start = end - minutes * 60 + 1;
  const seconds = Array.from({ length: end - start + 1 }, (_, index) => start + index);
  const succeeded = seconds.map(() => 0);
  const failed = seconds.map(() => 0);
  let cursor: string | undefined;
  let complete = false;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await jobs.page(
      { limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) },
      { signal },
    );
    for (const job of page.items) {
      if (job.finishedAt === undefined) continue;
      const second = Math.floor(Date.parse(job.finishedAt) / 1000);
      if (second < start || second > end) continue;
      if (job.status === "succeeded") succeeded[second - start]! += 1;
      else failed[second - start]! += 1;
    }
    // The listing is newest first by creation. Reading on to jobs created a whole window before
    // this one still counts runs up to a window long; longer ones are left out of the chart.
    const oldest = page.items.at(-1);
    const before = start - minutes * 60;
    if (
      page.nextCursor === null ||
      oldest === undefined ||
      Date.parse(oldest.createdAt) / 1000 < before
    ) {
      complete = true;
      break;
    }
    cursor = page.nextCursor;
  }
  return { seconds, succeeded, failed, complete };
}
