PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_job_runs` (
	`run_token` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`outcome` text NOT NULL,
	`error` text,
	`started_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
INSERT INTO `__new_job_runs`("run_token", "job_id", "attempt", "outcome", "error", "started_at", "finished_at") SELECT "run_token", "job_id", "attempt", "outcome", "error", "started_at", "finished_at" FROM `job_runs`;--> statement-breakpoint
DROP TABLE `job_runs`;--> statement-breakpoint
ALTER TABLE `__new_job_runs` RENAME TO `job_runs`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `job_runs_job` ON `job_runs` (`job_id`,`outcome`);