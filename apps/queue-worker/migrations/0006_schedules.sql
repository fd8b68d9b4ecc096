CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`name` text NOT NULL,
	`cron` text NOT NULL,
	`timezone` text NOT NULL,
	`job_type` text NOT NULL,
	`job_payload` text NOT NULL,
	`job_timeout_ms` integer,
	`paused` integer DEFAULT false NOT NULL,
	`next_run_at` integer,
	`last_run_at` integer,
	`last_job_id` text,
	`claim_token` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `schedules_due` ON `schedules` (`paused`,`next_run_at`);--> statement-breakpoint
CREATE INDEX `schedules_owner_created` ON `schedules` (`owner`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `schedules_created` ON `schedules` (`created_at`,`id`);