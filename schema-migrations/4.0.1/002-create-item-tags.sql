-- Beacon 4.0.1: which tags an item has. Plain SQL that SQLite, PostgreSQL and
-- MariaDB all accept (one statement per section). No foreign keys: MariaDB would
-- need the referenced columns' exact (unsigned) types; the service deletes links itself.
-- up
CREATE TABLE item_tags (item_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, PRIMARY KEY (item_id, tag_id));
-- down
DROP TABLE item_tags;
