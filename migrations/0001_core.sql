-- The archive's source of truth. Everything else (search index, pages) derives from here.

CREATE TABLE lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    private INTEGER NOT NULL DEFAULT 0,
    -- Show addresses as `jane at example.org` (pipermail's default).
    obfuscate INTEGER NOT NULL DEFAULT 1,
    -- Next thread number to hand out; persisted so an interrupted import resumes identically.
    next_thread INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE list_aliases (
    alias TEXT PRIMARY KEY,
    list_id INTEGER NOT NULL REFERENCES lists(id)
);

-- One row per distinct message. `mkey` is the stable public id used in URLs: the
-- Message-ID itself, or for a second message reusing an id with other content,
-- the id plus a content-derived suffix.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    mkey TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    msgid_generated INTEGER NOT NULL DEFAULT 0,
    content_hash BLOB NOT NULL,
    from_name TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    date INTEGER,
    tz_offset INTEGER NOT NULL DEFAULT 0,
    date_source INTEGER NOT NULL,
    subject TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    in_reply_to TEXT,
    refs TEXT NOT NULL DEFAULT '',
    list_id_header TEXT,
    body_text TEXT NOT NULL,
    body_html TEXT,
    text_from_html INTEGER NOT NULL DEFAULT 0,
    -- format=flowed: 0 no, 1 flowed, 2 flowed with DelSp=yes.
    flowed INTEGER NOT NULL DEFAULT 0,
    attachment_count INTEGER NOT NULL DEFAULT 0,
    raw BLOB NOT NULL,          -- deflate-compressed original bytes
    raw_size INTEGER NOT NULL,
    source TEXT NOT NULL,
    source_offset INTEGER NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_message_id ON messages(message_id);
CREATE INDEX messages_date ON messages(date);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    idx INTEGER NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (message_id, idx)
);

-- Thread tree nodes per list. A node with message_id NULL is a ghost: a message that
-- replies name but the archive does not hold. A row with message_id set is also the
-- list membership of that message.
CREATE TABLE nodes (
    list_id INTEGER NOT NULL REFERENCES lists(id),
    mkey TEXT NOT NULL,
    message_id INTEGER REFERENCES messages(id),
    parent TEXT,
    thread_no INTEGER NOT NULL,
    seq INTEGER,                 -- arrival order in the list, 0-based
    via_subject INTEGER NOT NULL DEFAULT 0,
    -- Copied from the message so per-list date and month listings are index range scans.
    date INTEGER,
    -- Archive month as YYYY*100+MM: the pipermail month file a message came from, else
    -- the UTC month of its date. NULL for ghosts and undated messages.
    month INTEGER,
    PRIMARY KEY (list_id, mkey)
) WITHOUT ROWID;
CREATE INDEX nodes_thread ON nodes(list_id, thread_no);
CREATE INDEX nodes_message ON nodes(message_id, list_id);
CREATE INDEX nodes_date ON nodes(list_id, date, seq);
CREATE INDEX nodes_month ON nodes(list_id, month, date, seq);

-- Messages per list and archive month, kept by the importer in the same transaction as
-- the messages, so overview pages never count the whole list.
CREATE TABLE months (
    list_id INTEGER NOT NULL REFERENCES lists(id),
    month INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (list_id, month)
) WITHOUT ROWID;

-- Bumped by every committed write batch; the server's page cache compares it.
CREATE TABLE generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO generation (id, value) VALUES (1, 0);

CREATE TABLE threads (
    list_id INTEGER NOT NULL REFERENCES lists(id),
    thread_no INTEGER NOT NULL,
    root_mkey TEXT NOT NULL,
    subject TEXT NOT NULL,
    first_date INTEGER,
    last_date INTEGER,
    message_count INTEGER NOT NULL,
    PRIMARY KEY (list_id, thread_no)
) WITHOUT ROWID;
CREATE INDEX threads_last ON threads(list_id, last_date);

-- pipermail's article numbers: several numbers can name one stored message (pipermail
-- numbered duplicates too), so they live apart from the nodes.
CREATE TABLE pipermail_numbers (
    list_id INTEGER NOT NULL REFERENCES lists(id),
    number INTEGER NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    from_html INTEGER NOT NULL,
    PRIMARY KEY (list_id, number)
) WITHOUT ROWID;
CREATE INDEX pipermail_numbers_message ON pipermail_numbers(message_id);

-- Messages that could not be stored: nothing is dropped silently, the bytes are kept.
CREATE TABLE rejects (
    id INTEGER PRIMARY KEY,
    list_id INTEGER NOT NULL REFERENCES lists(id),
    source TEXT NOT NULL,
    source_offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    raw BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (list_id, source, source_offset)
);
