import { fetchWithinPolicy } from "@edge-async/http";
import { and, asc, eq, inArray, lte, type SQL, sql } from "drizzle-orm";
import { callbackKey } from "./callback-signature.ts";
import type { Config } from "./config.ts";
import type { Database } from "./db/database.ts";
import { type JobRow, jobs } from "./db/schema.ts";
import { toJobView } from "./job-view.ts";

/** The header carrying a callback's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = "Webhook-Signature";

/** Delivery tries of one callback before it is `failed`. */
export const CALLBACK_MAX_ATTEMPTS = 6;

/** How long one delivery try may take, and how long a claimed try holds the callback. */
const TRY_TIMEOUT_MS = 10_000;
const HOLD_MS = 60_000;

/** Callbacks one cron run delivers per claim, and claims per run. */
const PAGE = 20;
const MAX_PAGES = 5;

/**
 * The delay before try `attempt + 1` after `attempt` failed: 30 s times 4 to the power of
 * `attempt - 1` (30 s, 2 min, 8 min, 32 min, ~2 h); the cron handler picks them up when due.
 */
export function callbackBackoffMs(attempt: number): number {
  return 30_000 * 4 ** Math.max(0, attempt - 1);
}

/**
 * What the statement that finishes a job sets too: a job with a callback URL gets its callback
 * `pending`, due now. (SQL, so it applies to the row as it is when the job finishes.)
 */
export function callbackDueOnFinish(now: number): {
  callbackStatus: SQL;
  callbackNextAt: SQL;
} {
  return {
    callbackStatus: sql`case when ${jobs.callbackUrl} is null then null else 'pending' end`,
    callbackNextAt: sql`case when ${jobs.callbackUrl} is null then null else ${now} end`,
  };
}

/**
 * The `Webhook-Signature` value of `body` sent at `timestamp` (unix seconds): Stripe's scheme,
 * HMAC-SHA256 over `"<t>.<body>"` with `secret`, in lowercase hex.
 */
export async function signCallback(body: string, secret: string, timestamp: number) {
  const key = await callbackKey(secret, "sign");
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(`${timestamp}.${body}`),
  );
  const hex = [...new Uint8Array(mac)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `t=${timestamp},v1=${hex}`;
}

/**
 * Claims the due callbacks (of `ids` only, when given): ONE conditional UPDATE that counts the
 * try and holds the callback for {@link HOLD_MS}, so two crons (or a cron and a consumer) never
 * send the same try twice. Returns the claimed rows.
 */
function claimDue(db: Database, now: number, ids?: string[]) {
  const due = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.callbackStatus, "pending"),
        lte(jobs.callbackNextAt, now),
        ids === undefined
          ? undefined
          : inArray(jobs.id, sql`(select value from json_each(${JSON.stringify(ids)}))`),
      ),
    )
    .orderBy(asc(jobs.callbackNextAt))
    .limit(PAGE);
  return db
    .update(jobs)
    .set({
      callbackAttempts: sql`${jobs.callbackAttempts} + 1`,
      callbackNextAt: now + HOLD_MS,
      callbackUpdatedAt: now,
    })
    .where(and(inArray(jobs.id, due), eq(jobs.callbackStatus, "pending")))
    .returning();
}

/** POSTs one job's final view, signed; the error when the receiver did not answer 2xx. */
async function deliver(job: JobRow, config: Config, secret: string): Promise<string | undefined> {
  const body = JSON.stringify(toJobView(job, config.maxAttempts));
  const signature = await signCallback(body, secret, Math.floor(Date.now() / 1000));
  try {
    const { response } = await fetchWithinPolicy(
      job.callbackUrl as string,
      {
        method: "POST",
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature },
        body,
      },
      config.outbound,
      { signal: AbortSignal.timeout(TRY_TIMEOUT_MS), maxRedirects: 0, unfollowable: "return" },
    );
    await response.body?.cancel();
    return response.ok ? undefined : `the receiver answered ${response.status}`;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

/** Records how one try went: delivered, due again after the backoff, or failed for good. */
function recordTry(db: Database, job: JobRow, error: string | undefined, now: number) {
  const gaveUp = error !== undefined && job.callbackAttempts >= CALLBACK_MAX_ATTEMPTS;
  return db
    .update(jobs)
    .set({
      callbackStatus: error === undefined ? "delivered" : gaveUp ? "failed" : "pending",
      callbackError: error ?? null,
      callbackNextAt:
        error === undefined || gaveUp ? null : now + callbackBackoffMs(job.callbackAttempts),
      callbackUpdatedAt: now,
    })
    .where(and(eq(jobs.id, job.id), eq(jobs.callbackStatus, "pending")));
}

/**
 * Delivers the due completion callbacks (of `ids` only, when given): claimed in pages of
 * {@link PAGE}, POSTed side by side, each outcome recorded. A failed try is due again after
 * {@link callbackBackoffMs}; the cron handler delivers it then, so a retry survives the
 * invocation that made the first try. After {@link CALLBACK_MAX_ATTEMPTS} tries it is `failed`.
 *
 * @returns how many tries were made, and how many were delivered
 */
export async function deliverDueCallbacks(
  db: Database,
  config: Config,
  options: { now?: () => number; ids?: string[]; signal?: AbortSignal } = {},
): Promise<{ tried: number; delivered: number }> {
  const secret = config.callbackSecret;
  if (secret === undefined) return { tried: 0, delivered: 0 };
  const now = options.now ?? Date.now;
  let tried = 0;
  let delivered = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    options.signal?.throwIfAborted();
    const claimed = await claimDue(db, now(), options.ids);
    if (claimed.length === 0) break;
    const errors = await Promise.all(claimed.map((job) => deliver(job, config, secret)));
    const at = now();
    await db.batch(
      claimed.map((job, index) => recordTry(db, job, errors[index], at)) as [
        ReturnType<typeof recordTry>,
      ],
    );
    tried += claimed.length;
    delivered += errors.filter((error) => error === undefined).length;
    if (claimed.length < PAGE) break;
  }
  return { tried, delivered };
}
