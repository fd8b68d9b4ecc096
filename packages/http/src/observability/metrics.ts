import { currentObservation } from "./context.ts";

/**
 * One Analytics Engine data point, in the layout every worker shares: `index1` is `index` (the
 * sampling key: keep it low in distinct values, e.g. an origin or a job type), `blob1` is `kind`
 * (what the point measures) and `blob2…` are `blobs`, `double1…` are `doubles`. Each worker's
 * README lists the columns of its kinds and the SQL to read them.
 */
export interface MetricPoint {
  /** What the point measures, e.g. `upstream`, `job`, `page`: `blob1`. */
  kind: string;
  /** The sampling key, `index1` (at most 96 bytes). */
  index: string;
  /** `blob2`, `blob3`, …: labels such as an outcome. */
  blobs?: string[];
  /** `double1`, `double2`, …: numbers such as a duration in milliseconds. */
  doubles?: number[];
}

/**
 * Writes `point` to Analytics Engine: to `dataset`, by default the current request's or job run's
 * (the worker's `METRICS` binding). Without a dataset it does nothing, and a write the binding
 * refuses is logged, never thrown: metrics never fail the work they measure. `wrangler dev` and
 * the tests accept writes and keep nothing (miniflare's local Analytics Engine is a no-op).
 *
 * @example
 * ```ts
 * import { writeMetric } from "@edge-async/http";
 * writeMetric({ kind: "job", index: "ingest", blobs: ["ingest", "succeeded"], doubles: [820, 1] });
 * ```
 */
export function writeMetric(
  point: MetricPoint,
  dataset: AnalyticsEngineDataset | undefined = currentObservation()?.metrics,
): void {
  if (dataset === undefined) return;
  try {
    dataset.writeDataPoint({
      indexes: [point.index],
      blobs: [point.kind, ...(point.blobs ?? [])],
      doubles: point.doubles ?? [],
    });
  } catch (error) {
    console.warn("metrics: data point refused", point.kind, error);
  }
}
