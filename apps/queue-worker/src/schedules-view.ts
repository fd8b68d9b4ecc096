import type { ScheduleRow } from "./db/schema.ts";
import type { ScheduleView } from "./schedules-contract.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Shapes a stored schedule for the API: ISO timestamps, the job's payload parsed. */
export function toScheduleView(row: ScheduleRow): ScheduleView {
  return {
    id: row.id,
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    job: {
      type: row.jobType,
      payload: JSON.parse(row.jobPayload),
      ...(row.jobTimeoutMs === null ? {} : { timeoutMs: row.jobTimeoutMs }),
    },
    paused: row.paused,
    nextRunAt: iso(row.nextRunAt),
    lastRunAt: iso(row.lastRunAt),
    lastJobId: row.lastJobId,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
