import { mapConcurrentIter } from "../src/map-concurrent.ts";

const gc = (globalThis as { gc?: () => void }).gc;
const task = async (i: number): Promise<number> => i;

// Streaming memory: a lazy input of `items` items through mapConcurrentIter. Live heap is
// sampled after a full GC every 100,000 items; the growth is the largest sample minus the
// baseline taken before the stream started.
export async function streamHeap(
  ordered: boolean,
  items: number,
  concurrency: number,
): Promise<{ peakMb: number; retainedMb: number; time: number }> {
  function* source(): Generator<number> {
    for (let i = 0; i < items; i++) yield i;
  }
  gc?.();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  let count = 0;
  let sum = 0;
  const start = performance.now();
  for await (const value of mapConcurrentIter(source(), task, {
    concurrency,
    ordered,
  })) {
    sum += value;
    if (++count % 100_000 === 0) {
      gc?.();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  }
  const time = performance.now() - start;
  if (count !== items || sum !== (items * (items - 1)) / 2) {
    throw new Error(`mapConcurrentIter yielded ${count} items, sum ${sum}`);
  }
  gc?.();
  const after = process.memoryUsage().heapUsed;
  return { peakMb: (peak - baseline) / 2 ** 20, retainedMb: (after - baseline) / 2 ** 20, time };
}
