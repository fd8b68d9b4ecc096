import { and, asc, count, eq, gt, inArray, sql } from "drizzle-orm";
import type { Database, Statement } from "./database.ts";
import {
  FINISHED_STATUSES,
  JOB_STATUSES,
  type JobGroupRow,
  type JobRow,
  type JobStatus,
  jobGroups,
  jobs,
} from "./schema.ts";

/**
 * The group's row as a statement of the enqueue's own D1 batch, after the children's insert: it is
 * inserted only if they were (a cap refusing them leaves no empty group behind), in the same
 * transaction, so no child can run, and die, before its group exists.
 */
export function insertGroupStatement(db: Database, group: JobGroupRow): Statement {
  const values = sql`select ${group.id}, ${group.owner}, ${group.failFast ? 1 : 0}, ${group.total},
    null, null, ${group.createdAt}
    where exists (select 1 from ${jobs} where ${jobs.groupId} = ${group.id})`;
  return db.insert(jobGroups).select(values);
}

/** Deletes group `id` if it has no children left (its enqueue was undone). */
export async function deleteEmptyGroup(db: Database, id: string): Promise<void> {
  await db
    .delete(jobGroups)
    .where(
      and(
        eq(jobGroups.id, id),
        sql`not exists (select 1 from ${jobs} where ${jobs.groupId} = ${id})`,
      ),
    );
}

/** A group of `owner`'s (any group for `undefined`, an admin); `undefined` when there is none. */
export async function findGroup(
  db: Database,
  id: string,
  owner: string | undefined,
): Promise<JobGroupRow | undefined> {
  const [row] = await db
    .select()
    .from(jobGroups)
    .where(and(eq(jobGroups.id, id), owner === undefined ? undefined : eq(jobGroups.owner, owner)))
    .limit(1);
  return row;
}

/** How many children of a group are in each state; every state appears. */
export type GroupCounts = Record<JobStatus, number>;

/** The children's counts by status, one grouped query on the group's index. */
export async function countChildren(db: Database, groupId: string): Promise<GroupCounts> {
  const rows = await db
    .select({ status: jobs.status, n: count() })
    .from(jobs)
    .where(eq(jobs.groupId, groupId))
    .groupBy(jobs.status);
  const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as GroupCounts;
  for (const row of rows) counts[row.status] += row.n;
  return counts;
}

/** A page of a group's children in id order, strictly after `after`; `limit + 1` rows. */
export function listChildren(
  db: Database,
  groupId: string,
  limit: number,
  after: string | undefined,
): Promise<JobRow[]> {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.groupId, groupId), after === undefined ? undefined : gt(jobs.id, after)))
    .orderBy(asc(jobs.id))
    .limit(limit + 1);
}

/**
 * The group's finished children not in `seen` (the ids a stream has already written), oldest
 * finish first, at most `limit`. Exact whatever the clocks of the writers: a child is left out by
 * id, not by a time that another writer may have set earlier than one already read.
 */
export function finishedChildrenSince(
  db: Database,
  groupId: string,
  seen: ReadonlySet<string>,
  limit: number,
): Promise<JobRow[]> {
  const known = sql`(select value from json_each(${JSON.stringify([...seen])}))`;
  return db
    .select()
    .from(jobs)
    .where(
      and(
        eq(jobs.groupId, groupId),
        inArray(jobs.status, [...FINISHED_STATUSES]),
        sql`${jobs.id} not in ${known}`,
      ),
    )
    .orderBy(asc(jobs.finishedAt), asc(jobs.id))
    .limit(limit);
}
