-- Full-text search over title and summary: an external-content FTS5 index (it stores no second
-- copy of the text, only the index; rows are read from items by rowid = items.id).
-- unicode61 with remove_diacritics 2 folds case and accents, so "cafe" finds "Café".
CREATE VIRTUAL TABLE `items_search` USING fts5(
  title,
  summary,
  content = 'items',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
-- Items stored before this migration.
INSERT INTO `items_search` (`items_search`) VALUES ('rebuild');
--> statement-breakpoint
-- The triggers keep the index in the same transaction as every write to items, whatever the
-- write path (ingest, delete, seed, SQL by hand). An external-content index must be told the old
-- text to remove it: 'delete' takes the row as it was indexed.
CREATE TRIGGER `items_search_insert` AFTER INSERT ON `items` BEGIN
  INSERT INTO `items_search` (rowid, title, summary) VALUES (NEW.`id`, NEW.`title`, NEW.`summary`);
END;
--> statement-breakpoint
CREATE TRIGGER `items_search_delete` AFTER DELETE ON `items` BEGIN
  INSERT INTO `items_search` (`items_search`, rowid, title, summary)
    VALUES ('delete', OLD.`id`, OLD.`title`, OLD.`summary`);
END;
--> statement-breakpoint
-- Only a change of the indexed text touches the index: an upsert that rewrites the same title
-- and summary (or only url, author, times) costs nothing here.
CREATE TRIGGER `items_search_update` AFTER UPDATE OF `title`, `summary` ON `items`
  WHEN OLD.`title` IS NOT NEW.`title` OR OLD.`summary` IS NOT NEW.`summary` BEGIN
  INSERT INTO `items_search` (`items_search`, rowid, title, summary)
    VALUES ('delete', OLD.`id`, OLD.`title`, OLD.`summary`);
  INSERT INTO `items_search` (rowid, title, summary) VALUES (NEW.`id`, NEW.`title`, NEW.`summary`);
END;
