import * as z from "zod";
import { PROBLEM_CONTENT_TYPE } from "../problem.ts";

/**
 * One entry of a problem's `errors` member: where the input is wrong (a JSON pointer into the
 * body, or a parameter name) and what is wrong with it.
 *
 * @example
 * ```ts
 * import { invalidParamSchema } from "@edge-async/http";
 * invalidParamSchema.parse({ pointer: "/items/0/title", detail: "must not be empty" });
 * ```
 */
export const invalidParamSchema = z
  .object({
    pointer: z.string().optional().meta({ description: "RFC 6901 JSON Pointer into the body" }),
    parameter: z.string().optional().meta({ description: "name of a query, path or header field" }),
    detail: z.string(),
  })
  .meta({ id: "InvalidParam" });

/**
 * RFC 9457 problem details as every worker answers them: one shared OpenAPI component
 * (`#/components/schemas/Problem`). Extension members are allowed.
 *
 * @example
 * ```ts
 * import { problemSchema } from "@edge-async/http";
 * problemSchema.parse({ type: "about:blank", title: "Not Found", status: 404 });
 * ```
 */
export const problemSchema = z
  .looseObject({
    type: z.string().meta({ example: "https://edge-async.dev/problems/invalid-input" }),
    title: z.string().meta({ example: "Invalid input" }),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(invalidParamSchema).optional(),
  })
  .meta({
    id: "Problem",
    description: "RFC 9457 problem details (application/problem+json)",
  });

/** An OpenAPI response object whose body is a problem. */
export interface ProblemResponse {
  description: string;
  content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof problemSchema } };
  headers?: Record<string, { description: string; schema: { type: "string" | "integer" } }>;
}

/**
 * Declares the problem+json answers of a route, one entry per status, for `createRoute`'s
 * `responses`. Each maps to the shared `Problem` component.
 *
 * @param statuses status code to the sentence that says when it is answered
 * @example
 * ```ts
 * import { createRoute } from "@hono/zod-openapi";
 * import { problemResponses } from "@edge-async/http";
 * const route = createRoute({
 *   method: "get",
 *   path: "/items/{id}",
 *   responses: { ...problemResponses({ 404: "No item has this id" }) },
 * });
 * ```
 */
export function problemResponses<const S extends number>(
  statuses: Record<S, string>,
): Record<S, ProblemResponse> {
  const responses = {} as Record<S, ProblemResponse>;
  for (const [status, description] of Object.entries(statuses) as [string, string][]) {
    const response: ProblemResponse = {
      description,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
    };
    if (status === "429" || status === "503") {
      response.headers = {
        "Retry-After": {
          description: "seconds to wait before trying again",
          schema: { type: "integer" },
        },
      };
    }
    if (status === "405") {
      response.headers = {
        Allow: { description: "the methods this path accepts", schema: { type: "string" } },
      };
    }
    responses[Number(status) as S] = response;
  }
  return responses;
}

/**
 * A JSON response entry for `createRoute`'s `responses`.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { jsonResponse } from "@edge-async/http";
 * const ok = jsonResponse(z.object({ status: z.literal("ok") }), "The worker runs");
 * ```
 */
export function jsonResponse<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}
