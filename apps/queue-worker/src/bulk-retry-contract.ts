/** The wire shapes of `POST /v1/jobs/retry` (retrying many finished jobs at once) as zod schemas. */
import { instantOrderMessage, rfc3339DateTime, text, wellFormedJson } from "@edge-async/http";
import * as z from "zod";
import { documentedAs, wholeNumber } from "./contract.ts";
import { examples } from "./examples.ts";
import { JOB_TYPE_NAMES } from "./job-types/registry.ts";

/** Most jobs one `POST /v1/jobs/retry` takes back (in D1 batches and `sendBatch`es of 100). */
export const MAX_BULK_RETRY = 1_000;

// Kept to the millisecond, as finishedAt is: digits past the third fraction digit are dropped.
const filterTime = (name: string) => rfc3339DateTime(name).optional();

/**
 * Body of `POST /v1/jobs/retry`: which `dead`/`cancelled` jobs to put back. `error` matches a
 * case-sensitive substring of the job's last error; `from` (inclusive) and `to` (exclusive) bound
 * `finishedAt`, to the millisecond; `status` defaults to both; `limit` 1-1000, default 100.
 */
const bulkRetryShape = z
  .strictObject({
    type: z
      .enum(JOB_TYPE_NAMES, { error: `type must be one of ${JOB_TYPE_NAMES.join(", ")}` })
      .optional(),
    error: text("error")
      .min(1, "error must not be empty")
      .max(500, "error must be at most 500 characters")
      .optional()
      .meta({ description: "A case-sensitive substring of the job's last error" }),
    from: filterTime("from").meta({
      description: "finishedAt at or after this time (to the millisecond)",
    }),
    to: filterTime("to").meta({ description: "finishedAt before this time (to the millisecond)" }),
    // One check, not min/max: zod runs length checks on anything with a length, so a string
    // ("dead") would get a second error about its characters. A repeat is named where it is and
    // is the only message: a list of three always repeats one of the two states.
    status: z
      .array(z.enum(["dead", "cancelled"], { error: "status entries must be dead or cancelled" }), {
        error: 'status must be a list: ["dead"], ["cancelled"] or both',
      })
      .superRefine((list, context) => {
        const repeat = list.findIndex((status, index) => list.indexOf(status) !== index);
        if (repeat !== -1) {
          const message = `status lists ${list[repeat]} more than once`;
          context.addIssue({ code: "custom", path: [repeat], message });
        } else if (list.length === 0) {
          context.addIssue({ code: "custom", message: "status must hold dead, cancelled or both" });
        }
      })
      .optional()
      .meta({
        description: "Which final states to retry; default both",
        minItems: 1,
        maxItems: 2,
        uniqueItems: true,
      }),
    limit: wholeNumber("limit", 1, MAX_BULK_RETRY).default(100),
  })
  .superRefine((body, context) => {
    if (body.from === undefined || body.to === undefined) return;
    const message = instantOrderMessage(
      "to must be after from",
      Date.parse(body.from),
      Date.parse(body.to),
    );
    if (message !== undefined) context.addIssue({ code: "custom", path: ["to"], message });
  });
export const bulkRetryRequest = documentedAs(wellFormedJson(bulkRetryShape), bulkRetryShape);
/** A validated bulk retry filter. */
export type BulkRetryRequest = z.output<typeof bulkRetryRequest>;

/** `POST /v1/jobs/retry`: the jobs put back, and whether more match (the same call goes on). */
export const bulkRetryResult = z
  .object({
    retried: z.number().int().min(0),
    ids: z
      .array(z.uuid())
      .meta({ description: "The jobs put back, oldest finished first (ties by id)" }),
    hasMore: z
      .boolean()
      .meta({ description: "More jobs match: send the same filter again to retry them" }),
  })
  .meta({ id: "BulkRetryResult", example: { retried: 1, ids: [examples.jobId], hasMore: false } });
