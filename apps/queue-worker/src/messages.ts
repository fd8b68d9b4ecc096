import * as z from "zod";

/** Body of every message on the `jobs` and `jobs-dlq` queues: the job lives in D1, not here. */
export interface JobMessage {
  jobId: string;
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
