-- What changed in each list, for mirrors that follow an archive (`/api/v1/lists/{list}/changes`).
-- The search queue cannot serve: the index prunes it once applied. This log is never pruned;
-- a mirror resumes from the last sequence number it has read, however long ago. Triggers
-- fill it in the same transaction as the change, so no writer can forget it, and SQLite's
-- single writer hands out sequence numbers in commit order: a reader never sees a gap that
-- a later commit fills.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    list_id INTEGER NOT NULL REFERENCES lists(id),
    -- The message's key in the list (`nodes.mkey`).
    mkey TEXT NOT NULL,
    -- new: the message joined the list; removed / restored: hidden or shown again;
    -- purged: its content was erased; deleted: it left the list.
    kind TEXT NOT NULL CHECK (kind IN ('new', 'removed', 'restored', 'purged', 'deleted')),
    at INTEGER NOT NULL
);
CREATE INDEX changes_list ON changes(list_id, seq);

-- A message joins a list when its node gets a message: a new node, or a ghost (a message
-- that replies named before it arrived) that becomes real.
CREATE TRIGGER changes_node_insert AFTER INSERT ON nodes
WHEN NEW.message_id IS NOT NULL
BEGIN
    INSERT INTO changes (list_id, mkey, kind, at)
    VALUES (NEW.list_id, NEW.mkey, 'new', CAST(strftime('%s', 'now') AS INTEGER));
END;

CREATE TRIGGER changes_node_update AFTER UPDATE OF message_id ON nodes
WHEN NEW.message_id IS NOT NULL AND OLD.message_id IS NULL
BEGIN
    INSERT INTO changes (list_id, mkey, kind, at)
    VALUES (NEW.list_id, NEW.mkey, 'new', CAST(strftime('%s', 'now') AS INTEGER));
END;

CREATE TRIGGER changes_node_delete AFTER DELETE ON nodes
WHEN OLD.message_id IS NOT NULL
BEGIN
    INSERT INTO changes (list_id, mkey, kind, at)
    VALUES (OLD.list_id, OLD.mkey, 'deleted', CAST(strftime('%s', 'now') AS INTEGER));
END;

-- A removal (or its undoing) counts in every list holding the message.
CREATE TRIGGER changes_message_removed AFTER UPDATE OF removed ON messages
WHEN NEW.removed <> OLD.removed
BEGIN
    INSERT INTO changes (list_id, mkey, kind, at)
    SELECT n.list_id, n.mkey, iif(NEW.removed, 'removed', 'restored'),
           CAST(strftime('%s', 'now') AS INTEGER)
    FROM nodes n WHERE n.message_id = NEW.id ORDER BY n.list_id;
END;

-- A purge erases the stored bytes (raw_size 0) beside removing the message.
CREATE TRIGGER changes_message_purged AFTER UPDATE OF raw_size ON messages
WHEN NEW.raw_size = 0 AND OLD.raw_size <> 0
BEGIN
    INSERT INTO changes (list_id, mkey, kind, at)
    SELECT n.list_id, n.mkey, 'purged', CAST(strftime('%s', 'now') AS INTEGER)
    FROM nodes n WHERE n.message_id = NEW.id ORDER BY n.list_id;
END;

-- Archives stored before the log existed: each message joined its lists in arrival order,
-- and the removed ones were removed since.
INSERT INTO changes (list_id, mkey, kind, at)
SELECT n.list_id, n.mkey, 'new', m.created_at
FROM nodes n JOIN messages m ON m.id = n.message_id
ORDER BY n.list_id, n.seq, n.mkey;

INSERT INTO changes (list_id, mkey, kind, at)
SELECT n.list_id, n.mkey, 'removed', CAST(strftime('%s', 'now') AS INTEGER)
FROM nodes n JOIN messages m ON m.id = n.message_id
WHERE m.removed
ORDER BY n.list_id, n.seq, n.mkey;

INSERT INTO changes (list_id, mkey, kind, at)
SELECT n.list_id, n.mkey, 'purged', CAST(strftime('%s', 'now') AS INTEGER)
FROM nodes n JOIN messages m ON m.id = n.message_id
WHERE m.removed AND m.raw_size = 0
ORDER BY n.list_id, n.seq, n.mkey;
