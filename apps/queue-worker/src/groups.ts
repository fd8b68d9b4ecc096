import { sleep } from "@edge-async/async-utils";
import type { Database } from "./db/database.ts";
import { countChildren, findGroup, finishedChildrenSince, type GroupCounts } from "./db/groups.ts";
import type { JobGroupRow } from "./db/schema.ts";
import type { GroupView } from "./groups-contract.ts";
import { toJobView } from "./job-view.ts";

/**
 * A group's view from its row and its children's counts: `running` until every child is finished,
 * then `succeeded` or `completed`; a failFast group is `failed` from its first dead child on.
 */
export function toGroupView(row: JobGroupRow, counts: GroupCounts): GroupView {
  const finished = counts.succeeded + counts.dead + counts.cancelled;
  const children = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const done = children > 0 && finished === children;
  const status =
    row.failFast && row.failedBy !== null
      ? "failed"
      : !done
        ? "running"
        : counts.succeeded === children
          ? "succeeded"
          : "completed";
  return {
    id: row.id,
    status,
    failFast: row.failFast,
    done,
    total: row.total,
    counts,
    ...(row.failedBy === null ? {} : { failedBy: row.failedBy }),
    createdAt: new Date(row.createdAt).toISOString(),
    ...(row.failedAt === null ? {} : { failedAt: new Date(row.failedAt).toISOString() }),
  };
}

/** Group `id` of `owner` (any for `undefined`) with its counts; `undefined` when there is none. */
export async function readGroup(
  db: Database,
  id: string,
  owner: string | undefined,
): Promise<GroupView | undefined> {
  const row = await findGroup(db, id, owner);
  if (row === undefined) return undefined;
  return toGroupView(row, await countChildren(db, id));
}

/** How a stream polls D1 for children that finished: from `firstMs`, doubling to `maxMs`. */
export interface StreamPolling {
  firstMs: number;
  maxMs: number;
}

/** Polling of `?stream=ndjson`: quick while children finish, backing off to 2 s when idle. */
export const STREAM_POLLING: StreamPolling = { firstMs: 100, maxMs: 2_000 };

/**
 * How long a follow may stay quiet before a `{heartbeat}` line (idle proxies cut silent streams
 * after about 100 s), and how long one follow lasts at most without a deadline, in ms.
 */
export const STREAM_TIMING = { heartbeatMs: 15_000, maxFollowMs: 15 * 60_000 };

/** Why a follow ended before the group was done: the caller's deadline, or the longest follow. */
export type FollowStop = "deadline" | "max-follow";

// Children read per poll: a group of 1,000 finishing at once is written in a few polls.
const POLL_ROWS = 200;

interface FollowOptions {
  signal: AbortSignal;
  maxAttempts: number;
  polling?: StreamPolling;
  timing?: Partial<typeof STREAM_TIMING>;
}

/**
 * The producer of a group's NDJSON stream: writes `{child}` for each child as it finishes (those
 * finished already first), polling D1 with backoff (reset by every poll that found some), then
 * `{summary}` once every child is finished. While nothing changes it writes `{heartbeat}` every
 * `heartbeatMs`. When the caller's deadline (a `TimeoutError` on `signal`) or `maxFollowMs` ends
 * the follow first, it writes `{summary, stopped}` with the group as it stands (`done: false`).
 * Any other abort (the client gone) or a write that finds the client gone stops it silently.
 */
export async function followGroup(
  db: Database,
  row: JobGroupRow,
  write: (line: unknown) => Promise<boolean>,
  options: FollowOptions,
): Promise<void> {
  const polling = options.polling ?? STREAM_POLLING;
  const { heartbeatMs, maxFollowMs } = { ...STREAM_TIMING, ...options.timing };
  const endsAt = Date.now() + maxFollowMs;
  const seen = new Set<string>();
  let waitMs = polling.firstMs;
  let quietSince = Date.now();
  const send = async (line: unknown) => {
    quietSince = Date.now();
    return write(line);
  };
  while (!options.signal.aborted) {
    const finished = await finishedChildrenSince(db, row.id, seen, POLL_ROWS);
    for (const child of finished) {
      seen.add(child.id);
      if (!(await send({ child: toJobView(child, options.maxAttempts) }))) return;
    }
    if (finished.length === POLL_ROWS) continue;
    // Counted after the read: a child finishing in between is caught by the next read.
    const view = toGroupView(row, await countChildren(db, row.id));
    const fresh = (await findGroup(db, row.id, undefined)) ?? row;
    if (view.done && seen.size >= finishedCount(view)) {
      await send({ summary: toGroupView(fresh, view.counts) });
      return;
    }
    if (view.done) continue;
    row = fresh;
    const now = Date.now();
    if (now >= endsAt) return void (await stopLine(db, row, write, "max-follow"));
    if (now - quietSince >= heartbeatMs) {
      if (!(await send({ heartbeat: { at: new Date(now).toISOString() } }))) return;
    }
    waitMs = finished.length > 0 ? polling.firstMs : Math.min(waitMs * 2, polling.maxMs);
    const untilHeartbeat = Math.max(0, quietSince + heartbeatMs - Date.now());
    const pause = Math.min(waitMs, untilHeartbeat, Math.max(0, endsAt - Date.now()));
    await sleep(pause, { signal: options.signal }).catch(() => undefined);
  }
  if (isDeadline(options.signal.reason)) await stopLine(db, row, write, "deadline");
}

/** The closing line of a follow that ended before the group was done. */
async function stopLine(
  db: Database,
  row: JobGroupRow,
  write: (line: unknown) => Promise<boolean>,
  stopped: FollowStop,
): Promise<void> {
  const fresh = (await findGroup(db, row.id, undefined)) ?? row;
  await write({ summary: toGroupView(fresh, await countChildren(db, row.id)), stopped });
}

function isDeadline(reason: unknown): boolean {
  // The deadline aborts with a DOMException, which not every runtime makes an Error.
  return (
    typeof reason === "object" &&
    reason !== null &&
    "name" in reason &&
    reason.name === "TimeoutError"
  );
}

function finishedCount(view: GroupView): number {
  return view.counts.succeeded + view.counts.dead + view.counts.cancelled;
}
