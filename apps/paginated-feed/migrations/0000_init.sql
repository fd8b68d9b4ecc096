CREATE TABLE `items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`external_key` text NOT NULL,
	`topic` text NOT NULL,
	`title` text NOT NULL,
	`url` text NOT NULL,
	`author` text,
	`summary` text,
	`published_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `items_external_key_unique` ON `items` (`external_key`);--> statement-breakpoint
CREATE INDEX `items_feed_order_idx` ON `items` ("published_at" desc,"id" desc);--> statement-breakpoint
CREATE INDEX `items_topic_feed_order_idx` ON `items` (`topic`,"published_at" desc,"id" desc);