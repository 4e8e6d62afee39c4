-- The search index is derived from the store. Every change that alters what a message's
-- index entry should hold (it joins a list, is removed or purged) appends its id here, in
-- the same transaction as the change, by trigger, so no writer can forget it. The index
-- records the last sequence number it has applied; after a crash it resumes from there.
CREATE TABLE search_queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL
);

CREATE TRIGGER search_queue_node_insert AFTER INSERT ON nodes
WHEN NEW.message_id IS NOT NULL
BEGIN
    INSERT INTO search_queue (message_id) VALUES (NEW.message_id);
END;

CREATE TRIGGER search_queue_node_update AFTER UPDATE OF message_id ON nodes
WHEN NEW.message_id IS NOT NULL AND OLD.message_id IS NULL
BEGIN
    INSERT INTO search_queue (message_id) VALUES (NEW.message_id);
END;

CREATE TRIGGER search_queue_message_update AFTER UPDATE OF removed, body_text, subject ON messages
BEGIN
    INSERT INTO search_queue (message_id) VALUES (NEW.id);
END;

CREATE TRIGGER search_queue_message_delete AFTER DELETE ON messages
BEGIN
    INSERT INTO search_queue (message_id) VALUES (OLD.id);
END;

-- Archives stored before the index existed: everything is pending.
INSERT INTO search_queue (message_id) SELECT id FROM messages ORDER BY id;
