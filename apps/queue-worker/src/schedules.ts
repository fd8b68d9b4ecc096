import { Cron } from "croner";

/**
 * Cron math of `/v1/schedules`, all of it from croner: five-field patterns (minute precision;
 * a seconds field is refused, since the cron trigger runs once a minute), nicknames such as
 * `@hourly`, read in an IANA time zone. Around DST croner runs a fixed-time job (`30 2 * * *`)
 * once: at the first valid time after a spring-forward gap, and at the first of two repeated
 * times at fall-back.
 */

/** The time zone a schedule reads its cron in when it names none. */
export const DEFAULT_TIMEZONE = "UTC";

function pattern(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, mode: "5-part" });
}

/** Whether `timezone` is an IANA time zone name this runtime knows (`UTC` included). */
export function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * What is wrong with `cron`, read in the known `timezone`, or `undefined` when it is a valid
 * five-field pattern that fires at least once after `now`.
 */
export function cronProblem(cron: string, timezone: string, now = Date.now()): string | undefined {
  let parsed: Cron;
  try {
    parsed = pattern(cron, timezone);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/requires exactly 5 parts/.test(message) && cron.trim().split(/\s+/).length === 6) {
      return "cron must have 5 fields (minute hour day-of-month month day-of-week): a schedule runs at most once a minute, so a seconds field is not supported";
    }
    return `cron is not a valid cron expression: ${message.replace(/^CronPattern: /, "")}`;
  }
  if (parsed.nextRun(new Date(now)) === null) {
    return "cron never fires (no date matches it)";
  }
  return undefined;
}

/**
 * The first time strictly after `after` (epoch ms) that `cron` fires in `timezone`, epoch ms;
 * `null` if it never fires again. The cron and the zone were checked when the schedule was
 * created ({@link cronProblem}).
 */
export function nextRunAfter(cron: string, timezone: string, after: number): number | null {
  return pattern(cron, timezone).nextRun(new Date(after))?.getTime() ?? null;
}
