-- Live delivery threads a message by reading only the nodes it touches, never the whole
-- list: the next arrival number is kept with the list (as the next thread number is), and
-- the subject fallback finds the latest message with a subject through an index.
ALTER TABLE lists ADD COLUMN next_seq INTEGER NOT NULL DEFAULT 0;
UPDATE lists SET next_seq = COALESCE((SELECT MAX(seq) + 1 FROM nodes WHERE nodes.list_id = lists.id), 0);
CREATE INDEX messages_subject ON messages(subject_key, date);
