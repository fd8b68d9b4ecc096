/**
 * The group methods of the queue-worker client (`/v1/groups`) and their types; `client.ts`
 * re-exports them and mixes the methods into {@link QueueClient}.
 *
 * @module
 */
import { type Caller, type CallOptions, ndjsonLines } from "@edge-async/client";
import type { Job, JobStatus, NewJob } from "./jobs-client.ts";

/**
 * A group to enqueue: 1 to 1,000 jobs (without `idempotencyKey`), and `failFast` (default
 * `false`): the first child that ends `dead` cancels the others and the group ends `failed`.
 *
 * @example
 * ```ts
 * const group: NewGroup = { failFast: true, jobs: [{ type: "simulate", payload: { durationMs: 100 } }] };
 * ```
 */
export interface NewGroup {
  jobs: Omit<NewJob, "idempotencyKey">[];
  failFast?: boolean;
}

/**
 * Where a group stands: `running` until every child is finished, then `succeeded` (all did) or
 * `completed` (some did not); a failFast group is `failed` from its first dead child on.
 *
 * @example
 * ```ts
 * const over = (status: GroupStatus) => status !== "running";
 * ```
 */
export type GroupStatus = "running" | "succeeded" | "completed" | "failed";

/**
 * A group: its status, whether every child is `done`, counts of its children by status, and for a
 * failed failFast group the child that failed it (`failedBy`) and when. Times are ISO-8601 UTC.
 *
 * @example
 * ```ts
 * const { status, counts }: Group = (await queue.group(id)).group;
 * ```
 */
export interface Group {
  id: string;
  status: GroupStatus;
  failFast: boolean;
  done: boolean;
  total: number;
  counts: Record<JobStatus, number>;
  failedBy?: string;
  createdAt: string;
  failedAt?: string;
}

/**
 * The answer of {@link GroupMethods.createGroup}: the group's id and its children's, in request order.
 *
 * @example
 * ```ts
 * const { id, jobs }: CreatedGroup = await queue.createGroup({ jobs });
 * ```
 */
export interface CreatedGroup {
  id: string;
  status: GroupStatus;
  failFast: boolean;
  jobs: { id: string; status: JobStatus }[];
}

/**
 * One page of a group's children (id order) with the group itself.
 *
 * @example
 * ```ts
 * const page: GroupPage = await queue.group(id, { limit: 100 });
 * ```
 */
export interface GroupPage {
  group: Group;
  items: Job[];
  nextCursor: string | null;
  hasMore: boolean;
}

/**
 * A line of a followed group: a child as it finished; a heartbeat (`at`, ISO 8601) after 15 s
 * without another line; or the closing summary, with `stopped` (`deadline`, `max-follow`) when
 * the follow ended before the group was done.
 *
 * @example
 * ```ts
 * for await (const line of queue.followGroup(id)) if ("summary" in line) console.log(line.summary.status);
 * ```
 */
export type GroupStreamLine =
  | { child: Job }
  | { heartbeat: { at: string } }
  | { summary: Group; stopped?: "deadline" | "max-follow" };

/**
 * The group methods of the client. They reject with `ApiError` (400 naming each invalid field,
 * 404 for a group that is not the key's, ...) and abort with their signal.
 *
 * @example
 * ```ts
 * const { id } = await queue.createGroup({ failFast: true, jobs });
 * for await (const line of queue.followGroup(id)) console.log(line);
 * ```
 */
export interface GroupMethods {
  /** Enqueues a group (`POST /v1/groups`, scope `jobs:write`), all or nothing. */
  createGroup(group: NewGroup, options?: CallOptions): Promise<CreatedGroup>;
  /** A group and one page of its children (`GET /v1/groups/{id}`, scope `jobs:read`). */
  group(
    id: string,
    query?: { limit?: number; cursor?: string },
    options?: CallOptions,
  ): Promise<GroupPage>;
  /**
   * Follows a group (`GET /v1/groups/{id}?stream=ndjson`): each child as it finishes, then the
   * summary; leaving the loop stops the stream.
   */
  followGroup(id: string, options?: CallOptions): AsyncIterableIterator<GroupStreamLine>;
}

/** The group methods over `caller`; `call` maps a call's options to the caller's. */
export function groupMethods(
  caller: Caller,
  call: (options?: CallOptions) => Pick<CallOptions, "signal" | "headers">,
): GroupMethods {
  return {
    createGroup: (group, options) =>
      caller.json<CreatedGroup>({
        method: "POST",
        path: "v1/groups",
        body: group,
        ...call(options),
      }),
    group: (id, query = {}, options) =>
      caller.json<GroupPage>({
        path: `v1/groups/${encodeURIComponent(id)}`,
        query: { ...query },
        ...call(options),
      }),
    async *followGroup(id, options) {
      const response = await caller.send({
        path: `v1/groups/${encodeURIComponent(id)}`,
        query: { stream: "ndjson" },
        ...call(options),
      });
      if (response.body === null) return;
      yield* ndjsonLines<GroupStreamLine>(response.body, options?.signal);
    },
  };
}
