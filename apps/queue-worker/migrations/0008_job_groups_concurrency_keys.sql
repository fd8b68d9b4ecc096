CREATE TABLE `job_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`fail_fast` integer NOT NULL,
	`total` integer NOT NULL,
	`failed_by` text,
	`failed_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `job_groups_owner_created` ON `job_groups` (`owner`,`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `group_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `concurrency_key` text;--> statement-breakpoint
CREATE INDEX `jobs_group` ON `jobs` (`group_id`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_group_status` ON `jobs` (`group_id`,`status`);--> statement-breakpoint
CREATE INDEX `jobs_concurrency_key` ON `jobs` (`concurrency_key`,`status`,`lease_expires_at`);--> statement-breakpoint
-- failFast: the first child of a group to end `dead` (a run, or the dead-letter queue) cancels its
-- siblings in the same statement: the waiting ones become `cancelled` (their messages are acked
-- unrun), the running ones get cancel_requested_at, which their consumer's heartbeat reads to abort
-- the run's signal (the path of `POST /v1/jobs/{id}/cancel`). Not in drizzle's
-- schema: drizzle-kit does not model triggers, and leaves this one alone.
CREATE TRIGGER `jobs_group_fail_fast` AFTER UPDATE OF `status` ON `jobs`
WHEN new.`status` = 'dead' AND old.`status` <> 'dead' AND new.`group_id` IS NOT NULL
  AND EXISTS (SELECT 1 FROM `job_groups` g WHERE g.`id` = new.`group_id` AND g.`fail_fast` = 1)
BEGIN
  UPDATE `job_groups` SET `failed_by` = coalesce(`failed_by`, new.`id`),
    `failed_at` = coalesce(`failed_at`, new.`updated_at`)
  WHERE `id` = new.`group_id`;
  UPDATE `jobs` SET `status` = 'cancelled', `run_token` = NULL, `lease_expires_at` = NULL,
    `error` = 'cancelled: job ' || new.`id` || ' of its failFast group died',
    `updated_at` = new.`updated_at`, `finished_at` = new.`updated_at`,
    `callback_status` = CASE WHEN `callback_url` IS NULL THEN NULL ELSE 'pending' END,
    `callback_next_at` = CASE WHEN `callback_url` IS NULL THEN NULL ELSE new.`updated_at` END
  WHERE `group_id` = new.`group_id` AND `status` IN ('queued', 'failed');
  UPDATE `jobs` SET `cancel_requested_at` = coalesce(`cancel_requested_at`, new.`updated_at`),
    `updated_at` = new.`updated_at`
  WHERE `group_id` = new.`group_id` AND `status` = 'running';
END;
