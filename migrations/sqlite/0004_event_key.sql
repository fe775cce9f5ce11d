-- Event ids are looked up by their first 12 characters, now kept in a column of their own,
-- `event_key`, which the server fills on insert, instead of an index on the expression
-- `substr(event_id, 1, 12)` (migration 0003). On SQLite an index on an expression makes every
-- multi-row insert keep a statement journal, a copy of each page it changes, because the
-- expression could fail half-way through the statement. A lookup compares the whole id too.

-- SQLite adds a NOT NULL column only with a default; every insert names the column.
ALTER TABLE events ADD COLUMN event_key TEXT NOT NULL DEFAULT '';
UPDATE events SET event_key = substr(event_id, 1, 12);
DROP INDEX events_by_event_id;
CREATE INDEX events_by_event_key ON events (event_key);
