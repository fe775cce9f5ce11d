-- Event ids are looked up by their first 12 characters, now kept in a column of their own,
-- `event_key`, which the server fills on insert, instead of an index on the expression
-- `substr(event_id, 1, 12)` (migration 0003). On SQLite an index on an expression makes every
-- multi-row insert keep a statement journal, a copy of each page it changes, because the
-- expression could fail half-way through the statement. A lookup compares the whole id too.

ALTER TABLE events ADD COLUMN event_key TEXT NOT NULL DEFAULT '';
UPDATE events SET event_key = substr(event_id, 1, 12);
-- Every insert names the column; without a default, one that forgot it would fail.
ALTER TABLE events ALTER COLUMN event_key DROP DEFAULT;
DROP INDEX events_by_event_id;
CREATE INDEX events_by_event_key ON events (event_key);
