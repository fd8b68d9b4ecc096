import { currentObservation, formatTraceparent } from "@edge-async/http";
import * as z from "zod";

/** Body of every message on the `jobs` and `jobs-dlq` queues: the job lives in D1, not here. */
export interface JobMessage {
  jobId: string;
  /** The W3C `traceparent` of the request that sent it: the job run's log line carries its id. */
  traceparent?: string;
}

/**
 * The message for `jobId`, carrying the current request's `traceparent` when there is one, so
 * the run's log line and outgoing calls share the enqueuing request's id.
 */
export function jobMessage(jobId: string): JobMessage {
  const observation = currentObservation();
  return observation === undefined
    ? { jobId }
    : { jobId, traceparent: formatTraceparent(observation) };
}

/** The `traceparent` a message carries, if any; the run checks its format. */
export function traceparentOf(body: unknown): string | undefined {
  const value = (body as { traceparent?: unknown } | null)?.traceparent;
  return typeof value === "string" ? value : undefined;
}

const jobMessageSchema = z.object({
  jobId: z.string().min(1).max(100),
}) satisfies z.ZodType<JobMessage>;

/** A message of a queue batch with the id of the job it stands for. */
export interface JobDelivery {
  message: Message<unknown>;
  jobId: string;
}

/**
 * The well-formed messages of a batch, in order. A malformed one is logged as a malformed `what`
 * and acked: there is nothing to run or to mark, and retrying it cannot help.
 */
export function parseJobMessages(batch: MessageBatch<unknown>, what: string): JobDelivery[] {
  const deliveries: JobDelivery[] = [];
  for (const message of batch.messages) {
    const body = jobMessageSchema.safeParse(message.body);
    if (body.success) deliveries.push({ message, jobId: body.data.jobId });
    else {
      console.error(`dropping a malformed ${what}`, message.id, JSON.stringify(message.body));
      message.ack();
    }
  }
  return deliveries;
}
