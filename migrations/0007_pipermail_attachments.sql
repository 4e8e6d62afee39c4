-- The attachments Mailman's Scrubber took out of messages and published under
-- `pipermail/LIST/attachments/DATE/HASH/NAME`: the import reads them back from the tree and
-- stores them with their message, and this records which stored attachment each old path
-- names, so the old URL keeps leading to it.
CREATE TABLE pipermail_attachments (
    list_id INTEGER NOT NULL REFERENCES lists(id),
    path TEXT NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    idx INTEGER NOT NULL,
    PRIMARY KEY (list_id, path)
) WITHOUT ROWID;
-- Storing a message checks for rows naming it (the foreign key): by index, not by a scan.
CREATE INDEX pipermail_attachments_message ON pipermail_attachments(message_id);
