import { logEvent, newObservation, observe, writeMetric } from "@edge-async/http";
import type { Env } from "./env.ts";
import { traceparentOf } from "./messages.ts";

/** What the job-run line needs of a run's result: its outcome and, when it failed, why. */
interface RunEnd {
  write: { kind: "succeeded" | "failed" | "dead" | "cancelled"; error?: string };
}

/**
 * Runs one claimed job under its own observation and reports it: the request id is the
 * trace-id of the request that enqueued it (the message's `traceparent`), or a new one, so the
 * run's outgoing calls (feeds fetched, the FEED binding) carry it too. When the run ends it
 * writes one `job` log line and one `job` data point.
 *
 * Log line: `{"event":"job","requestId","jobId","type","attempt","outcome","durationMs","error"}`.
 * Data point: index1 = type; blob1 = "job", blob2 = type, blob3 = outcome (succeeded, failed,
 * dead, cancelled, or error when the run itself threw); double1 = duration ms, double2 = attempt.
 */
export async function observeJobRun<R extends RunEnd>(
  message: Message<unknown>,
  job: { id: string; type: string; attempts: number },
  env: Env,
  run: () => Promise<R>,
): Promise<R> {
  const observation = newObservation(traceparentOf(message.body), env.METRICS);
  const started = Date.now();
  let outcome: string = "error";
  let error: string | undefined;
  try {
    const result = await observe(observation, run);
    outcome = result.write.kind;
    error = result.write.error;
    return result;
  } catch (thrown) {
    error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    throw thrown;
  } finally {
    const durationMs = Date.now() - started;
    observe(observation, () => {
      logEvent("job", {
        jobId: job.id,
        type: job.type,
        attempt: job.attempts,
        outcome,
        durationMs,
        error,
      });
      writeMetric({
        kind: "job",
        index: job.type,
        blobs: [job.type, outcome],
        doubles: [durationMs, job.attempts],
      });
    });
  }
}
