/**
 * The wire shapes of the views (`GET /v1/views`, `GET /v1/views/{name}`): what they take and
 * answer. A streamed view's part lines are the aggregate's result lines (contract.ts) without
 * the body.
 *
 * @module
 */
import { text } from "@edge-async/http";
import * as z from "zod";
import { callSummary, errorCode, resultLine } from "./contract.ts";

/** Path of `GET /v1/views/{name}`. */
export const viewParams = z.object({
  name: text("name")
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "view names are letters, digits, - and _")
    .meta({ example: "dashboard" }),
});

/**
 * Query of `GET /v1/views/{name}`: the parameters the view's templates name, each validly
 * percent-encoded UTF-8 (400 naming the parameter otherwise), so a value is never passed on
 * undecoded. Which ones a view takes only the VIEWS var knows, so planView refuses any other by
 * name, as a strict query schema would.
 */
export const viewQuery = z.object({}).catchall(z.union([text(), z.array(text())]));

/** Answer of a view: the parts merged by name, failures beside them. */
export const viewAnswer = z
  .object({
    view: z.string(),
    data: z.record(z.string(), z.unknown()).meta({ description: "Every part that succeeded" }),
    errors: z
      .record(
        z.string(),
        z.object({ code: errorCode, message: z.string(), status: z.number().int().optional() }),
      )
      .meta({ description: "Every part that failed" }),
    complete: z.boolean(),
    summary: callSummary,
  })
  .meta({
    id: "ViewAnswer",
    example: {
      view: "dashboard",
      data: { user: { id: "42" }, orders: [], recommendations: [] },
      errors: {},
      complete: true,
      summary: { total: 3, succeeded: 3, failed: 0, durationMs: 14 },
    },
  });

/** Answer of a view: the parts merged by name, failures beside them. */
export type ViewAnswer = z.output<typeof viewAnswer>;

/** First line of a streamed view: its parts, and the deadline the call runs under. */
export const viewStartLine = z
  .object({
    start: z.object({
      view: z.string(),
      parts: z.array(z.string()),
      deadlineMs: z.number().int().min(1).meta({
        description:
          "The call's deadline, as its parts report it: the view's (or DEFAULT_DEADLINE_MS), or the caller's request-timeout-ms as given when that is less",
      }),
    }),
  })
  .meta({ id: "ViewStartLine" });

/**
 * One part of a streamed view as it finishes: an aggregate result line without `body` (each
 * part's body comes once, in the last line's answer).
 */
export const viewPartLine = resultLine.omit({ body: true }).meta({ id: "ViewPartLine" });

/** Last line of a streamed view: the answer the JSON form gives. */
export const viewAnswerLine = z.object({ answer: viewAnswer }).meta({ id: "ViewAnswerLine" });

/** One line of a streamed view: the start, each part in finish order, then the answer. */
export const viewLine = z.union([viewStartLine, viewPartLine, viewAnswerLine]).meta({
  id: "ViewLine",
  example: { index: 1, id: "orders", ok: true, status: 200, durationMs: 9, attempts: 1 },
});

/** One configured view and the query parameters it needs. */
export const viewInfo = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    parameters: z.array(z.string()),
    parts: z.array(z.string()),
  })
  .meta({ id: "ViewInfo" });

/** Answer of `GET /v1/views`. */
export const viewList = z.object({ views: z.array(viewInfo) }).meta({
  id: "ViewList",
  example: {
    views: [
      {
        name: "dashboard",
        description: "A user, their recent orders and their recommendations.",
        parameters: ["userId"],
        parts: ["user", "orders", "recommendations"],
      },
    ],
  },
});
