-- Facts about this server's data that must never change, such as the server name it was created
-- under: every user id (@alice:NAME) and room id contains that name, and other servers know
-- this one by it. Owned by `server_meta.rs`.
CREATE TABLE server_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Data from before this table: its name is the one its first user was created under.
INSERT INTO server_meta (name, value)
SELECT 'server_name', substr(user_id, instr(user_id, ':') + 1)
FROM users
ORDER BY created_at, user_id
LIMIT 1;
