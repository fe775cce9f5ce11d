-- Accounts, devices and their tokens. Times are milliseconds since the Unix epoch.

CREATE TABLE users (
    user_id        TEXT PRIMARY KEY,          -- @localpart:server_name
    localpart      TEXT NOT NULL UNIQUE,      -- never reused, even after deactivation
    password_hash  TEXT NOT NULL,             -- argon2id PHC string
    email          TEXT UNIQUE,               -- lowercased
    phone          TEXT UNIQUE,               -- E.164
    display_name   TEXT,
    about          TEXT,
    avatar_url     TEXT,
    is_admin       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    deactivated_at BIGINT
);

CREATE TABLE devices (
    device_id    TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (user_id),
    name         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    last_seen_ip TEXT,
    revoked_at   BIGINT
);
CREATE INDEX devices_by_user ON devices (user_id);

-- One row per refresh token ever issued; a used token stays so that its reuse is detected.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,              -- hex SHA-256 of the token
    device_id  TEXT NOT NULL REFERENCES devices (device_id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_by_device ON refresh_tokens (device_id);

CREATE TABLE registration_tokens (
    token_hash   TEXT PRIMARY KEY,            -- hex SHA-256 of the token
    uses_allowed BIGINT,                      -- NULL: unlimited
    uses         BIGINT NOT NULL DEFAULT 0,
    expires_at   BIGINT,                      -- NULL: never
    created_by   TEXT NOT NULL REFERENCES users (user_id),
    created_at   BIGINT NOT NULL
);

-- Server-wide one-time facts, such as whether the first (admin) account exists.
CREATE TABLE server_flags (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO server_flags (name, value) VALUES ('admin_claimed', 0);
