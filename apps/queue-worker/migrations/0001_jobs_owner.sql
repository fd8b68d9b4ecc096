DROP INDEX `jobs_idempotency_key`;--> statement-breakpoint
ALTER TABLE `jobs` ADD `owner` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_owner_idempotency_key` ON `jobs` (`owner`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `jobs_owner_created` ON `jobs` (`owner`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_owner_status_created` ON `jobs` (`owner`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_status_run_at` ON `jobs` (`status`,`run_at`);