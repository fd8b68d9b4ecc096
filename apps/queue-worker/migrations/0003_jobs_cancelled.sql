PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`owner` text DEFAULT '' NOT NULL,
	`idempotency_key` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`timeout_ms` integer NOT NULL,
	`run_at` integer NOT NULL,
	`result` text,
	`error` text,
	`run_token` text,
	`lease_expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	CONSTRAINT "jobs_status_valid" CHECK("__new_jobs"."status" in ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'))
);
--> statement-breakpoint
INSERT INTO `__new_jobs`("id", "type", "payload", "status", "owner", "idempotency_key", "attempts", "timeout_ms", "run_at", "result", "error", "run_token", "lease_expires_at", "created_at", "updated_at", "finished_at") SELECT "id", "type", "payload", "status", "owner", "idempotency_key", "attempts", "timeout_ms", "run_at", "result", "error", "run_token", "lease_expires_at", "created_at", "updated_at", "finished_at" FROM `jobs`;--> statement-breakpoint
DROP TABLE `jobs`;--> statement-breakpoint
ALTER TABLE `__new_jobs` RENAME TO `jobs`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_owner_idempotency_key` ON `jobs` (`owner`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `jobs_owner_created` ON `jobs` (`owner`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_owner_status_created` ON `jobs` (`owner`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_created` ON `jobs` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_status_created` ON `jobs` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_type_created` ON `jobs` (`type`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_status_run_at` ON `jobs` (`status`,`run_at`);