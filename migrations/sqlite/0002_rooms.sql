-- Rooms, their members, and the sequenced room events. Times are ms since the Unix epoch.

CREATE TABLE rooms (
    room_id    TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,                 -- 'direct' or 'group'
    direct_key TEXT UNIQUE,                   -- direct chats: both user ids, sorted, space-separated
    name       TEXT,
    topic      TEXT,
    avatar_url TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT                         -- set when the owner deletes a group
);

CREATE TABLE room_members (
    room_id         TEXT NOT NULL REFERENCES rooms (room_id),
    user_id         TEXT NOT NULL,
    role            TEXT NOT NULL,            -- 'owner', 'admin' or 'member'
    joined          BOOLEAN NOT NULL,
    joined_at       BIGINT NOT NULL,
    joined_seq      BIGINT NOT NULL,          -- first seq the member may read
    left_seq        BIGINT,                   -- last seq the member may read, once they left
    cleared_seq     BIGINT NOT NULL DEFAULT 0,-- "delete chat for me": history up to here is gone
    hidden          BOOLEAN NOT NULL DEFAULT FALSE,
    muted           BOOLEAN NOT NULL DEFAULT FALSE,
    delivered_up_to BIGINT NOT NULL DEFAULT 0,
    read_up_to      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_by_user ON room_members (user_id);

-- Every persistent room event, in two orders: `seq` within its room (gap-free, assigned by the
-- room's sequencer) and `stream_pos` across the server (what a device resumes from).
CREATE TABLE events (
    stream_pos BIGINT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms (room_id),
    seq        BIGINT NOT NULL,
    event_id   TEXT NOT NULL UNIQUE,
    sender     TEXT NOT NULL,
    txn_id     TEXT,
    kind       TEXT NOT NULL,
    content    TEXT NOT NULL,                 -- JSON
    origin_ts  BIGINT NOT NULL,
    edited_at  BIGINT,                        -- messages: when last edited
    deleted_at BIGINT,                        -- messages: deleted for everyone (content tombstoned)
    UNIQUE (room_id, seq),
    UNIQUE (room_id, sender, txn_id)
);

-- When each member's delivered/read position moved: ticks' times are derived from this.
CREATE TABLE receipt_log (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    kind    TEXT NOT NULL,                    -- 'delivered' or 'read'
    up_to   BIGINT NOT NULL,
    ts      BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id, kind, up_to)
);

CREATE TABLE reactions (
    target_event_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    emoji           TEXT NOT NULL,
    PRIMARY KEY (target_event_id, user_id)
);

-- "Delete for me" of single messages.
CREATE TABLE hidden_events (
    user_id  TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (user_id, event_id)
);

ALTER TABLE users ADD COLUMN last_seen_at BIGINT;
ALTER TABLE users ADD COLUMN last_seen_visible BOOLEAN NOT NULL DEFAULT TRUE;
