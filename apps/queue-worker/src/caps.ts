import { HttpProblem, invalidInput } from "@edge-async/http";
import type { Database } from "./db/database.ts";
import { CAP_WINDOW_MS, type CapUsage, capUsage, type EnqueueLimits } from "./db/enqueue.ts";

const MINUTE_POLICY = "jobs-per-minute";
const OPEN_POLICY = "open-jobs";

/**
 * The answer to an enqueue the caps held back (nothing was recorded): 429 problem+json naming the
 * cap, with `Retry-After`, `RateLimit` and `RateLimit-Policy`; or 400 when the request alone holds
 * more new jobs than a cap allows, since no wait would let it through.
 *
 * `Retry-After` for the jobs-per-minute cap is when enough of the key's jobs leave the 60 s
 * window for this request to fit (exact, if the key sends nothing else meanwhile). For the
 * open-jobs cap it is the earliest a slot can free: when the key's next queued job falls due
 * (1 s when one is due already); it frees only once that job has run, so it is a lower bound.
 */
export async function capExceeded(
  db: Database,
  limits: EnqueueLimits,
  fresh: number,
  pointer: (index: number) => string,
): Promise<HttpProblem> {
  const { jobsPerMinute, openJobs } = limits;
  if (fresh > jobsPerMinute || fresh > openJobs) {
    const cap = fresh > jobsPerMinute ? `${jobsPerMinute} per minute` : `${openJobs} open at once`;
    return invalidInput([
      {
        pointer: pointer(0).replace(/\/\d+$/, ""),
        detail: `holds ${fresh} new jobs, more than this API key may enqueue (${cap})`,
      },
    ]);
  }
  let usage: CapUsage;
  try {
    usage = await capUsage(db, limits);
  } catch (error) {
    console.error("reading the caps' usage failed", error);
    return new HttpProblem(503, "database-unavailable", "Database unavailable", {
      detail: "The jobs were not recorded (a cap held them back); try again.",
      headers: { "retry-after": "1" },
    });
  }
  const policy = `"${MINUTE_POLICY}";q=${jobsPerMinute};w=60, "${OPEN_POLICY}";q=${openJobs}`;
  if (usage.recent + fresh > jobsPerMinute) {
    // The (recent + fresh - cap)-th oldest job of the window must leave it first.
    const leaving = usage.recentCreatedAt[usage.recent + fresh - jobsPerMinute - 1];
    const seconds = secondsUntil((leaving ?? limits.now) + CAP_WINDOW_MS, limits.now);
    return tooMany(MINUTE_POLICY, seconds, policy, {
      detail: `This API key may enqueue ${jobsPerMinute} jobs per minute; ${usage.recent} ${usage.recent === 1 ? "was" : "were"} enqueued in the last 60 s, so ${fresh === 1 ? "this one" : `these ${fresh}`} would pass the cap. Nothing was enqueued; retry after ${seconds} s.`,
    });
  }
  const seconds = secondsUntil(usage.nextRunAt ?? limits.now, limits.now);
  return tooMany(OPEN_POLICY, seconds, policy, {
    detail: `This API key may have ${openJobs} jobs open (queued, running or awaiting a retry) at once; ${usage.open} ${usage.open === 1 ? "is" : "are"}, so ${fresh === 1 ? "this one" : `these ${fresh}`} would pass the cap. Nothing was enqueued; a slot frees when one of them finishes (the next is due in ${seconds} s).`,
  });
}

function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

function tooMany(
  name: string,
  seconds: number,
  policy: string,
  body: { detail: string },
): HttpProblem {
  return new HttpProblem(429, "job-cap-reached", "Too Many Requests", {
    ...body,
    cap: name,
    headers: {
      "retry-after": String(seconds),
      "ratelimit-policy": policy,
      ratelimit: `"${name}";r=0;t=${seconds}`,
      "cache-control": "no-store",
    },
  });
}
