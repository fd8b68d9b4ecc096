ALTER TABLE `jobs` ADD `parked` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `progress_fraction` real;--> statement-breakpoint
ALTER TABLE `jobs` ADD `progress_message` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `progress_updated_at` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `callback_url` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `callback_status` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `callback_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `callback_next_at` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `callback_error` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `callback_updated_at` integer;--> statement-breakpoint
CREATE INDEX `jobs_parked_run_at` ON `jobs` (`parked`,`run_at`);--> statement-breakpoint
CREATE INDEX `jobs_finished_at` ON `jobs` (`finished_at`);--> statement-breakpoint
CREATE INDEX `jobs_callback_due` ON `jobs` (`callback_status`,`callback_next_at`);