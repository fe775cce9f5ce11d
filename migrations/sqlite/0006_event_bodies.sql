-- Events keep what their id is the hash of (convo-federation's `EventBody`): the nonce, and
-- the content as sent once a message is edited. Edits, deletes and reactions name the message
-- they are about, so that deleting a message for everyone also removes its edits' text.
-- Events stored before this migration keep their ids; they have no nonce.

ALTER TABLE events ADD COLUMN nonce TEXT;
ALTER TABLE events ADD COLUMN original_content TEXT;
ALTER TABLE events ADD COLUMN relates_to TEXT;

UPDATE events SET relates_to = json_extract(content, '$.target')
WHERE kind IN ('message.edit', 'message.delete', 'message.reaction');

-- Edits and reactions of a message that was deleted before this migration lose their content.
UPDATE events SET content = '{}', deleted_at = (
        SELECT t.deleted_at FROM events t
        WHERE t.event_key = substr(events.relates_to, 1, 12) AND t.event_id = events.relates_to)
WHERE kind IN ('message.edit', 'message.reaction')
  AND relates_to IN (SELECT event_id FROM events WHERE deleted_at IS NOT NULL);

CREATE INDEX events_by_relates_to ON events (relates_to) WHERE relates_to IS NOT NULL;

-- A room's settings and members at a given seq come from these events alone: what a member
-- who left still sees of the room is the state when they left.
CREATE INDEX events_room_state ON events (room_id, seq)
WHERE kind IN ('room.created', 'room.member', 'room.settings', 'room.deleted');
