-- Accounts for private archives: who may read which private list, and their sessions.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- argon2id, as a PHC string ($argon2id$v=19$...).
    password_hash TEXT NOT NULL,
    -- Reads every list.
    admin INTEGER NOT NULL DEFAULT 0,
    -- SHA-256 of the secret that lets a feed reader fetch private feeds; NULL: none.
    feed_token_hash BLOB UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE grants (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    list_id INTEGER NOT NULL REFERENCES lists(id),
    PRIMARY KEY (user_id, list_id)
) WITHOUT ROWID;

-- Only the SHA-256 of a session token is kept: a copy of the database opens no session.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The form token every POST of this session carries.
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);
