CREATE TABLE `item_changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`item_id` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `item_changes_item_id_unique` ON `item_changes` (`item_id`);--> statement-breakpoint
-- Every item stored before this migration is one change, in id order (the order it was created).
INSERT INTO `item_changes` (`item_id`) SELECT `id` FROM `items` ORDER BY `id`;
--> statement-breakpoint
-- The triggers below keep the log in the same transaction as every write to items, so no write
-- path (the ingest, the delete route, the seed script, SQL by hand) can skip it. Each change
-- replaces the item's earlier log row: the log holds the latest change of each item, once.
CREATE TRIGGER `items_log_insert` AFTER INSERT ON `items` BEGIN
  DELETE FROM `item_changes` WHERE `item_id` = NEW.`id`;
  INSERT INTO `item_changes` (`item_id`) VALUES (NEW.`id`);
END;
--> statement-breakpoint
CREATE TRIGGER `items_log_update` AFTER UPDATE ON `items` BEGIN
  DELETE FROM `item_changes` WHERE `item_id` = NEW.`id`;
  INSERT INTO `item_changes` (`item_id`) VALUES (NEW.`id`);
END;
--> statement-breakpoint
-- A deleted item leaves a tombstone, kept for good, so a mirror however far behind still hears
-- of the delete. Ids are AUTOINCREMENT: a tombstone's id is never reused.
CREATE TRIGGER `items_log_delete` AFTER DELETE ON `items` BEGIN
  DELETE FROM `item_changes` WHERE `item_id` = OLD.`id`;
  INSERT INTO `item_changes` (`item_id`, `deleted_at`)
    VALUES (OLD.`id`, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
