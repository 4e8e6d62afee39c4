-- A month's thread listing groups the month's messages by thread: with the thread and the
-- message in the month index itself, that reads the index alone instead of looking up
-- every node of the month in the table (2,000 lookups for a busy month, on every request
-- for its page).
DROP INDEX nodes_month;
CREATE INDEX nodes_month ON nodes(list_id, month, date, seq, thread_no, message_id);
