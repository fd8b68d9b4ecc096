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

/** Whether `timezone` is an IANA time zone name this runtime knows (`UTC` included), in any case. */
export function isKnownTimezone(timezone: string): boolean {
  return timezoneProblem(timezone) === undefined;
}

// Intl also takes offsets ("+01:00") as zones; an offset never follows daylight saving time.
const OFFSET = /^(?:[+-]\d|(?:GMT|UTC)[+-])/i;

/**
 * What is wrong with `timezone` as a schedule's zone, or `undefined` for an IANA name. Intl also
 * takes offsets, which are refused, and tzdata's `Factory` (the placeholder of an unset zone, no
 * civil time anywhere).
 */
export function timezoneProblem(timezone: string): string | undefined {
  if (OFFSET.test(timezone)) {
    return `an offset is not a time zone (${JSON.stringify(timezone)} never follows daylight saving time): name an IANA zone such as Europe/Berlin, or Etc/GMT-1 for a fixed offset`;
  }
  const canonical = canonicalOrUndefined(timezone);
  if (canonical === undefined || canonical.toLowerCase() === "factory") {
    return `unknown time zone ${JSON.stringify(timezone)}: expected an IANA name such as Europe/Berlin`;
  }
  return undefined;
}

/** The runtime's canonical name of the known zone `timezone` (`europe/berlin` → `Europe/Berlin`). */
export function canonicalTimezone(timezone: string): string {
  return canonicalOrUndefined(timezone) ?? timezone;
}

function canonicalOrUndefined(timezone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

// croner names the field and its value less the field's offset ("Invalid value for day: -1" for
// day-of-month 0): the message quotes the field as sent instead.
const FIELDS: Record<string, [index: number, label: string, range: string]> = {
  minute: [0, "minute", "0-59"],
  hour: [1, "hour", "0-23"],
  day: [2, "day-of-month", "1-31"],
  month: [3, "month", "1-12 or JAN-DEC"],
  dayOfWeek: [4, "day-of-week", "0-7 or SUN-SAT"],
};

function fieldProblem(cron: string, message: string): string | undefined {
  const field = /Invalid value for (\w+)/.exec(message)?.[1];
  const known = field === undefined ? undefined : FIELDS[field];
  const sent = cron.trim().split(/\s+/);
  if (known === undefined || sent.length !== 5) return undefined;
  const [index, label, range] = known;
  return `the ${label} field ${JSON.stringify(sent[index])} must be within ${range}`;
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
    const why = fieldProblem(cron, message) ?? message.replace(/^CronPattern: /, "");
    return `cron is not a valid cron expression: ${why}`;
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
